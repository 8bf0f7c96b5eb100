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
//! 3. CJK 。！？ end a sentence without needing a space.
//! 4. A span without letters or digits (a stray ". . .") joins the sentence before
//!    it (else the one after) in the same paragraph.
//! 5. A sentence longer than [`MAX_SENTENCE_CHARS`] is cut into chunks at the last
//!    "; " or ", " in the second half of the window, else at the last whitespace,
//!    else hard at a character boundary, so downstream models get bounded input.

use serde::{Deserialize, Serialize};

use super::abbrev;
use super::lines::{
    is_cjk_terminator, is_closer, is_opener, is_terminator, logical_lines, physical_lines,
    starts_lowercase,
};

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

/// The word before byte `term` (the sentence's last token, without its period),
/// stripped of opening and closing punctuation, and the byte where it begins.
fn token_before(text: &str, sent: usize, term: usize) -> (&str, usize) {
    let Some(head) = text.get(sent..term) else {
        return ("", term);
    };
    let tok_start = head
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace())
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let raw = &head[tok_start..];
    let lead = raw.len() - raw.trim_start_matches(is_opener).len();
    let tok = raw
        .trim_start_matches(is_opener)
        .trim_end_matches(is_closer);
    (tok, sent + tok_start + lead)
}

/// The word starting at byte `i` (after opening punctuation), up to whitespace or
/// punctuation other than an apostrophe; and whether it was preceded by an opening
/// quote.
fn word_at(text: &str, i: usize) -> (&str, bool) {
    let s = text.get(i..).unwrap_or("");
    let body = s.trim_start_matches(is_opener);
    let quoted = s[..s.len() - body.len()]
        .chars()
        .any(|c| matches!(c, '"' | '“' | '‘' | '\'' | '«' | '„'));
    let end = body
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .map(|(k, _)| k)
        .unwrap_or(body.len());
    (&body[..end], quoted)
}

/// Does the punctuation run `text[term..run_end]` end a sentence, given that the next
/// sentence would start at `next` (first non-space after the run) and the current one
/// started at `sent`? `newline`: a line break lies between (a stronger boundary, so
/// abbreviations that can end a sentence do).
pub(crate) fn splits_after(
    text: &str,
    sent: usize,
    term: usize,
    run_end: usize,
    next: usize,
    newline: bool,
) -> bool {
    let rest = text.get(next..).unwrap_or("");
    let run = text.get(term..run_end).unwrap_or("");
    let quote_closed = run.contains(is_closing_quote);
    if newline && quote_closed && rest.starts_with(is_opening_quote) {
        return true; // a quotation ends the line, another starts the next
    }
    if starts_lowercase(rest) && !letter_item_at(rest) {
        return false;
    }
    let (tok, tok_start) = token_before(text, sent, term);
    if list_marker(text, sent, tok, tok_start, run) {
        return false; // "1.) Item", "demands: a. Item"
    }
    let ellipsis = run
        .trim_end_matches(is_closer)
        .chars()
        .all(|c| matches!(c, '.' | '…' | ' '))
        && (run.contains('…') || run.matches('.').count() > 1);
    if ellipsis && !quote_closed && inside_quotation(text, sent, term) {
        return false; // '"I was . . . I was scared," she said.'
    }
    if run.contains(|c: char| c != '.' && is_terminator(c)) || run.matches('.').count() > 1 {
        // ? ! ‽ … or "..." before a non-lowercase word, unless it closes a quotation
        // that an attribution follows: "Why?" Smith asked.
        // Only for a plain run (marks, then quotes): `?'."` ends with a full stop.
        let plain = run
            .trim_end_matches(is_closer)
            .chars()
            .all(|c| is_terminator(c) || c == ' ');
        return !(quote_closed && plain && !newline && attribution_at(text, next));
    }
    if run.contains(is_closer) {
        return true; // `."` `.)`: the period closes a quotation or aside
    }
    if tok.is_empty() {
        return true;
    }
    let (next_word, quoted) = word_at(text, next);
    let next_digit = rest.starts_with(|c: char| c.is_ascii_digit());
    let at_sentence_start = text
        .get(sent..tok_start)
        .is_some_and(|s| s.chars().all(|c| is_opener(c) || c.is_whitespace()));
    if at_sentence_start && abbrev::is_list_number(tok) && !abbrev::is_initial(tok) {
        return false; // "1. Item", "a. Item", "iv. Item"
    }
    if abbrev::before_number(tok) && next_digit {
        return false;
    }
    if abbrev::never_ends(tok) {
        return false;
    }
    if abbrev::is_initial(tok) {
        let prev_lower = text
            .get(sent..tok_start)
            .and_then(|s| s.split_whitespace().next_back())
            .is_some_and(|w| w.chars().next().is_some_and(char::is_lowercase));
        return prev_lower && (abbrev::is_starter(next_word) || quoted);
    }
    if abbrev::is_clock_suffix(tok) && after_clock_time(text, sent, tok, tok_start) {
        // "at 6 P.M. Mr. Smith left": a time ends a sentence before a capitalised
        // word, but not before a day, month or zone ("5 p.m. Friday", "9 a.m. ET").
        return !next_digit && !abbrev::follows_time(next_word) && !time_word_after(text, next);
    }
    if abbrev::can_end(tok) {
        if next_digit {
            return false;
        }
        return newline || quoted || abbrev::is_starter(next_word);
    }
    true
}

