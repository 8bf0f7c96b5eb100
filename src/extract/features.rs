//! Surface features of a sentence that make it check-worthy or tell who says it:
//! numbers, names, dates, reporting verbs and attributions. Shared by claim finding
//! and grounding, so both read a sentence the same way.

use std::sync::LazyLock;

use regex::Regex;

/// Numbers as they appear: `$1.13bn`, `76%`, `£600m`, `2023`, `8.5 per cent`, `464,000`.
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:[$£€¥]\s?)?
        \d+(?:[.,:]\d+)*
        (?:\s?(?:%|per\s?cent|percent)|(?:bn|tn|m|k|s)\b)?
        (?:\s(?:million|billion|trillion|thousand|hundred)\b)?",
    )
    .expect("static regex")
});

/// Words that start sentences with a capital letter without being names.
const COMMON_STARTERS: &[&str] = &[
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "he",
    "she",
    "they",
    "we",
    "i",
    "you",
    "his",
    "her",
    "their",
    "our",
    "my",
    "your",
    "there",
    "here",
    "in",
    "on",
    "at",
    "for",
    "but",
    "and",
    "or",
    "so",
    "yet",
    "if",
    "when",
    "while",
    "after",
    "before",
    "since",
    "as",
    "although",
    "though",
    "however",
    "meanwhile",
    "also",
    "additionally",
    "yet",
    "with",
    "without",
    "by",
    "from",
    "to",
    "of",
    "what",
    "who",
    "which",
    "where",
    "why",
    "how",
    "some",
    "many",
    "most",
    "all",
    "one",
    "two",
    "three",
    "no",
    "not",
    "nothing",
    "both",
    "each",
    "every",
    "other",
    "another",
    "such",
    "more",
    "less",
    "even",
    "only",
    "just",
    "now",
    "then",
    "still",
    "against",
    "despite",
    "during",
    "under",
    "over",
    "about",
    "because",
    "until",
    "mr",
    "mrs",
    "ms",
    "dr",
    "last",
    "next",
    "first",
    "new",
    "former",
    "earlier",
    "later",
    "according",
    "nevertheless",
    "instead",
    "overall",
    "indeed",
    "yes",
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "will",
    "would",
    "can",
    "could",
    "should",
    "may",
    "might",
];

/// Lower-case words allowed inside a multi-word name ("Bank of England", "Kim Jong-un").
const NAME_CONNECTORS: &[&str] = &[
    "of", "the", "de", "du", "van", "von", "al", "bin", "and", "for",
];

/// Verbs that mark a sentence as reporting someone's statement.
pub const REPORTING_VERBS: &[&str] = &[
    "said",
    "says",
    "say",
    "told",
    "tells",
    "claimed",
    "claims",
    "announced",
    "announces",
    "warned",
    "warns",
    "added",
    "adds",
    "argued",
    "argues",
    "denied",
    "denies",
    "stated",
    "states",
    "insisted",
    "insists",
    "reported",
    "reports",
    "confirmed",
    "confirms",
    "accused",
    "accuses",
    "admitted",
    "admits",
    "suggested",
    "suggests",
    "believes",
    "believed",
    "estimated",
    "estimates",
    "predicted",
    "predicts",
    "revealed",
    "reveals",
    "explained",
    "explains",
    "noted",
    "notes",
    "described",
    "wrote",
    "writes",
    "alleged",
];

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Number words that carry quantities ("two days", "a million people").
const NUMBER_WORDS: &[&str] = &[
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "trillion",
    "half",
    "quarter",
    "double",
    "doubled",
    "tripled",
    "dozen",
    "dozens",
];

/// Comparison and change words: the stuff of checkable statements.
const CHANGE_WORDS: &[&str] = &[
    "rose",
    "rise",
    "risen",
    "fell",
    "fall",
    "fallen",
    "increased",
    "increase",
    "decreased",
    "decrease",
    "jumped",
    "dropped",
    "grew",
    "growth",
    "cut",
    "cuts",
    "more",
    "less",
    "fewer",
    "higher",
    "lower",
    "largest",
    "biggest",
    "smallest",
    "record",
    "most",
    "least",
    "first",
    "than",
    "up",
    "down",
    "doubled",
    "surged",
    "slumped",
    "lost",
    "won",
    "gained",
];

