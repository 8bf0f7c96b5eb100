//! Sentence segmentation with byte offsets into the (cleaned) text.
//!
//! Rules, in order:
//! 1. Line structure: a blank line always ends a sentence. A single line break ends
//!    one unless the line continues on the next: after sentence-final punctuation
//!    only if that punctuation would not end a sentence there ("Mr.\nSmith",
//!    "etc.\nand"); after `,` `;` or a word-final hyphen always; otherwise if the next
//!    line starts in lowercase or, in hard-wrapped text (at least two lines of 30-150
//!    chars cut mid-sentence before a lowercase word or after a comma), if the line is
//!    at least two thirds as long as the widest such line (the first line of a text,
//!    a possible headline, only if it also ends with a word like "the" or "of"). List
//!    items ("- x", "1. x", "a) x") never continue the line before. Cleaning re-flows
//!    with the same rule, so on cleaned text every remaining line break is a boundary:
//!    one-sentence-per-line text comes out line by line and headings without a full
//!    stop stand alone.
//! 2. Inside a line, a run of `.` `!` `?` `…` (plus closing quotes and brackets, which
//!    stay with the sentence) followed by whitespace ends a sentence unless the next
//!    word starts in lowercase, or the period belongs to an abbreviation or initial:
//!    titles such as Mr./Dr./St. never end a sentence before a capitalised word;
//!    abbreviations such as U.S./Inc./etc./Jan. end one only before a common sentence
//!    opener ("The", "It", "But", …) or an opening quote; "No."/"p." before a number
//!    and a list number at a sentence start ("1. Item") never do; a single capital
//!    ("George W. Bush") ends one only after a lowercase word and before an opener.
//!    A clock time ("6 P.M.", "5:30 a.m.") ends one before any capitalised word but a
//!    day, month or time zone ("6 p.m. Friday", "9 a.m. ET", "… Moscow time").
//!    List markers never end a sentence: "1.)" (unless a bracket is open: "(see
//!    chapter 2.)"), and "a." / "1." after a colon, semicolon or comma, so inline
//!    items split where the item text ends, each with its marker.
//!    Periods not followed by whitespace (3.14, $1.13bn, bbc.co.uk, U.S.-led) never
//!    split. A closing quote after ? ! or … followed by an attribution ("Why?" Smith
//!    asked.) does not split; a line ending a quotation before a line opening one does.
//!    An ellipsis ("...", "…", ". . .") inside an open quotation does not split, and a
//!    bracketed one ("[...]", "(…)") marks an omission and never does.
//!    Text that lost its full stops (a picture caption run into the story, paragraphs
//!    joined without a stop) splits between a lowercase word and a capitalised
//!    sentence opener before a lowercase word: "…than a colleague The cost of…",
//!    "…of the club He has…" (not after "the", "of", "told" and such words that come
//!    before titles, not inside quotations or brackets; see `boundary::lost_stop_at`).
//! 3. CJK 。！？ end a sentence without needing a space.
//! 4. A span without letters or digits (a stray ". . .") joins the sentence before
//!    it (else the one after) in the same paragraph.
//! 5. A sentence longer than [`MAX_SENTENCE_CHARS`] is cut into chunks at the last
//!    "; " or ", " in the second half of the window, else at the last whitespace,
//!    else hard at a character boundary, so downstream models get bounded input.

use serde::{Deserialize, Serialize};

use super::boundary::{is_cjk_terminator, is_closer, is_terminator, lost_stop_at, splits_after};
use super::lines::{logical_lines, physical_lines};

/// Longest sentence, in characters, that [`segment`] emits; longer runs of text are
/// cut into chunks of at most this many characters.
pub const MAX_SENTENCE_CHARS: usize = 1000;

