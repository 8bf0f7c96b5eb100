//! Repair of broken spacing inside a line, as left by machine paraphrasing,
//! OCR or careless copy-paste. Each rule is local and idempotent:
//!
//! - **Hyphen glued left** — `Kim Jong- us` → `Kim Jong-us`, `Russia- North Korea` →
//!   `Russia-North Korea`: a hyphen directly after a letter or digit, then one space,
//!   then a letter or digit, loses the space. Spaced hyphens (` - `), en/em dashes,
//!   list bullets (`- item`, which have no word before them) and suspended compounds
//!   (`pre- and post-war`, `10- to 15-minute`) are kept.
//! - **Lone possessive quote** — `officials ‘ claims` → `officials’ claims`: a single
//!   quote mark (‘ ’ or ') standing alone between spaces after a word ending in "s"
//!   (not a function word like "was" or "his") and before a word is a plural
//!   possessive apostrophe; it is written ’ and attached to the left.
//! - **Detached possessive** — `Kim Jong Un ’s father` → `Kim Jong Un’s father`.
//! - **Misplaced opening quote** — `signing a” complete proper relationship”.` →
//!   `signing a “complete proper relationship”.`: a ” glued to the word before it and
//!   followed by a space and a word, while no “ is open, and with another ” later in
//!   the same sentence (before any “ or sentence end) is an opening quote: it becomes
//!   “ attached to the following word.
//! - **Space before punctuation** — `word ,` → `word,` for `, . ; : ! ?` after a word
//!   (or closing quote/bracket/%) when the mark is followed by a space, the line end or
//!   a closing quote. Not before digits (`.5`, `1 ,000` stays) and not in
//!   ellipses (`word ...`, `. . .`).

use std::borrow::Cow;

use super::boundary::is_closer;
use super::offset_map::MapBuilder;

/// Words ending in "s" that are not plural nouns, so a following lone quote is not
/// their possessive apostrophe.
const NOT_PLURAL: &[&str] = &[
    "as", "does", "goes", "has", "his", "is", "its", "less", "plus", "says", "this", "thus",
    "unless", "us", "was", "whereas", "yes",
];

/// Words after a hanging hyphen that mark a suspended compound ("pre- and post-war").
const SUSPENDED: &[&str] = &["and", "or", "to", "nor", "&", "und", "bis", "et", "ou"];

fn char_at(s: &str, i: usize) -> Option<char> {
    s.get(i..).and_then(|t| t.chars().next())
}

fn char_before(s: &str, i: usize) -> Option<char> {
    s.get(..i).and_then(|t| t.chars().next_back())
}

/// The word ending at byte `i` (exclusive), letters/digits/apostrophes only.
fn word_before(s: &str, i: usize) -> &str {
    let head = s.get(..i).unwrap_or("");
    let start = head
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|(k, c)| k + c.len_utf8())
        .unwrap_or(0);
    &head[start..]
}

/// The word starting at byte `i`.
fn word_after(s: &str, i: usize) -> &str {
    let tail = s.get(i..).unwrap_or("");
    let end = tail
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '&'))
        .map(|(k, _)| k)
        .unwrap_or(tail.len());
    &tail[..end]
}

/// One edit: replace `line[start..end]` with `with`.
struct Edit {
    start: usize,
    end: usize,
    with: &'static str,
}