/// Is the token before a period a list marker rather than a sentence's last word?
/// A list number ("1", "b", "iv") before ".)" when no bracket is open in the sentence
/// ("1.) Item", not "(see chapter 2.)"), or before "." after a colon, semicolon or
/// comma ("demands: a. Item"). Markers at a sentence start are handled by the caller.
fn list_marker(text: &str, sent: usize, tok: &str, tok_start: usize, run: &str) -> bool {
    if !abbrev::is_list_number(tok) {
        return false;
    }
    let before = text.get(sent..tok_start).unwrap_or("");
    if run == ".)" {
        // Look back a bounded window: linear overall.
        let from = before.len().saturating_sub(200);
        let window = before.get(from..).unwrap_or(before);
        let open = window
            .rfind('(')
            .is_some_and(|o| !window[o..].contains(')'));
        return !open;
    }
    run == "." && !abbrev::is_initial(tok) && before.trim_end().ends_with([':', ';', ','])
}

/// Does `rest` open with a lettered list item, "b. Cut spending"?
fn letter_item_at(rest: &str) -> bool {
    let marker_len = rest
        .bytes()
        .take(5)
        .take_while(u8::is_ascii_lowercase)
        .count();
    let (marker, after) = rest.split_at(marker_len);
    let Some(after) = after.strip_prefix(". ") else {
        return false;
    };
    marker_len <= 4
        && abbrev::is_list_number(marker)
        && after.starts_with(|c: char| c.is_uppercase())
}

/// Does the sentence from `sent` to `term` have a quotation open at `term`? Counts
/// double quotes (straight ones by parity) and curly single quotes over a bounded
/// window before `term`.
fn inside_quotation(text: &str, sent: usize, term: usize) -> bool {
    let from = term.saturating_sub(MAX_SENTENCE_CHARS).max(sent);
    let mut from = from;
    while from < term && !text.is_char_boundary(from) {
        from += 1;
    }
    let Some(s) = text.get(from..term) else {
        return false;
    };
    let (mut straight, mut curly, mut single) = (0usize, 0i32, 0i32);
    for c in s.chars() {
        match c {
            '"' => straight += 1,
            '“' | '«' | '„' => curly += 1,
            '”' | '»' => curly = (curly - 1).max(0),
            '‘' => single += 1,
            '’' if single > 0 => single -= 1, // else an apostrophe
            _ => {}
        }
    }
    straight % 2 == 1 || curly > 0 || single > 0
}

/// Does `tok` (a clock suffix) follow a time: "6 P.M", "6:30 p.m", "6p.m"?
fn after_clock_time(text: &str, sent: usize, tok: &str, tok_start: usize) -> bool {
    if tok.starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    text.get(sent..tok_start)
        .and_then(|s| s.split_whitespace().next_back())
        .is_some_and(|w| {
            w.ends_with(|c: char| c.is_ascii_digit())
                && w.chars()
                    .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
        })
}

/// Is the word after the one at `next` "time" ("9 a.m. Moscow time")?
fn time_word_after(text: &str, next: usize) -> bool {
    let mut words = text.get(next..).unwrap_or("").split_whitespace();
    words.next();
    words.next().is_some_and(|w| {
        w.trim_end_matches(|c: char| !c.is_alphanumeric())
            .eq_ignore_ascii_case("time")
    })
}

fn is_closing_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | '»' | '›' | '」' | '』')
}

fn is_opening_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '‘' | '«' | '‹' | '„' | '「' | '『')
}

/// Verbs of an attribution after a quotation ("Smith said", "she later recalled").
const SPEECH_VERBS: &[&str] = &[
    "acknowledged",
    "added",
    "adds",
    "admitted",
    "admits",
    "answered",
    "argued",
    "argues",
    "asked",
    "asks",
    "claimed",
    "claims",
    "commented",
    "concluded",
    "continued",
    "cried",
    "declared",
    "exclaimed",
    "explained",
    "explains",
    "insisted",
    "insists",
    "joked",
    "laughed",
    "noted",
    "notes",
    "posted",
    "recalled",
    "recalls",
    "remarked",
    "replied",
    "replies",
    "said",
    "says",
    "shouted",
    "stated",
    "suggested",
    "tells",
    "told",
    "tweeted",
    "warned",
    "warns",
    "whispered",
    "wrote",
    "writes",
];

/// Does an attribution start at byte `i`: up to three capitalised words (a name, or
/// "Mr. Smith"), an optional adverb, then a speech verb?
fn attribution_at(text: &str, i: usize) -> bool {
    let mut words = text.get(i..).unwrap_or("").split_whitespace();
    let mut names = 0;
    let mut word = words.next();
    while let Some(w) = word {
        if names < 3 && w.chars().next().is_some_and(char::is_uppercase) {
            names += 1;
            word = words.next();
        } else {
            break;
        }
    }
    let clean = |w: &str| {
        w.trim_end_matches(|c: char| !c.is_alphanumeric())
            .to_string()
    };
    let Some(mut w) = word.map(clean) else {
        return false;
    };
    if names > 0 && (w.ends_with("ly") || ["later", "then", "also", "once"].contains(&w.as_str())) {
        w = words.next().map(clean).unwrap_or_default();
    }
    names > 0 && SPEECH_VERBS.contains(&w.as_str())
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
