//! Cleaning: Unicode normalisation, whitespace and spacing repair, re-flow of
//! hard-wrapped lines, and removal of headline and boilerplate, keeping a map from
//! every cleaned offset back to the input.
//!
//! Steps (each linear in the input):
//! 1. Normalisation: NFC; `\r\n`, `\r`, U+2028 become `\n` (U+2029 a blank line);
//!    zero-width characters, BOM, soft hyphen, bidi controls and other control
//!    characters (except `\n`, `\t`) are removed; every Unicode space or tab becomes
//!    `' '`; runs of spaces collapse; lines are trimmed; at most one blank line.
//! 2. Re-flow: lines that continue on the next line (rule 1 in
//!    [`segment`](mod@super::segment)) are joined with a space. Single line breaks that
//!    remain are kept: they separate sentences (one-sentence-per-line text) and
//!    headings.
//! 3. Leading block: the headline (the metadata title if the body starts with it,
//!    else a short unpunctuated first line followed by more text), bylines,
//!    timestamps, share lines, and prefixes of the first line such as
//!    "By . Associated Press . PUBLISHED: . … ." or "WASHINGTON (AP) — ".
//! 4. Anywhere: whole short lines that are notices, share/promo lines or captions
//!    (also a line ending in a picture credit); then, inside the remaining lines,
//!    furniture a flattened page ran in between paragraphs: "Scroll down for video",
//!    "Click here to …" and "Label: text" captions without a full stop. What remains
//!    of such a line is split where the furniture stood.
//! 5. Trailing block, from the end: credits ("Reporting by …; Editing by …") and an
//!    author bio (a closing paragraph "Name is/was … `role`" whose surname the story
//!    does not mention).
//! 6. Spacing repairs inside kept lines:
//!    - a hyphen glued to the word before it and followed by a space and a word loses
//!      the space: "Kim Jong- us" → "Kim Jong-us", "Russia- North Korea" →
//!      "Russia-North Korea"; spaced hyphens (" - "), en/em dashes, list bullets
//!      ("- item") and suspended compounds ("pre- and post-war") are kept;
//!    - a lone ‘ ’ or ' between spaces after a plural word ending in "s" is a
//!      possessive apostrophe: "officials ‘ claims" → "officials’ claims"; likewise
//!      "Un ’s" → "Un’s";
//!    - a ” glued to the word before it, followed by a space and a word, with no “
//!      open and another ” later in the same sentence, is an opening quote:
//!      "signing a” complete proper relationship”." → "signing a “complete proper
//!      relationship”.";
//!    - no space before , . ; : ! ? when they close a word ("word ," → "word,"),
//!      except before digits (".5", "1 ,000") and in ellipses ("wait ...", ". . .").
//!
//! Cleaning is idempotent on its own output (checked on the corpus), except that a
//! document starting with two heading-like lines loses one per pass.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::boilerplate::{self, LineKind, Prefix};
use super::boundary::starts_lowercase;
use super::lines::{is_list_item, logical_lines, physical_lines, terminal_run_start};
use super::normalize::normalize;
use super::offset_map::{MapBuilder, OffsetMap};
use super::spacing;

/// Result of cleaning one article body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cleaned {
    /// The cleaned body; every offset in the output refers to this string.
    pub text: String,
    /// A headline found at the top of the body and removed from it.
    pub title: Option<String>,
    /// A byline/author removed from the body ("Associated Press", "John Smith, Reuters",
    /// or the name from a trailing author bio).
    pub byline: Option<String>,
    /// Everything removed from the body, in the order it was found.
    pub removed: Vec<Removed>,
    /// Maps offsets in `text` back to offsets in the input body.
    pub map: OffsetMap,
}

/// A piece of boilerplate removed from the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// What it was.
    pub kind: RemovedKind,
    /// The removed text (whitespace-normalised).
    pub text: String,
}