/// Find the edits for one line, in order, non-overlapping.
fn edits(line: &str) -> Vec<Edit> {
    let mut out = Vec::new();
    let mut open_double = false;
    let mut i = 0;
    while i < line.len() {
        let Some(c) = char_at(line, i) else { break };
        let clen = c.len_utf8();
        match c {
            ' ' => {
                if let Some(e) = space_rule(line, i) {
                    i = e.end;
                    out.push(e);
                    continue;
                }
            }
            '-' | '\u{2010}' => {
                let before = char_before(line, i);
                let after_space = line.get(i + clen..).is_some_and(|t| t.starts_with(' '));
                let next = char_at(line, i + clen + 1);
                if before.is_some_and(char::is_alphanumeric)
                    && after_space
                    && next.is_some_and(char::is_alphanumeric)
                    && !SUSPENDED.contains(&word_after(line, i + clen + 1).to_lowercase().as_str())
                {
                    out.push(Edit {
                        start: i + clen,
                        end: i + clen + 1,
                        with: "",
                    });
                    i += clen + 1;
                    continue;
                }
            }
            '“' => open_double = true,
            '”' => {
                let glued = char_before(line, i).is_some_and(char::is_alphanumeric);
                let then_word = line.get(i + clen..).is_some_and(|t| t.starts_with(' '))
                    && char_at(line, i + clen + 1).is_some_and(char::is_alphanumeric);
                // Each look-ahead stops at the first ”, “ or sentence end, and the
                // next candidate lies beyond it: the scans never overlap.
                if !open_double && glued && then_word && find_closer(line, i + clen + 1).is_some() {
                    out.push(Edit {
                        start: i,
                        end: i + clen + 1,
                        with: " “",
                    });
                    open_double = true;
                    i += clen + 1;
                    continue;
                }
                open_double = false;
            }
            _ => {}
        }
        i += clen;
    }
    out
}

/// Position of the next ” after `from` in the same sentence with no “ before it.
fn find_closer(line: &str, from: usize) -> Option<usize> {
    let tail = line.get(from..)?;
    let mut it = tail.char_indices().peekable();
    while let Some((k, c)) = it.next() {
        match c {
            '”' => return Some(from + k),
            '“' => return None,
            '.' | '!' | '?' if it.peek().is_none_or(|&(_, n)| n.is_whitespace()) => {
                return None;
            }
            _ => {}
        }
    }
    None
}

/// Rules that start at a space at byte `i`.
fn space_rule(line: &str, i: usize) -> Option<Edit> {
    let prev = char_before(line, i)?;
    let next = char_at(line, i + 1)?;
    let after = line.get(i + 1 + next.len_utf8()..).unwrap_or("");
    let after_c = after.chars().next();
    match next {
        ',' | '.' | ';' | ':' | '!' | '?' => {
            let word_like = prev.is_alphanumeric() || is_closer(prev) || prev == '%';
            let ends = after_c.is_none_or(|c| matches!(c, ' ' | '”' | '’' | '"' | '\'' | '»'));
            let ellipsis = next == '.' && after.starts_with(" .");
            (word_like && ends && !ellipsis).then_some(Edit {
                start: i,
                end: i + 1,
                with: "",
            })
        }
        '‘' | '’' | '\'' => {
            if prev.is_alphabetic() && after.starts_with('s') {
                // "Un ’s father": detached possessive
                let past = after.get(1..).and_then(|t| t.chars().next());
                return past.is_none_or(|c| !c.is_alphanumeric()).then_some(Edit {
                    start: i,
                    end: i + 1,
                    with: "",
                });
            }
            let w = word_before(line, i);
            let plural = (w.ends_with('s') || w.ends_with('S'))
                && w.chars().count() > 2
                && !NOT_PLURAL.contains(&w.to_lowercase().as_str());
            let lone = after.starts_with(' ')
                && after
                    .get(1..)
                    .and_then(|t| t.chars().next())
                    .is_some_and(char::is_alphabetic);
            (plural && lone).then_some(Edit {
                start: i,
                end: i + 1 + next.len_utf8(),
                with: "’",
            })
        }
        _ => None,
    }
}

/// Append `src[start..end]` (one line) to `b` with spacing repairs applied.
pub(crate) fn emit_line(b: &mut MapBuilder, src: &str, start: usize, end: usize) {
    let Some(line) = src.get(start..end) else {
        return;
    };
    let mut copied = 0;
    for e in edits(line) {
        b.push_copy(src, start + copied, start + e.start);
        b.push_replace(e.with, start + e.start, start + e.end);
        copied = e.end;
    }
    b.push_copy(src, start + copied, end);
}