/// A word of a sentence with its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    /// The word's text (letters, digits, apostrophes, inner hyphens and dots).
    pub text: &'a str,
    /// Byte offset in the sentence.
    pub start: usize,
}

/// Split into words, keeping byte offsets; punctuation is dropped.
pub fn words(s: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let bytes_len = s.len();
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let next_is_word = iter.peek().is_some_and(|(_, n)| n.is_alphanumeric());
        let inner = matches!(c, '\'' | '’' | '-' | '.') && start.is_some() && next_is_word;
        if c.is_alphanumeric() || inner {
            start.get_or_insert(i);
        } else if let Some(st) = start.take() {
            out.push(Word {
                text: &s[st..i],
                start: st,
            });
        }
    }
    if let Some(st) = start {
        out.push(Word {
            text: &s[st..bytes_len],
            start: st,
        });
    }
    out
}

/// Numeric expressions as they appear in `s`.
pub fn numbers(s: &str) -> Vec<String> {
    NUMBER
        .find_iter(s)
        .map(|m| m.as_str().trim().to_string())
        .filter(|n| n.chars().any(|c| c.is_ascii_digit()))
        .collect()
}

fn is_capitalised(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

/// Capitalised names (people, places, organisations), multi-word names joined:
/// "Vladimir Putin", "Bank of England", "Kim Jong-us". A capitalised first word counts
/// only when it is not a common sentence starter.
pub fn entities(s: &str) -> Vec<String> {
    let ws = words(s);
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        let w = ws[i].text;
        let lower = w.to_lowercase();
        let starter = i == 0 || sentence_start_before(s, ws[i].start);
        let common_start = starter && COMMON_STARTERS.contains(&lower.as_str());
        let candidate = is_capitalised(w) && !common_start && !is_month_or_day(w);
        if !candidate {
            i += 1;
            continue;
        }
        // Extend over capitalised words and inner connectors followed by a capitalised word.
        let first = i;
        let mut last = i;
        let mut j = i + 1;
        while j < ws.len() && contiguous(s, ws[j - 1], ws[j]) {
            let t = ws[j].text;
            if is_capitalised(t) && !is_month_or_day(t) {
                last = j;
                j += 1;
            } else if NAME_CONNECTORS.contains(&t)
                && j + 1 < ws.len()
                && is_capitalised(ws[j + 1].text)
                && contiguous(s, ws[j], ws[j + 1])
            {
                j += 1;
            } else {
                break;
            }
        }
        let start = ws[first].start;
        let end = ws[last].start + ws[last].text.len();
        let name = s[start..end].to_string();
        if !out.contains(&name) {
            out.push(name);
        }
        i = last + 1;
    }
    out
}

/// Whether `w` names a month or a weekday, in any case.
pub fn is_month_or_day(w: &str) -> bool {
    let l = w.to_lowercase();
    MONTHS.contains(&l.as_str()) || WEEKDAYS.contains(&l.as_str())
}

/// Whether only spaces separate two words (no comma, quote or full stop between).
fn contiguous(s: &str, a: Word<'_>, b: Word<'_>) -> bool {
    s.get(a.start + a.text.len()..b.start)
        .is_some_and(|gap| !gap.is_empty() && gap.chars().all(|c| c == ' '))
}

/// Whether the text before `at` ends a sentence or opens a quote (so a capital there is
/// grammatical, not a name).
fn sentence_start_before(s: &str, at: usize) -> bool {
    let before = s[..at].trim_end();
    before.is_empty()
        || before.ends_with(['.', '!', '?', ':', '"', '“', '‘', '\'', '(', '—', '–', '-'])
}

/// Whether `s` mentions a date or time reference (month, weekday, year).
pub fn has_date(s: &str) -> bool {
    words(s).iter().any(|w| {
        let l = w.text.to_lowercase();
        is_month_or_day(&l)
            || (w.text.len() == 4
                && w.text.chars().all(|c| c.is_ascii_digit())
                && (w.text.starts_with("19") || w.text.starts_with("20")))
    })
}

/// Whether `s` contains a spelled-out quantity ("two days", "a million").
pub fn has_number_word(s: &str) -> bool {
    words(s)
        .iter()
        .any(|w| NUMBER_WORDS.contains(&w.text.to_lowercase().as_str()))
}

