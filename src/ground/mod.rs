//! The ground stage: every sentence and claim the generator wrote is tied to the
//! article sentences that support it, and what the article does not support is
//! flagged ([`check`]). A small generator invents numbers and names; nothing it
//! writes passes as fact without this check.

pub mod check;
mod roles;
pub mod summary;

pub use check::{Source, Support, Verdict, MIN_SUPPORT};
pub use summary::{review, Review};

use crate::error::{ArticleError, ErrorKind};
use crate::extract::claims::{distinct, named_attribution, DUPLICATE_SIMILARITY};
use crate::extract::{Claim, ClaimOrigin, Evidence};
use crate::generate::Parsed;
use crate::model::{Embedder, Embeddings};
use crate::text::Span;

/// What the generator wrote for one article, checked against it.
#[derive(Debug, Default)]
pub struct Grounded {
    /// Summary sentences with their verdicts, in the model's order.
    pub summary: Vec<(String, Verdict)>,
    /// Generated claims, grounded, near-duplicates merged, at most `max_claims`.
    pub claims: Vec<Claim>,
}

/// How grounding treats what the article does not support.
#[derive(Debug, Clone, Copy)]
pub struct GroundOptions {
    /// At most this many generated claims.
    pub max_claims: usize,
    /// Leave out sentences and claims that are not grounded (otherwise kept, marked).
    pub drop_unsupported: bool,
}

/// A generated claim longer than this is not one statement: a copied paragraph or
/// several facts run together. It is split at its sentences, and a piece still over
/// this is dropped.
pub const MAX_CLAIM_WORDS: usize = 40;

/// Share of a statement's tokens found in the instruction (its worked example) above
/// which an ungrounded statement is the example echoed, not the article.
const ECHO_OVERLAP: f32 = 0.6;

/// Ground the generator's summary sentences and claims against the article: `text`
/// with its sentences `spans`, their embeddings `emb`, and the headline. Generated
/// claims are first made atomic ([`atomic_claims`]); a statement is also not grounded
/// when it swaps the roles of its evidence (see `roles`); a claim inherits the
/// speaker of its evidence sentence when it names none; ungrounded statements that
/// echo the instruction's worked example are dropped.
pub fn ground(
    encoder: &dyn Embedder,
    text: &str,
    spans: &[Span],
    emb: &Embeddings,
    title: Option<&str>,
    parsed: &Parsed,
    opts: GroundOptions,
) -> Result<Grounded, ArticleError> {
    let claims_text = atomic_claims(&parsed.claims);
    let texts: Vec<&str> = parsed
        .summary
        .iter()
        .chain(&claims_text)
        .map(String::as_str)
        .collect();
    if texts.is_empty() {
        return Ok(Grounded::default());
    }
    let vecs = encoder
        .embed(&texts)
        .map_err(|e| ArticleError::new(ErrorKind::Model, e.to_string()))?;
    let sentences: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
    let source = Source::new(text, &sentences, emb).with_title(title);
    let check = |statement: &str, row: usize| {
        let mut v = source.check(statement, vecs.row(row));
        if v.grounded {
            let evidence = v.support.first().and_then(|x| sentences.get(x.sentence));
            let fault = evidence.and_then(|e| {
                roles::swapped(statement, e)
                    .or_else(|| roles::related_subject(statement, e))
                    .or_else(|| roles::substituted(statement, e))
            });
            if let Some(why) = fault {
                v.grounded = false;
                v.reason = Some(why);
            }
        }
        v
    };
    let drop = opts.drop_unsupported;
    let summary = parsed
        .summary
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), check(s, i)))
        .filter(|(s, v)| v.grounded || (!drop && !echoes_instruction(s)))
        .collect();
    // Claims that say the same thing are merged (the first stays).
    let row = |j: usize| parsed.summary.len() + j;
    let mut verdicts: Vec<Option<Verdict>> = vec![None; claims_text.len()];
    let kept = distinct(
        0..claims_text.len(),
        opts.max_claims,
        |k, j| vecs.dot(row(k), row(j)) > DUPLICATE_SIMILARITY,
        |j| {
            let v = check(&claims_text[j], row(j));
            let keep = v.grounded || (!drop && !echoes_instruction(&claims_text[j]));
            verdicts[j] = Some(v);
            keep
        },
    );
    let claims = kept
        .into_iter()
        .filter_map(|j| {
            let v = verdicts[j].take()?;
            Some(generated_claim(&claims_text[j], v, spans, &sentences))
        })
        .collect();
    Ok(Grounded { summary, claims })
}

