//! Line structure shared by cleaning and segmentation: physical lines, list items,
//! hard-wrap detection and the rule that decides whether a line continues on the
//! next one. Cleaning re-flows with exactly this rule and segmentation treats every
//! line break it does not join as a sentence boundary, so the two always agree.

use super::boundary::{
    is_cjk_terminator, is_closer, is_terminator, splits_after, starts_lowercase,
};

/// A physical line: byte range of its content with surrounding whitespace trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    pub start: usize,
    pub end: usize,
}

impl Line {
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }
    pub fn is_blank(&self) -> bool {
        self.start >= self.end
    }
}

/// Split on `\n` and trim each line (so `\r\n` text works too).
pub(crate) fn physical_lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut pos = 0;
    for raw in text.split('\n') {
        let lead = raw.len() - raw.trim_start().len();
        let trimmed = raw.trim();
        let start = pos + lead;
        out.push(Line {
            start,
            end: start + trimmed.len(),
        });
        pos += raw.len() + 1;
    }
    out
}

/// If `line` ends with sentence-final punctuation (possibly followed by closing
/// quotes/brackets), the byte offset of the first terminator of that final run.
pub(crate) fn trailing_terminal(text: &str, line: Line) -> Option<usize> {
    terminal_run_start(line.text(text)).map(|i| line.start + i)
}

/// Offset in `s` of the final run of sentence-final punctuation (before any
/// closing quotes/brackets), if `s` ends with one.
pub(crate) fn terminal_run_start(s: &str) -> Option<usize> {
    let mut first_term = None;
    for (i, c) in s.char_indices().rev() {
        if is_terminator(c) || is_cjk_terminator(c) {
            first_term = Some(i);
        } else if !is_closer(c) {
            break;
        }
    }
    first_term
}

/// "- item", "* item", "• item", "1. item", "1.) item", "2) item", "(a) item", "a) item".
pub(crate) fn is_list_item(s: &str) -> bool {
    let mut cs = s.chars();
    let Some(first) = cs.next() else {
        return false;
    };
    if matches!(first, '-' | '*' | '•' | '·' | '▪' | '◦' | '–' | '—') {
        return matches!(cs.next(), Some(' ') | None);
    }
    let body = s.strip_prefix('(').unwrap_or(s);
    let marker_len = body
        .char_indices()
        .find(|&(_, c)| !c.is_ascii_alphanumeric())
        .map(|(i, _)| i)
        .unwrap_or(body.len());
    let (marker, rest) = body.split_at(marker_len);
    if marker.is_empty() || !super::abbrev::is_list_number(marker) {
        return false;
    }
    let mut rc = rest.chars();
    let punct = rc.next();
    let after = rc.next();
    let numeric = marker.chars().all(|c| c.is_ascii_digit());
    match punct {
        Some(')') => after == Some(' '),
        // "1. Text" is a list; "A. Smith" is an initial, "i. e." nonsense: only
        // digits or lowercase letters take a period.
        // "1.) Text", "a.) Text": unambiguous with the bracket.
        Some('.') if after == Some(')') => rc.next() == Some(' '),
        Some('.') => {
            after == Some(' ') && (numeric || marker.chars().all(|c| c.is_ascii_lowercase()))
        }
        _ => false,
    }
}

/// Minimum lines of evidence before text is treated as hard-wrapped.
const WRAP_EVIDENCE: usize = 2;

/// Detect hard-wrapped text (lines broken at a fixed width mid-sentence). Evidence is
/// a line of 30-150 chars without final punctuation, continued on the next line of the
/// same paragraph in lowercase or after a comma. With enough evidence, returns the
/// length in chars from which an unpunctuated line counts as wrapped (two thirds of
/// the widest evidence line); shorter lines are kept as headings.
pub(crate) fn detect_wrap(text: &str, lines: &[Line]) -> Option<usize> {
    let mut count = 0;
    let mut widest = 0;
    for pair in lines.windows(2) {
        let (p, n) = (pair[0], pair[1]);
        if p.is_blank() || n.is_blank() {
            continue;
        }
        let (ps, ns) = (p.text(text), n.text(text));
        if trailing_terminal(text, p).is_some() || is_list_item(ns) {
            continue;
        }
        let len = ps.chars().count();
        if !(30..=150).contains(&len) {
            continue;
        }
        if starts_lowercase(ns) || ps.ends_with(',') {
            count += 1;
            widest = widest.max(len);
        }
    }
    (count >= WRAP_EVIDENCE).then(|| (widest * 2 / 3).max(25))
}

/// Does line `prev` continue on line `next` (same paragraph)? `unit_start` is where
/// the logical line containing `prev` begins; `first` marks the document's first line
/// (a likely headline, joined on length only if it ends with a function word).
///
/// - after sentence-final punctuation: only if that punctuation would not end a
///   sentence before `next` with a line break in between ("Mr.\nSmith", "etc.\nand");
/// - after `,` `;` or a word-final hyphen: always;
/// - otherwise if `next` starts in lowercase, or the text is hard-wrapped and
///   `prev` is at least the wrap threshold long.
///
/// List items never join the line before them.
pub(crate) fn joins(
    text: &str,
    unit_start: usize,
    prev: Line,
    next: Line,
    wrap: Option<usize>,
    first: bool,
) -> bool {
    let (ps, ns) = (prev.text(text), next.text(text));
    if ps.is_empty() || ns.is_empty() || is_list_item(ns) {
        return false;
    }
    if let Some(term) = trailing_terminal(text, prev) {
        return !splits_after(text, unit_start, term, prev.end, next.start, true);
    }
    let mut tail = ps.chars().rev();
    match (tail.next(), tail.next()) {
        (Some(',' | ';'), _) => return true,
        (Some('-'), Some(c)) if c.is_alphabetic() => return true,
        _ => {}
    }
    if starts_lowercase(ns) {
        return true;
    }
    match wrap {
        // The first line may be a headline: join it on length only if it ends with
        // a word no headline ends with.
        Some(t) => ps.chars().count() >= t && (!first || ends_with_function_word(ps)),
        None => false,
    }
}

