//! The summary check: whether a generated summary, its sentences already grounded
//! ([`super::check`]), is fit to stand in for the article — or the extractive summary
//! must be used instead. Sentence by sentence, what the article does not support,
//! what talks about the article instead of the news ("The article discusses…"), what
//! repeats an earlier sentence and what the token budget cut off are dropped; then
//! the summary as a whole must keep its first sentence, say enough, fit the length
//! of a news brief and name at least one of the lead's main actors.

use crate::extract::features::entities;
use crate::text::tokens::{share_in, tokenize};

use super::Verdict;

/// Longest summary kept, in words: news highlights run to about 55; sentences past
/// this are dropped from the end.
pub const MAX_WORDS: usize = 80;

/// Shortest summary accepted, in words.
pub const MIN_WORDS: usize = 12;

/// Token overlap (share of the shorter sentence's tokens) above which a sentence
/// repeats an earlier one.
const REPEAT_OVERLAP: f32 = 0.8;

/// Phrases that describe the text rather than tell the news.
const META: &[&str] = &[
    "the article",
    "this article",
    "the text describes",
    "the text discusses",
    "the text highlights",
    "this story",
    "the passage",
    "the report highlights",
    "it highlights",
    "it discusses",
    "it emphasizes",
    "it emphasises",
    "the news article",
];

/// What the check decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    /// Use the summary: these sentences of it, in order.
    Accept(Vec<usize>),
    /// Use the extractive summary instead, for this reason.
    Reject(String),
}

/// Review `summary` (sentences with their verdicts, in the model's order) against the
/// article's `lead` (its first sentence) and `title`.
pub fn review(summary: &[(String, Verdict)], lead: &str, title: Option<&str>) -> Review {
    if summary.is_empty() {
        return Review::Reject("the generator wrote no summary".into());
    }
    let mut kept: Vec<usize> = Vec::new();
    let mut first_problem: Option<String> = None;
    let mut note = |i: usize, why: String| {
        if i == 0 && first_problem.is_none() {
            first_problem = Some(why);
        }
    };
    for (i, (text, verdict)) in summary.iter().enumerate() {
        if !verdict.grounded {
            let why = verdict.reason.as_deref().unwrap_or("not supported");
            note(i, format!("its first sentence is not grounded: {why}"));
        } else if let Some(m) = meta_phrase(text) {
            note(
                i,
                format!("its first sentence describes the text (\"{m}\")"),
            );
        } else if !complete(text) {
            note(i, "its first sentence is cut off".into());
        } else if kept.iter().any(|&k| repeats(&summary[k].0, text)) {
            continue;
        } else {
            kept.push(i);
        }
    }
    if let Some(why) = first_problem {
        return Review::Reject(why);
    }
    // Cut to length from the end; the first sentence always stays (it was kept).
    let words = |i: &usize| summary[*i].0.split_whitespace().count();
    let mut total: usize = 0;
    kept.retain(|i| {
        total += words(i);
        total <= MAX_WORDS
    });
    // A quotation the summary opens and never closes (the steer cut it) goes with
    // the sentences from the one that opened it.
    let open = |kept: &[usize]| {
        let joined: Vec<&str> = kept.iter().map(|&i| summary[i].0.as_str()).collect();
        crate::text::open_quote(&joined.join(" "))
    };
    while kept.len() > 1 && open(&kept) {
        kept.pop();
    }
    if open(&kept) {
        return Review::Reject("its quotation is never closed".into());
    }
    let total: usize = kept.iter().map(words).sum();
    if kept.is_empty() {
        return Review::Reject(format!("its first sentence is over {MAX_WORDS} words"));
    }
    if total < MIN_WORDS {
        return Review::Reject(format!("it says too little ({total} words)"));
    }
    let actors = lead_actors(lead, title);
    if !actors.is_empty() {
        let said: String = kept
            .iter()
            .map(|&i| summary[i].0.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let named = actors.iter().any(|a| {
            a.split_whitespace()
                .any(|w| w.chars().count() > 2 && said.contains(&w.to_lowercase()))
        });
        if !named {
            return Review::Reject(format!(
                "it names none of the lead's main actors ({})",
                actors.join(", ")
            ));
        }
    }
    Review::Accept(kept)
}

/// The meta phrase `s` contains, if any.
fn meta_phrase(s: &str) -> Option<&'static str> {
    let lower = s.to_lowercase();
    META.iter().copied().find(|m| {
        lower
            .match_indices(m)
            .any(|(at, _)| !lower[at + m.len()..].starts_with(|c: char| c.is_alphanumeric()))
    })
}