/// The generator's claims as single statements a fact-checker can take on their own:
/// a claim of several sentences is split into them, and a piece is dropped when it has
/// more than [`MAX_CLAIM_WORDS`] words or fewer than five ("First class
/// accommodation!"), or leans on a context it does not carry and names no speaker: an
/// opening pronoun or connective ("He said…", "But that…", "I could not be happier"),
/// a bare quotation ("'Which is remarkable…'") or a subject only the article's earlier
/// sentences identify ("The toddler's mother was…").
pub fn atomic_claims(claims: &[String]) -> Vec<String> {
    claims
        .iter()
        .flat_map(|c| {
            crate::text::segment(c)
                .iter()
                .map(|s| s.text(c).trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|c| (5..=MAX_CLAIM_WORDS).contains(&c.split_whitespace().count()))
        .filter(|c| stands_alone(c))
        .collect()
}

/// Whether a claim can be read without the sentences around it (see [`atomic_claims`]).
fn stands_alone(claim: &str) -> bool {
    const QUOTES: &[char] = &['"', '\'', '“', '”', '‘', '’'];
    let t = claim.trim();
    let quotation = t.starts_with(QUOTES) || t.trim_end_matches(['.', '!', '?']).ends_with(QUOTES);
    let leans = crate::extract::select::SentenceInfo::of(t).dangling || quotation;
    // A subject only earlier sentences identify stays unidentified whoever is quoted:
    // "He then turned on her, sources said", "The friends were…, DNA Info reports".
    let third_person = t.split_whitespace().next().is_some_and(|w| {
        matches!(
            w.trim_matches(|c: char| !c.is_alphanumeric()),
            "He" | "She" | "They" | "It" | "His" | "Her" | "Their" | "Its"
        )
    });
    if third_person || unnamed_subject(t) {
        return false;
    }
    (!leans && !refers_out(t)) || named_attribution(t).is_some()
}

/// Whether a claim points at something it does not say: a first-person speaker
/// ("We've been here one day"), "such a…" ("such an offence"), a picture or chart
/// ("The plot above is based on…", "pictured"), or a closing "why" ("…it is not
/// hard to see why").
fn refers_out(claim: &str) -> bool {
    const FIRST_PERSON: &[&str] = &[
        "i", "i'm", "i've", "i'll", "i'd", "me", "my", "we", "we're", "we've", "we'll", "we'd",
        "our",
    ];
    let words: Vec<String> = claim
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
                .trim_matches(['\'', '’'])
                .to_lowercase()
                .replace('’', "'")
        })
        .filter(|w| !w.is_empty())
        .collect();
    // "us", not "US".
    let first_person = words.iter().any(|w| FIRST_PERSON.contains(&w.as_str()))
        || claim
            .split_whitespace()
            .any(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == "us");
    let such = words
        .windows(2)
        .any(|p| p[0] == "such" && matches!(p[1].as_str(), "a" | "an"));
    let pointer = words.windows(2).any(|p| {
        matches!(p[0].as_str(), "above" | "below")
            && matches!(
                p[1].as_str(),
                "is" | "are" | "was" | "were" | "shows" | "show"
            )
    }) || words.iter().any(|w| w == "pictured");
    let closing =
        claim.trim_end().ends_with(['.', '!', '?']) && words.last().is_some_and(|w| w == "why");
    first_person || such || pointer || closing
}

/// Verbs right after a subject: auxiliaries and verbs of saying.
const SUBJECT_VERBS: &[&str] = &[
    "is", "was", "are", "were", "has", "had", "have", "will", "would", "can", "could", "may",
    "might", "must", "should", "said", "says", "told", "tells",
];

/// Whether the claim's subject is a bare description that only the article's earlier
/// sentences identify: "The" and up to four lowercase words ("The toddler's mother",
/// "The two-time national champion"), then an auxiliary, a verb of saying or an
/// apposition's comma ("The monkey has…", "The suspect was…", "The star, known
/// for…"). A capitalised word before that ("The Kremlin claimed…", "The owners of
/// Yukos…") or an "of" ("The cost of divorce can…") identifies it.
fn unnamed_subject(claim: &str) -> bool {
    let mut words = claim.split_whitespace();
    if words.next() != Some("The") {
        return false;
    }
    for w in words.take(5) {
        let bare = w.trim_end_matches([',', ';', ':']);
        let lower = bare
            .chars()
            .all(|c| c.is_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '\'' | '’'));
        if !lower || bare.is_empty() {
            return false;
        }
        if w.ends_with(',') && bare.chars().any(char::is_alphabetic) {
            return true;
        }
        if bare == "of" {
            return false; // "The cost of divorce…": the description says what it is
        }
        if SUBJECT_VERBS.contains(&bare) {
            return true;
        }
    }
    false
}