/// Category of removed text. Serialised in `snake_case`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovedKind {
    /// The headline at the top of the body.
    Title,
    /// A subtitle/standfirst line right after the headline, itself without a full stop.
    Subtitle,
    /// A byline ("By John Smith, Reuters") or a credit line ("Reporting by …").
    Byline,
    /// A dateline opening the first paragraph ("WASHINGTON (AP) — ").
    Dateline,
    /// A publication/update timestamp ("PUBLISHED: 14:11 EST, 25 October 2013").
    Timestamp,
    /// Republication, copyright or licence notice.
    Notice,
    /// Share/follow/promo line ("Read more: …", "Follow us on Twitter"), also inline
    /// ("Scroll down for video", "Click here to …").
    Share,
    /// Photo caption or credit ("Image copyright …", "Pictured: …", "… REUTERS/Name"),
    /// also one a flattened page ran into a paragraph ("Flying high: Half of the …").
    Caption,
    /// A closing author bio ("Jane Doe is a lecturer in history at …").
    Bio,
}

/// A logical line of the re-flowed text and what happens to it.
#[derive(Debug, Clone, Copy)]
struct Item {
    start: usize,
    end: usize,
    keep: bool,
    blank_before: bool,
}

#[derive(Default)]
struct Found {
    title: Option<String>,
    byline: Option<String>,
    removed: Vec<Removed>,
}

impl Found {
    fn remove(&mut self, kind: RemovedKind, text: &str) {
        self.removed.push(Removed {
            kind,
            text: text.trim().to_string(),
        });
    }
    fn set_byline(&mut self, name: Option<String>) {
        if self.byline.is_none() {
            self.byline = name.filter(|n| !n.is_empty());
        }
    }
}

/// Longest line (chars) taken for a headline.
const MAX_TITLE_CHARS: usize = 200;
/// Most words in a headline.
const MAX_TITLE_WORDS: usize = 30;

/// Clean an article body. `known_title` is the headline from the article's metadata;
/// if the body starts with it, that line is dropped, otherwise a leading headline is
/// detected heuristically. See the module documentation for the steps.
pub fn clean(body: &str, known_title: Option<&str>) -> Cleaned {
    let norm = normalize(body);
    let lines = physical_lines(&norm.text);
    let logical = logical_lines(&norm.text, &lines);

    // Re-flow: the '\n' between joined lines becomes ' ' (same length, so offsets
    // into `text` and the normalisation map stay valid).
    let mut bytes = norm.text.into_bytes();
    for l in &logical {
        for line in &lines[l.first..l.last] {
            if let Some(b) = bytes.get_mut(line.end) {
                *b = b' ';
            }
        }
    }
    // Only ASCII bytes were swapped for ASCII bytes: still valid UTF-8.
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());

    let mut items: Vec<Item> = logical
        .iter()
        .map(|l| Item {
            start: lines[l.first].start,
            end: lines[l.last].end,
            keep: true,
            blank_before: l.blank_before,
        })
        .collect();

    let mut found = Found::default();
    leading(&text, &mut items, known_title, &mut found);
    let mut body = Vec::with_capacity(items.len());
    for mut it in items {
        if it.keep && it.end - it.start <= MAX_BOILERPLATE_LINE {
            let line = shown(&text, &it);
            if let Some(kind) = boilerplate::line_kind(&line) {
                found.remove(line_removed_kind(kind), &line);
                it.keep = false;
            }
        }
        if it.keep {
            cut_inline(&text, it, &mut body, &mut found);
        } else {
            body.push(it);
        }
    }
    let mut items = body;
    trailing(&text, &mut items, &mut found);

    let (text, map) = emit(&text, &items, &norm.map);
    Cleaned {
        text,
        title: found.title,
        byline: found.byline,
        removed: found.removed,
        map,
    }
}

