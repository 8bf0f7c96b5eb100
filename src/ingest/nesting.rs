//! A depth guard for HTML, applied before parsing.
//!
//! The HTML5 tree builder (html5ever, per the spec) checks "is X in scope" by scanning the
//! stack of open elements, so a document nested `d` deep with `n` tags costs `O(n·d)`:
//! 10,000 nested `<div>`s take ~0.2 s and 40,000 take ~3.5 s, and a hostile 16 MiB file
//! could take hours. Real pages nest well under 100 deep. This module estimates the
//! depth with a linear tag scan and, only when it exceeds a limit, removes the tags
//! beyond it (their text stays; a removed block tag becomes `<br>` so lines stay apart).
//! Documents within the limit are returned unchanged, borrowed.

use std::borrow::Cow;

/// Deepest nesting passed to the parser unchanged.
pub const MAX_DEPTH: usize = 512;

/// Elements with no end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen", "frame",
];

/// Elements whose content is raw text (no tags inside).
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];

/// Elements a new sibling of the same name closes implicitly.
const SELF_CLOSING_SIBLINGS: &[&str] = &["p", "li", "dt", "dd", "option", "tr", "td", "th"];

/// Block elements (their removal leaves a line break), which also close an open `<p>`.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "ul",
    "li",
];

/// How far down the stack an end tag looks for its start tag. Bounded so the scan stays
/// linear; a deeper match is treated as unmatched (the parser sorts it out).
const END_TAG_SEARCH: usize = 64;

/// `html` with tags nested deeper than `max_depth` removed (see the module docs).
pub fn flatten_deep(html: &str, max_depth: usize) -> Cow<'_, str> {
    let removals = scan(html, max_depth);
    if removals.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for (start, end, replacement) in removals {
        out.push_str(&html[at..start]);
        out.push_str(replacement);
        at = end;
    }
    out.push_str(&html[at..]);
    Cow::Owned(out)
}

/// Byte ranges of tags to remove and what to put in their place. Every range starts at a
/// `<` and ends after a `>` (ASCII), so slicing there is always on char boundaries.
fn scan(html: &str, max_depth: usize) -> Vec<(usize, usize, &'static str)> {
    let b = html.as_bytes();
    let mut stack: Vec<(&str, bool)> = Vec::new(); // (lower-case-insensitive name, removed)
    let mut removals = Vec::new();
    let mut i = 0;
    while let Some(rel) = b
        .get(i..)
        .and_then(|rest| rest.iter().position(|&c| c == b'<'))
    {
        let lt = i + rel;
        let rest = &b[lt..];
        if rest.starts_with(b"<!--") {
            i = find(b, lt + 4, b"-->").map_or(b.len(), |p| p + 3);
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            i = find(b, lt + 2, b">").map_or(b.len(), |p| p + 1);
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            i = lt + 1;
            continue;
        }
        let name_end = b[name_start..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'-' || *c == b':'))
            .map_or(b.len(), |p| name_start + p);
        let name = &html[name_start..name_end];
        let Some(gt) = tag_end(b, name_end) else {
            break; // unterminated tag: the parser treats the rest as text
        };
        i = gt + 1;
        if closing {
            let window = stack.len().saturating_sub(END_TAG_SEARCH);
            if let Some(pos) = stack[window..]
                .iter()
                .rposition(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                if stack[window + pos].1 {
                    removals.push((lt, gt + 1, " "));
                }
                stack.truncate(window + pos);
            }
            continue;
        }
        let is = |set: &[&str]| set.iter().any(|s| s.eq_ignore_ascii_case(name));
        if is(RAW_TEXT) {
            // Skip to the end of the matching end tag; the content cannot nest.
            i = find_end_tag(b, i, name).unwrap_or(b.len());
            continue;
        }
        if is(VOID) {
            continue;
        }
        // Implied end tags: `<p>` closed by a block, `<li>` by the next `<li>`, ….
        while let Some(&(top, _)) = stack.last() {
            let closes_top = (is(SELF_CLOSING_SIBLINGS) && top.eq_ignore_ascii_case(name))
                || (is(BLOCK) && top.eq_ignore_ascii_case("p"));
            if !closes_top {
                break;
            }
            stack.pop();
        }
        let removed = stack.len() >= max_depth;
        if removed {
            removals.push((lt, gt + 1, if is(BLOCK) { "<br>" } else { " " }));
        }
        stack.push((name, removed));
    }
    removals
}

/// Index of the `>` ending a tag whose name ends at `from`, skipping quoted attribute values.
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (k, &c) in b.get(from..)?.iter().enumerate() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return Some(from + k),
            (None, _) => {}
        }
    }
    None
}

/// Position just after the `>` of `</name…>` at or after `from` (ASCII case-insensitive).
fn find_end_tag(b: &[u8], from: usize, name: &str) -> Option<usize> {
    let mut at = from;
    loop {
        let lt = find(b, at, b"</")?;
        let after = lt + 2 + name.len();
        if b.get(lt + 2..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
        {
            return find(b, after, b">").map(|p| p + 1);
        }
        at = lt + 2;
    }
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_are_untouched() {
        let page =
            "<html><head><title>a<b</title><script>if (a<b) { x('</div>'); }</script></head>\
                    <body><!-- <div><div> --><div class=\"x>y\"><p>One<p>Two<ul><li>a<li>b</ul>\
                    <img src=x><br/><input></div></body></html>";
        // html > body > div > ul > li is 5 deep.
        assert!(matches!(flatten_deep(page, 5), Cow::Borrowed(_)));
        assert!(matches!(flatten_deep(page, 4), Cow::Owned(_)));
    }

    #[test]
    fn unclosed_siblings_do_not_count_as_nesting() {
        let mut page = String::from("<body>");
        for _ in 0..2000 {
            page.push_str("<p>para<li>item<div>block</div>");
        }
        assert!(matches!(flatten_deep(&page, 16), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_tags_are_removed_with_their_end_tags() {
        let html = "<div><div><div><span>x</span></div>y</div></div><p>z</p>";
        assert_eq!(
            flatten_deep(html, 2),
            "<div><div><br> x  y</div></div><p>z</p>"
        );
    }

    #[test]
    fn multibyte_text_and_attributes_stay_intact() {
        let html = "<div title='é>ü'><div>ünï<div>cødé</div></div></div>";
        assert_eq!(
            flatten_deep(html, 1),
            "<div title='é>ü'><br>ünï<br>cødé  </div>"
        );
    }

    #[test]
    fn deep_nesting_is_flattened_in_linear_time() {
        let depth = 200_000;
        let html = format!("{}text{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let start = std::time::Instant::now();
        let flat = flatten_deep(&html, MAX_DEPTH);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(flat.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(flat.matches("</div>").count(), MAX_DEPTH);
    }
}
