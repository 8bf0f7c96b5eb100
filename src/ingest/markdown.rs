//! Markdown to plain text with a CommonMark parser (`pulldown-cmark`).
//!
//! The first level-1 heading is the title and is not repeated in the body; other
//! headings, paragraphs and quotes become paragraphs; list items and table rows one per
//! line; links keep their text; images, code blocks, raw HTML and footnotes are dropped;
//! emphasis markers disappear. YAML (`---`) or TOML (`+++`) front matter supplies title,
//! author, date and URL and never reaches the body.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::record::{AUTHOR_KEYS, PUBLISHED_KEYS, TITLE_KEYS, URL_KEYS};
use super::sink::{Break, TextSink};
use super::Extracted;

/// Convert a Markdown document.
pub fn to_text(markdown: &str) -> Extracted {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let mut body = TextSink::new();
    let mut front = FrontMatter::default();
    let mut meta_text: Option<String> = None;
    let mut heading: Option<TextSink> = None;
    let mut seen_h1 = false;
    let mut title = None;
    // Depth inside dropped containers (images, code, HTML blocks, footnotes).
    let mut skip = 0usize;
    let mut list_depth = 0usize;

    // Text goes to the title while inside the first H1, else to the body.
    macro_rules! sink {
        () => {
            heading.as_mut().unwrap_or(&mut body)
        };
    }
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::MetadataBlock(_)) => meta_text = Some(String::new()),
            Event::End(TagEnd::MetadataBlock(_)) => {
                if let Some(text) = meta_text.take() {
                    front = FrontMatter::parse(&text);
                }
            }
            Event::Text(t) if meta_text.is_some() => {
                if let Some(m) = meta_text.as_mut() {
                    m.push_str(&t);
                }
            }
            Event::Start(
                Tag::Image { .. } | Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::FootnoteDefinition(_),
            ) => {
                skip += 1;
                sink!().brk(Break::Space);
            }
            Event::End(
                TagEnd::Image | TagEnd::CodeBlock | TagEnd::HtmlBlock | TagEnd::FootnoteDefinition,
            ) => {
                skip = skip.saturating_sub(1);
                sink!().brk(Break::Space);
            }
            _ if skip > 0 => {}
            Event::Start(Tag::Heading { level, .. }) => {
                body.brk(Break::Paragraph);
                if level == HeadingLevel::H1 && !seen_h1 {
                    seen_h1 = true;
                    heading = Some(TextSink::new());
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = heading.take() {
                    let h = h.finish();
                    match &front.title {
                        None if !h.is_empty() => title = Some(h),
                        Some(t) if *t != h => body.text(&h),
                        _ => {}
                    }
                }
                body.brk(Break::Paragraph);
            }
            // A top-level list is its own block; nested lists continue line by line.
            Event::Start(Tag::List(_)) => {
                list_depth += 1;
                sink!().brk(if list_depth > 1 {
                    Break::Line
                } else {
                    Break::Paragraph
                });
            }
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                sink!().brk(if list_depth > 0 {
                    Break::Line
                } else {
                    Break::Paragraph
                });
            }
            Event::Start(Tag::Item | Tag::TableRow | Tag::TableHead)
            | Event::End(TagEnd::Item | TagEnd::TableRow | TagEnd::TableHead)
            | Event::HardBreak => sink!().brk(Break::Line),
            Event::Start(Tag::Paragraph | Tag::BlockQuote(_) | Tag::Table(_))
            | Event::End(TagEnd::Paragraph | TagEnd::BlockQuote(_) | TagEnd::Table)
            | Event::Rule => sink!().brk(Break::Paragraph),
            Event::End(TagEnd::TableCell) | Event::SoftBreak => sink!().brk(Break::Space),
            Event::Text(t) | Event::Code(t) => sink!().text(&t),
            // Emphasis, links, raw inline HTML, footnote references, task markers: the
            // markers go, any text inside arrives as its own Text event.
            _ => {}
        }
    }
    Extracted {
        title: front.title.or(title),
        byline: front.byline,
        published: front.published,
        url: front.url,
        body: body.finish(),
    }
}

/// The fields we use from a front-matter block.
#[derive(Debug, Default, PartialEq, Eq)]
struct FrontMatter {
    title: Option<String>,
    byline: Option<String>,
    published: Option<String>,
    url: Option<String>,
}