/// Push `it` onto `out`, less the page furniture inlined into it (captions and
/// "Scroll down for video" between paragraphs of a flattened page): the pieces that
/// remain become lines of their own, which is where the furniture had stood between
/// paragraphs.
fn cut_inline(text: &str, it: Item, out: &mut Vec<Item>, found: &mut Found) {
    let line = &text[it.start..it.end];
    let mut pos = it.start;
    let mut blank = it.blank_before; // the paragraph break goes to the first piece
    for (s, e, kind) in boilerplate::inline_furniture(line) {
        found.remove(line_removed_kind(kind), &spacing::repair(&line[s..e]));
        blank &= !push_piece(text, pos, it.start + s, blank, out);
        pos = it.start + e;
    }
    if !push_piece(text, pos, it.end, blank, out) && blank {
        // All furniture: keep the paragraph break for the lines after it.
        out.push(Item { keep: false, ..it });
    }
}

/// Push the trimmed range `[start, end)` as a kept item if it is not empty; whether
/// it was pushed.
fn push_piece(
    text: &str,
    start: usize,
    end: usize,
    blank_before: bool,
    out: &mut Vec<Item>,
) -> bool {
    let piece = &text[start..end];
    let s = start + (piece.len() - piece.trim_start().len());
    let e = start + piece.trim_end().len();
    if s < e {
        out.push(Item {
            start: s,
            end: e,
            keep: true,
            blank_before,
        });
    }
    s < e
}

fn line_removed_kind(k: LineKind) -> RemovedKind {
    match k {
        LineKind::Notice => RemovedKind::Notice,
        LineKind::Share => RemovedKind::Share,
        LineKind::Caption => RemovedKind::Caption,
    }
}

/// Most closing author bios looked at (one per co-author).
const MAX_BIOS: usize = 3;

/// Longest line (bytes) examined for whole-line boilerplate.
const MAX_BOILERPLATE_LINE: usize = 600;

/// The item's line as it will appear in the output (spacing repaired): whole-line
/// tests look at this form so that a second pass sees exactly what the first saw.
fn shown<'t>(text: &'t str, it: &Item) -> Cow<'t, str> {
    spacing::repair(&text[it.start..it.end])
}

/// Whole-line boilerplate that may open a story: kind, and a byline name.
fn leading_line_kind(line: &str) -> Option<(RemovedKind, Option<String>)> {
    if line.len() > MAX_BOILERPLATE_LINE {
        return None;
    }
    if let Some(name) = boilerplate::plain_byline(line) {
        return Some((RemovedKind::Byline, Some(name)));
    }
    if boilerplate::is_timestamp_line(line) {
        return Some((RemovedKind::Timestamp, None));
    }
    boilerplate::line_kind(line).map(|k| (line_removed_kind(k), None))
}