/// Whether `s` contains a comparison or change word.
pub fn has_change_word(s: &str) -> bool {
    words(s)
        .iter()
        .any(|w| CHANGE_WORDS.contains(&w.text.to_lowercase().as_str()))
}

/// Whether `s` contains a reporting verb.
pub fn has_reporting_verb(s: &str) -> bool {
    reports(&words(s))
}

/// Whether one of `ws` is a reporting verb.
fn reports(ws: &[Word<'_>]) -> bool {
    ws.iter()
        .any(|w| REPORTING_VERBS.contains(&w.text.to_lowercase().as_str()))
}

/// Adverbs that mark a statement as the writer's judgement or guess, not a fact.
const HEDGES: &[&str] = &[
    "apparently",
    "arguably",
    "certainly",
    "doubtless",
    "hopefully",
    "perhaps",
    "possibly",
    "presumably",
    "probably",
    "seemingly",
    "supposedly",
    "surely",
    "undoubtedly",
];

/// Modal verbs that make a statement a possibility or a demand ("could" is left out:
/// as often as not it reports what was possible, "the arrows could direct flights").
const MODALS: &[&str] = &["may", "might", "must", "should"];

/// Whether `s` is the writer's judgement or guess rather than a checkable fact: a
/// hedging adverb ("almost certainly", "probably"), a modal before a verb ("may be
/// close", "should be set up"; not "must not"), or an impersonal stance ("it might be
/// hoped", "it is crucial to…"). A sentence with a reporting verb reports someone
/// else's view, so is not hedged here.
pub fn hedged(s: &str) -> bool {
    let ws = words(s);
    if reports(&ws) {
        return false;
    }
    static STANCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\bit (?:is|was|might be|may be|must be|can be) (?:hoped|crucial|important|clear|vital|essential|likely|unlikely|not hard|hard|easy|fair)\b",
        )
        .expect("static regex")
    });
    if STANCE.is_match(s) {
        return true;
    }
    ws.iter().enumerate().any(|(i, w)| {
        HEDGES.contains(&w.text.to_lowercase().as_str())
            // Lowercase only: "May 1" is a date. "X may be small, but…" concedes, and
            // states its fact after the "but".
            || (MODALS.contains(&w.text)
                && ws
                    .get(i + 1)
                    .is_some_and(|n| !matches!(n.text, "not" | "never"))
                && !ws[i + 1..].iter().any(|n| n.text == "but"))
    })
}