/// `line` with spacing repairs applied (borrowed when nothing changes).
pub(crate) fn repair(line: &str) -> Cow<'_, str> {
    let edits = edits(line);
    if edits.is_empty() {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    for e in edits {
        out.push_str(&line[copied..e.start]);
        out.push_str(e.with);
        copied = e.end;
    }
    out.push_str(&line[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::{emit_line, MapBuilder};

    fn repair(line: &str) -> String {
        let via_repair = super::repair(line).into_owned();
        let mut b = MapBuilder::new(None, line.len());
        emit_line(&mut b, line, 0, line.len());
        let (emitted, _) = b.finish();
        assert_eq!(emitted, via_repair);
        emitted
    }

    #[test]
    fn hyphen_glued_left_is_joined() {
        assert_eq!(
            repair("meet with the North Korean president, Kim Jong- us, and"),
            "meet with the North Korean president, Kim Jong-us, and"
        );
        assert_eq!(
            repair("the closest Russia- North Korea empire"),
            "the closest Russia-North Korea empire"
        );
        assert_eq!(
            repair("the Soviet- North Korean alliance"),
            "the Soviet-North Korean alliance"
        );
        assert_eq!(repair("pages 10- 12"), "pages 10-12");
    }

    #[test]
    fn dashes_lists_and_suspended_compounds_are_kept() {
        for s in [
            "Moscow - Pyongyang",
            "Moscow – Pyongyang",
            "Moscow—Pyongyang",
            "- item one",
            "pre- and post-war",
            "a 10- to 15-minute walk",
            "short- or long-term",
            "word -5 degrees",
        ] {
            assert_eq!(repair(s), s);
        }
    }

    #[test]
    fn lone_quote_after_plural_is_possessive() {
        assert_eq!(
            repair("despite both officials ‘ claims that they struck"),
            "despite both officials’ claims that they struck"
        );
        assert_eq!(
            repair("on the Russian forces ‘ growing pressure"),
            "on the Russian forces’ growing pressure"
        );
        assert_eq!(repair("the players ' union"), "the players’ union");
        // not after function words, not when the quote is not alone
        assert_eq!(repair("it was ‘ great ’ news"), "it was ‘ great ’ news");
        assert_eq!(repair("the ‘special operation’"), "the ‘special operation’");
        assert_eq!(repair("Kim Jong Un ’s father"), "Kim Jong Un’s father");
    }

    #[test]
    fn misplaced_opening_quote_is_turned() {
        assert_eq!(
            repair("and signing a” complete proper relationship”."),
            "and signing a “complete proper relationship”."
        );
        // a real closing quote stays
        assert_eq!(
            repair("he called it “historic” and left. Later a” thing”."),
            "he called it “historic” and left. Later a “thing”."
        );
        // no closer later in the sentence: leave it
        assert_eq!(repair("said a” no. Then” x"), "said a” no. Then” x");
    }

    #[test]
    fn space_before_punctuation() {
        assert_eq!(repair("word , next ; last ."), "word, next; last.");
        assert_eq!(repair("Really ? Yes !"), "Really? Yes!");
        assert_eq!(repair("“quoted” , he said"), "“quoted”, he said");
        assert_eq!(repair("wait ... what"), "wait ... what");
        assert_eq!(repair("wait . . . what"), "wait . . . what");
        assert_eq!(repair("costs .5% and 1 ,000"), "costs .5% and 1 ,000");
        assert_eq!(repair("a :) face"), "a :) face");
    }

    #[test]
    fn repairs_are_idempotent() {
        for s in [
            "Kim Jong- us , and a” complete relationship” officials ‘ claims",
            "pre- and post-war ; x ,y",
        ] {
            let once = repair(s);
            assert_eq!(repair(&once), once);
        }
    }
}