/// Strip the headline, bylines, timestamps and datelines at the top.
fn leading(text: &str, items: &mut [Item], known_title: Option<&str>, found: &mut Found) {
    let known = known_title.map(title_key).filter(|k| !k.is_empty());
    let mut subtitle_allowed = false; // right after the metadata headline
    for idx in 0..items.len() {
        if !items[idx].keep {
            continue; // a subtitle taken with the headline
        }
        let mut stripped = false;
        loop {
            let it = items[idx];
            let line = shown(text, &it);
            let known_match = known.as_deref().is_some_and(|k| title_matches(&line, k));
            if !stripped && found.title.is_none() && known_match {
                found.title = Some(line.to_string());
                found.remove(RemovedKind::Title, &line);
                items[idx].keep = false;
                subtitle_allowed = true;
                break;
            }
            if let Some((kind, name)) = leading_line_kind(&line) {
                found.set_byline(name);
                found.remove(kind, &line);
                items[idx].keep = false;
                break;
            }
            if let Some((prefix, len)) = boilerplate::leading_prefix(&text[it.start..it.end]) {
                let piece = &text[it.start..it.start + len];
                let kind = match prefix {
                    Prefix::Byline(name) => {
                        found.set_byline(Some(name));
                        RemovedKind::Byline
                    }
                    Prefix::Timestamp => RemovedKind::Timestamp,
                    Prefix::Dateline => RemovedKind::Dateline,
                };
                found.remove(kind, piece);
                items[idx].start += len;
                stripped = true;
                if items[idx].start >= it.end {
                    items[idx].keep = false;
                    break;
                }
                continue; // the rest may be more boilerplate
            }
            // A headline (also after a stripped prefix: a second pass must see the
            // same candidate as the first), possibly with a subtitle, when a line that
            // is not headline-like follows. With three headline-like lines in a row
            // none is taken: removing only some would make cleaning non-idempotent.
            if subtitle_allowed && !stripped && is_headline(&line) {
                let next = next_content(text, items, idx).next();
                if next.is_some_and(|(_, n)| !is_headline(&n)) {
                    found.remove(RemovedKind::Subtitle, &line);
                    items[idx].keep = false;
                    subtitle_allowed = false;
                    break;
                }
            }
            if found.title.is_none() && is_headline(&line) {
                let mut next = next_content(text, items, idx);
                let (first, second) = (next.next(), next.next());
                drop(next);
                let subtitle = match (first, second) {
                    (Some((_, n1)), _) if !is_headline(&n1) => Some(None),
                    (Some((i1, _)), Some((_, n2))) if !is_headline(&n2) => Some(Some(i1)),
                    _ => None,
                };
                if let Some(sub) = subtitle {
                    found.title = Some(line.to_string());
                    found.remove(RemovedKind::Title, &line);
                    items[idx].keep = false;
                    if let Some(i1) = sub {
                        found.remove(RemovedKind::Subtitle, &shown(text, &items[i1]));
                        items[i1].keep = false;
                    }
                    break;
                }
            }
            return;
        }
    }
}

/// The lines after `idx` that are not whole-line leading boilerplate, with their
/// indices.
fn next_content<'t, 'i>(
    text: &'t str,
    items: &'i [Item],
    idx: usize,
) -> impl Iterator<Item = (usize, Cow<'t, str>)> + 'i
where
    't: 'i,
{
    items
        .iter()
        .enumerate()
        .skip(idx + 1)
        .map(move |(i, it)| (i, shown(text, it)))
        .filter(|(_, l)| leading_line_kind(l).is_none())
}

/// A short line without sentence-final punctuation that starts like a headline.
fn is_headline(line: &str) -> bool {
    if line.chars().count() > MAX_TITLE_CHARS
        || line.split_whitespace().count() > MAX_TITLE_WORDS
        || is_list_item(line)
        || starts_lowercase(line)
    {
        return false;
    }
    if terminal_run_start(line).is_some() || line.ends_with([':', ',', ';']) {
        return false;
    }
    line.chars()
        .find(|c| c.is_alphanumeric())
        .is_some_and(|c| c.is_uppercase() || c.is_numeric())
}

/// Comparable form of a headline: NFC, lowercase, unified quotes and dashes,
/// single spaces, no trailing punctuation.
fn title_key(s: &str) -> String {
    let norm = normalize(s).text;
    let mut out = String::with_capacity(norm.len());
    for c in norm.chars() {
        let c = match c {
            '‘' | '’' | '`' | '´' => '\'',
            '“' | '”' | '„' => '"',
            '–' | '—' | '‐' | '‑' => '-',
            '\n' => ' ',
            c => c,
        };
        out.extend(c.to_lowercase());
    }
    out.trim_end_matches(|c: char| c.is_ascii_punctuation() && c != '"' && c != '\'' || c == ' ')
        .to_string()
}

/// Does `line` carry the headline whose [`title_key`] is `key`? Equal, or one is the
/// other plus a site suffix ("Headline | Site", "Headline - Site").
fn title_matches(line: &str, key: &str) -> bool {
    if line.chars().count() > 3 * MAX_TITLE_CHARS {
        return false;
    }
    let l = title_key(line);
    if l == key {
        return true;
    }
    const SEPS: [&str; 6] = [" - ", " | ", " : ", " :: ", " / ", " · "];
    let suffixed = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| SEPS.iter().any(|s| rest.starts_with(s)))
    };
    suffixed(&l, key) || suffixed(key, &l)
}