/// Words that cannot end a headline or a sentence: a line ending in one is cut.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "her", "his", "in", "into", "its",
    "of", "on", "or", "our", "that", "the", "their", "to", "was", "were", "with",
];

fn ends_with_function_word(s: &str) -> bool {
    s.rsplit(' ')
        .next()
        .is_some_and(|w| FUNCTION_WORDS.contains(&w))
}

/// A logical line: physical lines `first..=last` joined by [`joins`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Logical {
    pub first: usize,
    pub last: usize,
    /// A blank line (paragraph break) precedes it.
    pub blank_before: bool,
}

/// Group non-blank physical lines into logical lines.
pub(crate) fn logical_lines(text: &str, lines: &[Line]) -> Vec<Logical> {
    let wrap = detect_wrap(text, lines);
    let mut out: Vec<Logical> = Vec::new();
    let mut blank = false;
    let mut prev_nonblank: Option<usize> = None; // index of previous physical line if adjacent
    let first_nonblank = lines.iter().position(|l| !l.is_blank());
    for (i, l) in lines.iter().enumerate() {
        if l.is_blank() {
            blank = true;
            prev_nonblank = None;
            continue;
        }
        if let (Some(p), Some(cur)) = (prev_nonblank, out.last_mut()) {
            let unit_start = lines[cur.first].start;
            if joins(
                text,
                unit_start,
                lines[p],
                *l,
                wrap,
                Some(p) == first_nonblank,
            ) {
                cur.last = i;
                prev_nonblank = Some(i);
                continue;
            }
        }
        out.push(Logical {
            first: i,
            last: i,
            blank_before: blank && !out.is_empty(),
        });
        blank = false;
        prev_nonblank = Some(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logical(text: &str) -> Vec<String> {
        let lines = physical_lines(text);
        logical_lines(text, &lines)
            .iter()
            .map(|l| text[lines[l.first].start..lines[l.last].end].replace('\n', " "))
            .collect()
    }

    #[test]
    fn list_items() {
        for s in [
            "- item", "* item", "• item", "1. First", "12) x", "(a) x", "a) x", "iv. x", "1.) x",
            "B.) x",
        ] {
            assert!(is_list_item(s), "{s}");
        }
        for s in [
            "-item",
            "A. Smith said",
            "2019. It",
            "Word",
            "",
            "1.5 million",
            "U.S. troops",
        ] {
            assert!(!is_list_item(s), "{s}");
        }
    }

    #[test]
    fn one_sentence_per_line_is_kept() {
        let t = "Headline here\n\nFirst sentence.\nSecond one in the U.S.\nThe third.\n\"Quoted,\" he said.";
        assert_eq!(
            logical(t),
            vec![
                "Headline here",
                "First sentence.",
                "Second one in the U.S.",
                "The third.",
                "\"Quoted,\" he said."
            ]
        );
    }

    #[test]
    fn lowercase_continuations_join() {
        let t = "The minister said on Monday that the\nplan would go ahead, and that\nthe No. 10 team agreed.\nMr.\nSmith left.\nThey had,\nIn fact, left.";
        assert_eq!(
            logical(t),
            vec![
                "The minister said on Monday that the plan would go ahead, and that the No. 10 team agreed.",
                "Mr. Smith left.",
                "They had, In fact, left."
            ]
        );
        // Without hard-wrap evidence a capitalised line stays separate.
        assert_eq!(
            logical(
                "Key points
The plan is set."
            ),
            vec!["Key points", "The plan is set."]
        );
    }

    #[test]
    fn headings_are_not_joined() {
        let t = "Harks up to WWII\nKim Il Sung was largely unknown.\nA short heading\nText follows here.";
        assert_eq!(logical(t).len(), 4);
    }

    #[test]
    fn hard_wrapped_text_is_reflowed() {
        let t = "Headline Of The Story\n\nThe Russian president, Vladimir Putin, has spent two days in\nPyongyang, meeting the North Korean leader Kim Jong Un, and signing\na treaty that both sides described as a new chapter in their\nrelations. The Kremlin claimed that the deal would entail that\nRussia and North Korea would support each other.\n\nHarks up to WWII\n\nKim Il Sung was a relatively mysterious communist in charge of a\nsmall guerrilla group.";
        let l = logical(t);
        assert_eq!(l.len(), 4, "{l:#?}");
        assert_eq!(l[0], "Headline Of The Story");
        assert!(l[1].starts_with("The Russian") && l[1].ends_with("each other."));
        assert_eq!(l[2], "Harks up to WWII");
        assert!(l[3].contains("of a small"));
        assert!(detect_wrap(t, &physical_lines(t)).is_some());
    }

    #[test]
    fn hyphen_at_line_end_joins() {
        assert_eq!(logical("a long-\nterm plan"), vec!["a long- term plan"]);
    }
}