/// The speaker a sentence reports, when it names one: "the Kremlin claimed…" →
/// `the Kremlin`, "…, Ms Hewitt said." → `Ms Hewitt`, "according to officials" →
/// `officials`. Pronoun speakers ("he said") return the pronoun, for the caller to
/// resolve.
pub fn attribution(s: &str) -> Option<String> {
    static AFTER: LazyLock<Regex> = LazyLock::new(|| {
        // "..., said Ms Hewitt." / "... said the company." (verb first, speaker after)
        Regex::new(&format!(
            r#"[,"”’]\s*(?:{v})\s+((?:the\s+|a\s+)?(?:[A-Z][\w’'.-]*|[a-z]+)(?:\s+(?:of\s+|the\s+|for\s+)?[A-Z][\w’'.-]*){{0,5}})\s*[.,;]"#,
            v = REPORTING_VERBS.join("|")
        ))
        .expect("static regex")
    });
    static ACCORDING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            // "according to new research": the source, with the adjective before it.
            r"[Aa]ccording to\s+((?:the\s+)?(?:(?:new|recent|latest|early|official|local|unconfirmed|preliminary|media|press|news)\s+)?(?:[A-Z][\w’'.-]*|[a-z]+)(?:\s+(?:of\s+|the\s+|for\s+)?[A-Z][\w’'.-]*){0,5})",
        )
        .expect("static regex")
    });
    static BEFORE: LazyLock<Regex> = LazyLock::new(|| {
        // "The Kremlin claimed that ..." / "Ms Hewitt told the BBC ..." (speaker first)
        Regex::new(&format!(
            r"(?:^|[,;:]\s+|\bbut\s+|\band\s+)((?:[Tt]he\s+|[Hh]is\s+|[Hh]er\s+|[Tt]heir\s+)?(?:[A-Z][\w’'.-]*|[a-z]+)(?:\s+(?:of\s+|the\s+|for\s+)?[A-Z][\w’'.-]*){{0,5}}|[a-z]+\s+[a-z]+)\s+(?:has\s+|have\s+|had\s+|also\s+|later\s+|previously\s+)?(?:{v})\b",
            v = REPORTING_VERBS.join("|")
        ))
        .expect("static regex")
    });
    static NAMED_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
        // "… spokeswoman Sandra Gidley said" / "…, Theresa May, said": the capitalised
        // name right before the verb, wherever it stands in the sentence.
        Regex::new(&format!(
            r"\b((?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){{0,4}}),?\s+(?:has\s+|have\s+|had\s+|also\s+|later\s+|previously\s+)?(?:{v})\b",
            v = REPORTING_VERBS.join("|")
        ))
        .expect("static regex")
    });
    let pick = |m: Option<regex::Captures<'_>>| {
        m.and_then(|c| c.get(1))
            .map(|g| trim_speaker(g.as_str()))
            .filter(|a| is_speaker(a))
    };
    // A name that ends a relative clause ("When Copeland, who used to play for the New
    // York Knicks, told the man…") is not the one speaking.
    let outside_relative = |c: &regex::Captures<'_>| {
        let start = c.get(1).map_or(0, |g| g.start());
        let clause = s[..start].rsplit([',', '–', '—']).next().unwrap_or("");
        !clause
            .split_whitespace()
            .any(|w| matches!(w, "who" | "which" | "whose" | "whom"))
    };
    pick(AFTER.captures(s))
        .or_else(|| pick(ACCORDING.captures(s)))
        .or_else(|| pick(NAMED_BEFORE.captures(s).filter(outside_relative)))
        .or_else(|| pick(BEFORE.captures(s)))
}

/// Trim punctuation and leading conjunctions ("while the Liberal Democrats") off a
/// captured speaker.
fn trim_speaker(raw: &str) -> String {
    const LEADING: &[&str] = &[
        "while", "and", "but", "as", "which", "that", "who", "because", "although", "when",
        "after", "so", "since", "whereas", "though",
    ];
    let mut a = raw.trim().trim_end_matches(['.', ',', ';', ':']);
    while let Some((first, rest)) = a.split_once(char::is_whitespace) {
        if !LEADING.contains(&first.to_lowercase().as_str()) {
            break;
        }
        a = rest.trim_start();
    }
    if LEADING.contains(&a.to_lowercase().as_str()) {
        return String::new();
    }
    a.to_string()
}

/// Rejects captures that are not plausible speakers ("it", "which", "that").
fn is_speaker(a: &str) -> bool {
    const NOT: &[&str] = &[
        "it",
        "this",
        "that",
        "which",
        "what",
        "who",
        "there",
        "and",
        "but",
        "also",
        "has",
        "had",
        "is",
        "was",
        "be",
        "been",
        "so",
        "as",
        "is also",
        "was also",
        "which it",
        "it also",
        "they also",
        "the",
        "a",
    ];
    let l = a.to_lowercase();
    !a.is_empty() && !NOT.contains(&l.as_str()) && a.split_whitespace().count() <= 7
}