/// Whether `statement` is mostly the instruction's own words (its worked example),
/// counting only words of more than three letters: function words prove nothing.
fn echoes_instruction(statement: &str) -> bool {
    use std::sync::LazyLock;
    let content = |text: &str| -> Vec<String> {
        crate::text::tokenize(text)
            .into_iter()
            .filter(|t| t.len() > 3)
            .collect()
    };
    static INSTRUCTION: LazyLock<Vec<String>> =
        LazyLock::new(|| crate::text::tokenize(crate::generate::INSTRUCTION));
    let tokens = content(statement);
    if tokens.len() < 2 {
        return false;
    }
    crate::text::tokens::share_in(&tokens, &INSTRUCTION) > ECHO_OVERLAP
}

/// A generated claim with its verdict: the evidence is the supporting sentences'
/// spans, the score the best support.
fn generated_claim(text: &str, v: Verdict, spans: &[Span], sentences: &[&str]) -> Claim {
    let evidence = v
        .support
        .iter()
        .map(|x| Evidence {
            start: spans[x.sentence].start,
            end: spans[x.sentence].end,
            score: x.score,
        })
        .collect();
    let sentence = v.support.first().map_or(0, |x| x.sentence);
    // "Greece will pay on time" from "Greece will pay on time, a spokesman said" is
    // the spokesman's statement, not the article's.
    let attribution = named_attribution(text).or_else(|| {
        let evidence = sentences.get(sentence)?;
        named_attribution(evidence).filter(|a| !text.contains(a.as_str()))
    });
    let mut claim = Claim::new(
        text.to_string(),
        attribution,
        ClaimOrigin::Generated,
        sentence,
        evidence,
    );
    claim.score = v.support.first().map_or(0.0, |x| x.score);
    claim.grounded = v.grounded;
    claim.reason = v.reason;
    claim
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_split_into_statements_and_overlong_ones_dropped() {
        let claims = vec![
            "Mr Peters said his client was asleep. Pama then confronted Mr Yeaman again."
                .to_string(),
            format!("{} end.", "word ".repeat(MAX_CLAIM_WORDS)),
            "Too short".to_string(),
            "First class accommodation!".to_string(),
            "He said: 'It's no secret that I am now one of that wealthy minority.".to_string(),
            "'Which is remarkable when you consider what it is she does.'".to_string(),
            "I could not be happier with him at all.".to_string(),
            "We've been here one day, the four of them.".to_string(),
            "There was a warning that such an offence can carry six months.".to_string(),
            "The plot above is based on 94,526 images for the years 1800-2000.".to_string(),
            "After the video of his jig in Paris it is not hard to see why.".to_string(),
            "The US created fewer jobs than expected in January, officials said.".to_string(),
            "Rivals such as Leeds and Hull have a plan for the new season.".to_string(),
            "'We are no heroes, just tourists,' Makrus Asberg told the New York Post.".to_string(),
            "The toddler's mother was holding him when he slipped.".to_string(),
            "The star, known for playing Churchill, is auctioning 200 items.".to_string(),
            "The cost of divorce can wreck retirement, according to research.".to_string(),
            "The Kremlin claimed that each nation would support the other.".to_string(),
            "The media attention had helped to move the focus, Mr Law said.".to_string(),
            "He then turned on Saltare, stabbing her, sources told the Post.".to_string(),
        ];
        assert_eq!(
            atomic_claims(&claims),
            vec![
                "Mr Peters said his client was asleep.",
                "Pama then confronted Mr Yeaman again.",
                "The US created fewer jobs than expected in January, officials said.",
                "Rivals such as Leeds and Hull have a plan for the new season.",
                "'We are no heroes, just tourists,' Makrus Asberg told the New York Post.",
                "The cost of divorce can wreck retirement, according to research.",
                "The Kremlin claimed that each nation would support the other.",
            ]
        );
    }

    #[test]
    fn the_worked_example_echoed_is_recognised() {
        assert!(echoes_instruction(
            "Engineers found cracks in two of the bridge's supports."
        ));
        assert!(echoes_instruction(
            "The repairs will cost £3.2m, the council said."
        ));
        assert!(!echoes_instruction(
            "Greece will repay the IMF loan on Thursday."
        ));
        assert!(!echoes_instruction("He said it was over."));
    }
}
