//! Sentence punctuation and the rule that decides whether a run of it ends a
//! sentence. Segmentation applies the rule inside a line, and line joining
//! ([`super::lines`], which cleaning re-flows with) at a line break, so cleaning and
//! segmentation agree on every boundary. Both use this module; it uses neither.

use super::abbrev;

/// Bytes looked back for an open quotation: no sentence is longer (see
/// `segment::MAX_SENTENCE_CHARS`), so the scan stays linear.
const QUOTE_WINDOW: usize = 1000;

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

/// Capitalised words that open a sentence and, before a lowercase word, almost never
/// stand inside one: where text lost its full stops ("…higher than a colleague The
/// cost of divorce…", a picture caption run into the story) they mark the boundary.
/// "A" is left out ("grade A students"), as are names and "The" before a capital ("The
/// Hague").
const LOST_STOP_OPENERS: &[&str] = &[
    "The", "An", "He", "She", "It", "They", "We", "His", "Her", "Their", "Its", "This", "These",
    "Those", "In", "But",
];

/// Lowercase words that may stand right before a capitalised title or name ("of The
/// sun newspaper", "the film The artist", "told The paper"), so never end a sentence
/// that lost its full stop.
const BEFORE_TITLE: &[&str] = &[
    "a",
    "about",
    "an",
    "and",
    "as",
    "at",
    "by",
    "called",
    "dubbed",
    "entitled",
    "film",
    "for",
    "from",
    "in",
    "into",
    "like",
    "magazine",
    "movie",
    "named",
    "newspaper",
    "nor",
    "novel",
    "of",
    "on",
    "onto",
    "or",
    "read",
    "reads",
    "said",
    "saw",
    "says",
    "see",
    "series",
    "show",
    "song",
    "starring",
    "than",
    "the",
    "titled",
    "to",
    "told",
    "upon",
    "via",
    "watch",
    "with",
    "wrote",
];

/// Does the single space at `space` (inside a line, in the sentence begun at `sent`)
/// end a sentence whose full stop was lost? Only between a lowercase word and a
/// [`LOST_STOP_OPENERS`] word followed by a lowercase word ("…of the club He has
/// impressed…"), with two words or more on the left and three on the right, outside
/// quotations and brackets.
pub(crate) fn lost_stop_at(text: &str, sent: usize, space: usize, end: usize) -> bool {
    let Some(rest) = text.get(space + 1..end) else {
        return false;
    };
    if !rest.starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    let mut right = rest.split(' ');
    let (Some(opener), Some(next)) = (right.next(), right.next()) else {
        return false;
    };
    let lower_word = |w: &str| {
        w.chars().next().is_some_and(char::is_lowercase)
            && w.chars()
                .all(|c| c.is_alphabetic() || c == '\'' || c == '’' || c == '-')
    };
    let next = next.trim_end_matches([',', ';', ':']);
    if !LOST_STOP_OPENERS.contains(&opener)
        || !lower_word(next)
        || matches!(next, "and" | "or")
        || right.next().is_none()
    {
        return false;
    }
    let Some(left) = text.get(sent..space) else {
        return false;
    };
    let prev = left.rsplit(' ').next().unwrap_or("");
    if !lower_word(prev) || prev.chars().count() < 2 || BEFORE_TITLE.contains(&prev) {
        return false;
    }
    if left.split_whitespace().nth(1).is_none() || inside_quotation(text, sent, space) {
        return false;
    }
    let mut from = left.len().saturating_sub(QUOTE_WINDOW);
    while !left.is_char_boundary(from) {
        from += 1;
    }
    let window = &left[from..];
    // An open bracket ("(the club The…") is an aside; a straight single quote opening
    // a word with none closing one after it ("chanted 'the one The…") a quotation.
    let open_bracket = window
        .rfind('(')
        .is_some_and(|o| !window[o..].contains(')'));
    let open_single = window
        .rmatch_indices('\'')
        .find(|&(k, _)| k == 0 || window[..k].ends_with(char::is_whitespace))
        .is_some_and(|(o, _)| {
            let after = &window[o + 1..];
            !after.contains("' ") && !after.ends_with('\'')
        });
    !open_bracket && !open_single
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
    let from = term.saturating_sub(QUOTE_WINDOW).max(sent);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_detection() {
        assert!(starts_lowercase("the") && starts_lowercase("“the") && starts_lowercase("a"));
        assert!(!starts_lowercase("iPhone") && !starts_lowercase("The") && !starts_lowercase("3"));
    }
}
