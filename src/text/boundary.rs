//! Sentence punctuation and the rule that decides whether a run of it ends a
//! sentence. Segmentation applies the rule inside a line, and line joining
//! ([`super::lines`], which cleaning re-flows with) at a line break, so cleaning and
//! segmentation agree on every boundary. Both use this module; it uses neither.

use super::abbrev;

/// Sentence-final punctuation outside CJK text.
pub(crate) fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '‼' | '⁇' | '⁈' | '⁉' | '‽')
}

/// CJK full stops and marks: they end a sentence with no space after them.
pub(crate) fn is_cjk_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '｡')
}

/// Closing quotes and brackets that belong to the sentence they follow.
pub(crate) fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '”'
            | '’'
            | ')'
            | ']'
            | '}'
            | '»'
            | '›'
            | '」'
            | '』'
            | '】'
            | '〕'
            | '）'
            | '］'
            | '〉'
            | '》'
    )
}

/// Opening quotes and brackets that may precede a sentence's first word.
pub(crate) fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '“'
            | '‘'
            | '('
            | '['
            | '{'
            | '«'
            | '‹'
            | '¿'
            | '¡'
            | '„'
            | '‚'
            | '「'
            | '『'
            | '【'
            | '〔'
            | '（'
            | '［'
            | '〈'
            | '《'
    )
}

/// Does `s` begin with a lowercase word (after opening punctuation)? Words like
/// "iPhone" or "eBay" (lowercase then uppercase) count as capitalised.
pub(crate) fn starts_lowercase(s: &str) -> bool {
    let mut cs = s.chars().skip_while(|&c| is_opener(c));
    match (cs.next(), cs.next()) {
        (Some(a), Some(b)) => a.is_lowercase() && !b.is_uppercase(),
        (Some(a), None) => a.is_lowercase(),
        _ => false,
    }
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
    if starts_lowercase(rest) {
        return false;
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
    let (tok, tok_start) = token_before(text, sent, term);
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
    if abbrev::can_end(tok) {
        if next_digit {
            return false;
        }
        return newline || quoted || abbrev::is_starter(next_word);
    }
    true
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_detection() {
        assert!(starts_lowercase("the") && starts_lowercase("“the") && starts_lowercase("a"));
        assert!(!starts_lowercase("iPhone") && !starts_lowercase("The") && !starts_lowercase("3"));
    }
}