/// Personal pronouns that can stand for a named speaker.
pub fn is_pronoun(w: &str) -> bool {
    matches!(w, "He" | "She" | "They" | "he" | "she" | "they")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_they_appear() {
        let s = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m) for the three months to December, from $639m year-earlier.";
        assert_eq!(numbers(s), vec!["76%", "$1.13bn", "£600m", "$639m"]);
        assert_eq!(
            numbers("It lost 464,000 subscribers in 2004."),
            vec!["464,000", "2004"]
        );
        assert_eq!(numbers("up 8.5 per cent"), vec!["8.5 per cent"]);
        assert!(numbers("No digits here.").is_empty());
    }

    #[test]
    fn names_are_joined_and_starters_skipped() {
        let s = "The Russian president, Vladimir Putin, has spent two days in Pyongyang with Kim Jong-us.";
        let e = entities(s);
        assert!(e.contains(&"Vladimir Putin".to_string()), "{e:?}");
        assert!(e.contains(&"Pyongyang".to_string()), "{e:?}");
        assert!(e.contains(&"Kim Jong-us".to_string()), "{e:?}");
        assert!(!e.iter().any(|x| x.starts_with("The")), "{e:?}");
        let e = entities("He spoke to the Bank of England on Monday.");
        assert_eq!(e, vec!["Bank of England"]);
        let e = entities("Putin is, however, searching for weapons.");
        assert_eq!(e, vec!["Putin"]);
    }

    #[test]
    fn dates_and_quantities() {
        assert!(has_date("It was established in October 1949."));
        assert!(has_date("He met them in 2023."));
        assert!(!has_date("He met 2,000 people."));
        assert!(has_number_word("two days in Pyongyang"));
        assert!(has_change_word("Profits rose sharply."));
    }

    #[test]
    fn attributions() {
        assert_eq!(
            attribution("The Kremlin claimed that the deal would entail mutual support.")
                .as_deref(),
            Some("The Kremlin")
        );
        assert_eq!(
            attribution("\"We will extend maternity pay,\" said Ms Hewitt.").as_deref(),
            Some("Ms Hewitt")
        );
        assert_eq!(
            attribution("Growth was slow, according to the Office for National Statistics.")
                .as_deref(),
            Some("the Office for National Statistics")
        );
        assert_eq!(
            attribution("Birmingham is the rat capital, according to new research.").as_deref(),
            Some("new research")
        );
        assert_eq!(
            attribution("They were stabbed, according to reports.").as_deref(),
            Some("reports")
        );
        assert_eq!(
            attribution("Time Warner said on Friday that it now owns 8% of Google.").as_deref(),
            Some("Time Warner")
        );
        assert_eq!(
            attribution("She said the plan would work.").as_deref(),
            Some("She")
        );
        assert_eq!(attribution("Profits rose 5% in the quarter."), None);
        assert_eq!(
            attribution(
                "When Copeland, who used to play for the New York Knicks, told the man to back off, the suspect pulled a knife."
            ),
            None
        );
        assert_eq!(
            attribution("Asked about the post – created by Tom Harrison, who confirmed it – Stewart said: 'No.'")
                .as_deref(),
            Some("Stewart")
        );
        assert_eq!(
            attribution("Liberal Democrat spokeswoman for women Sandra Gidley said: \"No.\"")
                .as_deref(),
            Some("Sandra Gidley")
        );
        assert_eq!(
            attribution("The Shadow Secretary of State for the Family, Theresa May, said: \"No.\"")
                .as_deref(),
            Some("Theresa May")
        );
        assert_eq!(
            attribution("The Tories dismissed the plan, while the Liberal Democrats said it was misdirected.").as_deref(),
            Some("Liberal Democrats")
        );
        assert_eq!(
            attribution("It deals with Bertelsmann, which it had reported as revenue."),
            None
        );
    }

    #[test]
    fn judgements_and_guesses_are_hedged() {
        for s in [
            "The war was almost certainly at the top of the plan for the meeting.",
            "Scientists may be close to finding alien life.",
            "A national body should be set up.",
            "Nothing as devastating will result from this alliance, it might be hoped.",
            "It is crucial to understand that this partnership has a long history.",
            "The e-mail was apparently intended for a party official.",
        ] {
            assert!(hedged(s), "{s}");
        }
        for s in [
            "Putin spent two days in Pyongyang.",
            "The final is on May 1 in Berlin.",
            "Many women could not take the leave.",
            "By 1929, the arrows could direct flights across America.",
            "He said the deal might collapse.",
            "Every country may have its rich kids, but in Mexico the display is growing.",
            "Profits rose 76% to $1.13bn.",
        ] {
            assert!(!hedged(s), "{s}");
        }
    }

    #[test]
    fn words_keep_offsets() {
        let s = "Kim Jong-us’s “deal”, U.S. aid.";
        for w in words(s) {
            assert_eq!(&s[w.start..w.start + w.text.len()], w.text);
        }
        let texts: Vec<_> = words(s).iter().map(|w| w.text).collect();
        assert_eq!(texts, vec!["Kim", "Jong-us’s", "deal", "U.S", "aid"]);
    }
}