/// Strip credits and an author bio at the end (after notices and share lines are
/// gone), and a credit in parentheses ending the last paragraph.
fn trailing(text: &str, items: &mut [Item], found: &mut Found) {
    let mut idx = items.len();
    let mut blank_after = true; // nothing after the last item: a paragraph end
    let mut bios = 0;
    while idx > 0 {
        idx -= 1;
        let it = items[idx];
        if !it.keep {
            blank_after |= it.blank_before;
            continue;
        }
        // Is there a paragraph break before this line in the output? (Removed lines
        // in between carry theirs over, as in `emit`.)
        let prev_kept = items[..idx].iter().rposition(|i| i.keep);
        let blank_before = it.blank_before
            || prev_kept.is_some_and(|p| items[p + 1..idx].iter().any(|i| i.blank_before));
        if it.end - it.start <= MAX_BOILERPLATE_LINE {
            let line = shown(text, &it);
            let mut removed = None;
            if let Some(names) = boilerplate::credit_line(&line) {
                found.set_byline(names);
                removed = Some(RemovedKind::Byline);
            } else if blank_before && blank_after && prev_kept.is_some() && bios < MAX_BIOS {
                // A bio is a paragraph of its own after the story.
                if let Some(name) = boilerplate::bio(&line) {
                    bios += 1; // each check scans the story: bounded
                    if !named_elsewhere(text, items, idx, &name) {
                        found.set_byline(Some(name));
                        removed = Some(RemovedKind::Bio);
                    }
                }
            }
            if let Some(kind) = removed {
                found.remove(kind, &line);
                items[idx].keep = false;
                blank_after |= it.blank_before;
                continue;
            }
        }
        let line = &text[it.start..it.end];
        if let Some((off, names)) = boilerplate::credit_suffix(line) {
            found.set_byline(names);
            found.remove(RemovedKind::Byline, &line[off..]);
            items[idx].end = it.start + line[..off].trim_end().len();
        }
        return;
    }
}

/// Does the surname in `name` appear as a word in a kept line other than `skip`?
fn named_elsewhere(text: &str, items: &[Item], skip: usize, name: &str) -> bool {
    let Some(surname) = name.split_whitespace().next_back() else {
        return false;
    };
    items.iter().enumerate().any(|(i, it)| {
        i != skip && it.keep && {
            let line = &text[it.start..it.end];
            line.match_indices(surname).any(|(p, m)| {
                let before = line[..p].chars().next_back();
                let after = line[p + m.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
        }
    })
}

/// Build the cleaned text from the kept items: lines of one paragraph separated by
/// '\n', paragraphs by a blank line, spacing repaired.
fn emit(text: &str, items: &[Item], map: &OffsetMap) -> (String, OffsetMap) {
    let mut b = MapBuilder::new(Some(map), text.len());
    let mut prev_end: Option<usize> = None;
    let mut blank = false;
    for it in items {
        blank |= it.blank_before;
        if !it.keep || it.start >= it.end {
            continue;
        }
        if let Some(pe) = prev_end {
            let sep = if blank { "\n\n" } else { "\n" };
            if text.get(pe..it.start) == Some(sep) {
                b.push_copy(text, pe, it.start);
            } else {
                b.push_replace(sep, pe, it.start);
            }
        }
        blank = false;
        spacing::emit_line(&mut b, text, it.start, it.end);
        prev_end = Some(it.end);
    }
    b.finish()
}

#[cfg(test)]
mod tests;