/// Whether a sentence ends as a sentence does (the token budget did not cut it).
pub fn complete(s: &str) -> bool {
    crate::text::ends_sentence(s)
}

/// Whether `b` says again what `a` said (most of the shorter one's tokens in the other).
fn repeats(a: &str, b: &str) -> bool {
    let (ta, tb) = (tokenize(a), tokenize(b));
    let (short, long) = if ta.len() <= tb.len() {
        (&ta, &tb)
    } else {
        (&tb, &ta)
    };
    short.is_empty() || share_in(short, long) > REPEAT_OVERLAP
}

/// The names in the lead sentence and the headline: who or what the news is about.
fn lead_actors(lead: &str, title: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in title.into_iter().flat_map(entities).chain(entities(lead)) {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (String, Verdict) {
        (
            s.to_string(),
            Verdict {
                support: Vec::new(),
                grounded: true,
                reason: None,
            },
        )
    }

    fn bad(s: &str) -> (String, Verdict) {
        (
            s.to_string(),
            Verdict {
                support: Vec::new(),
                grounded: false,
                reason: Some("the number 9 is not in the article".into()),
            },
        )
    }

    const LEAD: &str = "Harbour town council voted on Tuesday to close the Elm Street bridge.";

    #[test]
    fn a_grounded_news_summary_is_accepted() {
        let s = [
            ok("Harbour council voted on Tuesday to close the Elm Street bridge to cars."),
            ok("Repairs will take eight months and cost £3.2m."),
        ];
        assert_eq!(review(&s, LEAD, None), Review::Accept(vec![0, 1]));
    }

    #[test]
    fn later_faults_are_dropped_and_a_first_one_rejects() {
        let s = [
            ok("Harbour council voted on Tuesday to close the Elm Street bridge to cars."),
            bad("Repairs will cost £9m."),
            ok("The article also discusses the buses."),
            ok("Harbour council voted on Tuesday to close the Elm Street bridge."),
            ok("Shop owners say the closure will cost them"),
        ];
        assert_eq!(review(&s, LEAD, None), Review::Accept(vec![0]));
        let first_bad = [bad("Harbour council will spend £9m."), s[0].clone()];
        assert!(
            matches!(review(&first_bad, LEAD, None), Review::Reject(r) if r.contains("not grounded"))
        );
        let meta = [ok(
            "The article discusses a bridge in Harbour and the council's vote.",
        )];
        assert!(matches!(review(&meta, LEAD, None), Review::Reject(r) if r.contains("describes")));
    }

    #[test]
    fn length_and_coverage() {
        let long =
            "Harbour council voted to close the bridge after engineers found cracks. ".repeat(3);
        let s = [
            ok(long.trim()),
            ok(&long[..long.len() / 3]),
            ok("More words here follow now, many of them, too many."),
        ];
        // Sentences past the word limit go from the end.
        match review(&s, LEAD, None) {
            Review::Accept(k) => assert!(k.len() < 3),
            r => panic!("{r:?}"),
        }
        let short = [ok("Harbour voted.")];
        assert!(
            matches!(review(&short, LEAD, None), Review::Reject(r) if r.contains("too little"))
        );
        let unclosed = [
            ok("Harbour council voted on Tuesday to close the Elm Street bridge to cars."),
            ok("Its engineer said: \"The deck is unsafe."),
            ok("We have no choice."),
        ];
        assert_eq!(review(&unclosed, LEAD, None), Review::Accept(vec![0]));
        assert!(
            matches!(review(&unclosed[1..], LEAD, None), Review::Reject(r) if r.contains("never closed"))
        );
        let off = [ok("A town somewhere decided something about traffic and its roads this week, officials said.")];
        assert!(matches!(review(&off, LEAD, None), Review::Reject(r) if r.contains("main actors")));
        assert!(matches!(review(&[], LEAD, None), Review::Reject(_)));
    }

    #[test]
    fn meta_phrases_need_a_word_boundary() {
        assert_eq!(meta_phrase("The article says"), Some("the article"));
        assert_eq!(
            meta_phrase("The articles of association were changed."),
            None
        );
        assert!(complete("He left.\"") && !complete("He said he"));
    }
}