/// A sentence as a half-open byte range `[start, end)` into the cleaned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The sentence text.
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True if the span covers no bytes (never the case for spans from [`segment`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Split `text` into sentences: non-empty, trimmed, increasing, non-overlapping byte
/// ranges on character boundaries; the text between them is whitespace only. See the
/// module documentation for the rules.
pub fn segment(text: &str) -> Vec<Span> {
    let lines = physical_lines(text);
    let mut out = Vec::new();
    for l in logical_lines(text, &lines) {
        let (start, end) = (lines[l.first].start, lines[l.last].end);
        split_unit(text, start, end, &mut out);
    }
    merge_punctuation_only(text, out)
}

/// A span without a letter or digit (a stray ". . ." or "[…]") is no sentence: it
/// joins the sentence before it, or else the one after, within the same paragraph
/// and the length cap. A paragraph that is only punctuation (a "* * *" divider)
/// stays as it is.
fn merge_punctuation_only(text: &str, spans: Vec<Span>) -> Vec<Span> {
    let bare = |s: &Span| !s.text(text).chars().any(char::is_alphanumeric);
    let joinable = |a: &Span, b: &Span| {
        let gap = text.get(a.end..b.start).unwrap_or("\n\n");
        let chars = text
            .get(a.start..b.end)
            .map_or(usize::MAX, |t| t.chars().count());
        !gap.contains("\n\n") && chars <= MAX_SENTENCE_CHARS
    };
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    let mut pending: Option<Span> = None; // a bare span waiting for the next one
    for s in spans {
        if let Some(p) = pending.take() {
            if joinable(&p, &s) {
                out.push(Span {
                    start: p.start,
                    end: s.end,
                });
                continue;
            }
            out.push(p);
        }
        if bare(&s) {
            match out.last_mut() {
                Some(prev) if !bare(prev) && joinable(prev, &s) => prev.end = s.end,
                _ => pending = Some(s),
            }
        } else {
            out.push(s);
        }
    }
    out.extend(pending);
    out
}

/// Next char at byte `i`, if any.
fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

/// First non-whitespace byte at or after `i` (or `end`).
fn skip_ws(text: &str, mut i: usize, end: usize) -> usize {
    while i < end {
        match char_at(text, i) {
            Some(c) if c.is_whitespace() => i += c.len_utf8(),
            _ => break,
        }
    }
    i
}

/// Split one logical line `[start, end)` (already trimmed) into sentences.
fn split_unit(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let mut sent = start;
    let mut i = start;
    while i < end {
        let Some(c) = char_at(text, i) else { break };
        if is_cjk_terminator(c) {
            let j = consume_run(text, i, end);
            push_capped(text, sent, j, out);
            sent = skip_ws(text, j, end);
            i = sent;
            continue;
        }
        if is_terminator(c) {
            if let Some(j) = bracketed_ellipsis(text, i, end) {
                i = j; // "[...]", "(…)": an omission, not a sentence end
                continue;
            }
            let j = consume_run(text, i, end);
            if j >= end {
                break;
            }
            match char_at(text, j) {
                Some(w) if w.is_whitespace() => {
                    let k = skip_ws(text, j, end);
                    let newline = text.get(j..k).is_some_and(|g| g.contains('\n'));
                    if k < end && splits_after(text, sent, i, j, k, newline) {
                        push_capped(text, sent, j, out);
                        sent = k;
                        i = k;
                        continue;
                    }
                }
                _ => {}
            }
            i = j;
            continue;
        }
        if c == ' ' && lost_stop_at(text, sent, i, end) {
            push_capped(text, sent, i, out);
            sent = i + 1;
            i = sent;
            continue;
        }
        i += c.len_utf8();
    }
    if sent < end {
        push_capped(text, sent, end, out);
    }
}

/// If the terminator at `i` opens a bracketed ellipsis ("[...]", "[…]", "(...)",
/// "( . . . )"), the byte just past its closing bracket.
fn bracketed_ellipsis(text: &str, i: usize, end: usize) -> Option<usize> {
    let open = text.get(..i)?.chars().next_back()?;
    let close = match open {
        '[' => ']',
        '(' => ')',
        _ => return None,
    };
    let mut dots = 0;
    for (k, c) in text.get(i..end)?.char_indices().take(12) {
        match c {
            '.' => dots += 1,
            '…' => dots += 3,
            ' ' => {}
            c if c == close && dots >= 3 => return Some(i + k + c.len_utf8()),
            _ => return None,
        }
    }
    None
}

/// End of the punctuation run starting at the terminator at `i`: more terminators,
/// spaced ellipsis dots (". . ."), then closing quotes/brackets (and terminators after
/// them, as in `?”.`).
fn consume_run(text: &str, i: usize, end: usize) -> usize {
    let mut j = i;
    while j < end {
        let Some(c) = char_at(text, j) else { break };
        if is_terminator(c) || is_cjk_terminator(c) || is_closer(c) {
            j += c.len_utf8();
        } else if c == ' ' && text.get(j..).is_some_and(|s| s.starts_with(" .")) && {
            // spaced ellipsis: only continue a run of dots
            text.get(..j).is_some_and(|s| s.ends_with('.'))
        } {
            j += 1;
        } else {
            break;
        }
    }
    j
}

/// Push `[start, end)` trimmed, cut into chunks of at most [`MAX_SENTENCE_CHARS`].
fn push_capped(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let Some(s) = text.get(start..end) else {
        return;
    };
    let lead = s.len() - s.trim_start().len();
    let mut start = start + lead;
    let end = start + s.trim().len();
    while start < end {
        let piece = &text[start..end];
        // Byte offset just past MAX_SENTENCE_CHARS chars, if the piece is longer.
        let Some((limit, _)) = piece.char_indices().nth(MAX_SENTENCE_CHARS) else {
            out.push(Span { start, end });
            return;
        };
        let window = &piece[..limit];
        let half = window
            .char_indices()
            .nth(MAX_SENTENCE_CHARS / 2)
            .map_or(0, |(i, _)| i);
        let cut = window[half..]
            .rfind("; ")
            .or_else(|| window[half..].rfind(", "))
            .map(|i| half + i + 1)
            .or_else(|| {
                window
                    .char_indices()
                    .rev()
                    .find(|&(i, c)| c.is_whitespace() && i > 0)
                    .map(|(i, _)| i)
            })
            .unwrap_or(limit);
        let chunk = piece[..cut].trim_end();
        if !chunk.is_empty() {
            out.push(Span {
                start,
                end: start + chunk.len(),
            });
        }
        start = skip_ws(text, start + cut, end);
    }
}

#[cfg(test)]
mod tests;