impl FrontMatter {
    /// Read `key: value` (YAML) or `key = value` (TOML) lines, YAML `- item` lists and
    /// inline `[a, b]` lists. Nested structures are ignored: this is metadata, not config.
    fn parse(block: &str) -> FrontMatter {
        let mut pairs: Vec<(String, Vec<String>)> = Vec::new();
        for line in block.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if let Some(item) = trimmed.strip_prefix("- ") {
                if let Some((_, values)) = pairs.last_mut() {
                    values.push(unquote(item).to_string());
                }
                continue;
            }
            if line.starts_with(char::is_whitespace) {
                continue; // nested mapping
            }
            let Some(split) = trimmed.find([':', '=']) else {
                continue;
            };
            let key = trimmed[..split].trim().to_ascii_lowercase();
            let value = trimmed[split + 1..].trim();
            let values = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                Some(list) => list.split(',').map(|v| unquote(v).to_string()).collect(),
                None if value.is_empty() => Vec::new(),
                None => vec![unquote(value).to_string()],
            };
            pairs.push((key, values));
        }
        let get = |keys: &[&str]| {
            keys.iter().find_map(|k| {
                let (_, values) = pairs.iter().find(|(key, _)| key.eq_ignore_ascii_case(k))?;
                let values: Vec<&str> = values
                    .iter()
                    .map(|v| v.as_str())
                    .filter(|v| !v.is_empty())
                    .collect();
                (!values.is_empty()).then(|| values.join(", "))
            })
        };
        FrontMatter {
            title: get(TITLE_KEYS),
            byline: get(AUTHOR_KEYS),
            published: get(PUBLISHED_KEYS),
            url: get(URL_KEYS),
        }
    }
}

/// Strip whitespace and one pair of matching surrounding quotes.
fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"# Markets *rally* after [rate](https://x.example) cut

Shares **rose** sharply on Tuesday, with the [FTSE 100](https://ftse.example "FTSE")
closing up 2%.

![A trader at a desk](trader.jpg)

## What analysts said

- First point with `inline code`
- Second point
  - nested point

```rust
fn main() { println!("dropped"); }
```

<div class="ad">Raw HTML advert</div>

> A quoted remark.

Line one  
line two.
"#;

    #[test]
    fn converts_to_plain_text() {
        let e = to_text(DOC);
        assert_eq!(e.title.as_deref(), Some("Markets rally after rate cut"));
        assert_eq!(
            e.body,
            "Shares rose sharply on Tuesday, with the FTSE 100 closing up 2%.\n\n\
             What analysts said\n\n\
             First point with inline code\nSecond point\nnested point\n\n\
             A quoted remark.\n\n\
             Line one\nline two."
        );
    }

    #[test]
    fn front_matter_gives_metadata_and_stays_out_of_the_body() {
        let md = "---\ntitle: \"From front matter\"\nauthors:\n  - Ann\n  - Bob\ndate: 2024-06-20\nurl: https://e.example/a\n---\n\n# From front matter\n\nBody text here.\n";
        let e = to_text(md);
        assert_eq!(e.title.as_deref(), Some("From front matter"));
        assert_eq!(e.byline.as_deref(), Some("Ann, Bob"));
        assert_eq!(e.published.as_deref(), Some("2024-06-20"));
        assert_eq!(e.url.as_deref(), Some("https://e.example/a"));
        assert_eq!(e.body, "Body text here.");

        let toml =
            "+++\ntitle = 'T'\nauthor = [\"A\", \"B\"]\n+++\n\n# Different heading\n\nText.\n";
        let e = to_text(toml);
        assert_eq!(e.title.as_deref(), Some("T"));
        assert_eq!(e.byline.as_deref(), Some("A, B"));
        assert_eq!(e.body, "Different heading\n\nText.");
    }

    #[test]
    fn only_the_first_h1_is_the_title() {
        let e = to_text("Intro.\n\n# First\n\nA.\n\n# Second\n\nB.\n");
        assert_eq!(e.title.as_deref(), Some("First"));
        assert_eq!(e.body, "Intro.\n\nA.\n\nSecond\n\nB.");
    }

    #[test]
    fn tables_become_lines() {
        let e = to_text("| Team | Score |\n|---|---|\n| Reds | 2 |\n| Blues | 1 |\n");
        assert_eq!(e.body, "Team Score\nReds 2\nBlues 1");
    }

    #[test]
    fn only_images_and_code_gives_empty_body() {
        let e = to_text("![x](y.png)\n\n```\ncode\n```\n");
        assert_eq!(e.body, "");
    }

    #[test]
    fn deep_nesting_is_fast_and_keeps_text() {
        let quotes = format!("{} Deep quote.\n", ">".repeat(10_000));
        // Indentation makes nested lists quadratic in size: 1,000 levels is ~1 MB.
        let mut lists = String::new();
        for i in 0..1_000 {
            lists.push_str(&" ".repeat(2 * i));
            lists.push_str("- item\n");
        }
        let quotes_ok = |body: &str| body == "Deep quote.";
        let lists_ok = |body: &str| body.lines().filter(|l| *l == "item").count() == 1_000;
        for (doc, ok) in [
            (quotes, &quotes_ok as &dyn Fn(&str) -> bool),
            (lists, &lists_ok),
        ] {
            let start = std::time::Instant::now();
            let e = to_text(&doc);
            assert!(ok(&e.body), "{:?}", &e.body[..e.body.len().min(100)]);
            assert!(
                start.elapsed() < std::time::Duration::from_secs(3),
                "took {:?}",
                start.elapsed()
            );
        }
    }
}
