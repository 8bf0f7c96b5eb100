//! Check-worthy factual claims found in the article's own sentences (encoder-only).
//!
//! A sentence becomes a claim when it carries what a fact-checker would check: numbers,
//! dates, named entities, quantities, comparisons, reported statements. Claims are made
//! self-contained (a leading "He"/"She"/"They" is replaced by the speaker named just
//! before), attributed ("who says it") and tied to their evidence span in the body.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::config::ClaimsConfig;
use crate::extract::features;
use crate::model::Embeddings;
use crate::text::Span;

/// Claims whose embeddings are this similar say the same thing; the weaker one goes.
pub const DUPLICATE_SIMILARITY: f32 = 0.92;

/// Who a claim's statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// Someone named in the article says it.
    Reported,
    /// The article states it in its own voice.
    Asserted,
    /// The article's own judgement, guess or forecast ("was almost certainly…", "could
    /// face a ban"): a fact-checker cannot check it as stated.
    Opinion,
}

/// Where a claim comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimOrigin {
    /// A sentence of the article.
    Extractive,
    /// Written by the generator.
    Generated,
}

/// A byte span of the cleaned body that supports a claim.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// First byte in the cleaned body.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Strength of support in `[0, 1]`.
    pub score: f32,
}

/// One atomic, attributable, checkable statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The claim, self-contained.
    pub text: String,
    /// Who says it (`null` for the article's own assertion).
    pub attribution: Option<String>,
    /// `reported`, `asserted` or `opinion`.
    pub kind: ClaimKind,
    /// Where the body supports it.
    pub evidence: Vec<Evidence>,
    /// Names in the claim.
    pub entities: Vec<String>,
    /// Numbers in the claim, as they appear.
    pub numbers: Vec<String>,
    /// Check-worthiness in `[0, 1]`.
    pub score: f32,
    /// Whether the evidence supports every name and number in the claim.
    pub grounded: bool,
    /// Why it is not grounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `extractive` or `generated`.
    pub origin: ClaimOrigin,
    /// Index of the source sentence the claim came from.
    pub sentence: usize,
}

/// Find up to `cfg.max_claims` claims among the sentences `spans` of `text`, returned in
/// document order. `emb` has one row per sentence (used to drop near-duplicates).
pub fn find_claims(text: &str, spans: &[Span], emb: &Embeddings, cfg: &ClaimsConfig) -> Vec<Claim> {
    let mut candidates: Vec<Claim> = Vec::new();
    // Names looked up in the whole body, memoised: one scan of the body per name.
    let mut in_body: HashMap<String, bool> = HashMap::new();
    let mut speaker: Option<String> = None; // the last named speaker, for pronoun resolution
    for (i, span) in spans.iter().enumerate() {
        let Some(sentence) = text.get(span.start..span.end) else {
            continue;
        };
        let named = named_attribution(sentence);
        let (claim_text, mut attribution) =
            resolve_pronoun(sentence, speaker.as_deref(), named.clone());
        // A sentence that is all quotation continues the last speaker's statement.
        if attribution.is_none() && is_quotation(sentence) {
            attribution = speaker.clone();
        }
        if let Some(n) = named.clone().or_else(|| leading_person(sentence)) {
            speaker = Some(n);
        }
        let score = checkworthiness(sentence);
        if score < cfg.min_score {
            continue;
        }
        let evidence = vec![Evidence {
            start: span.start,
            end: span.end,
            score: 1.0,
        }];
        let mut claim = Claim::new(
            claim_text,
            attribution,
            ClaimOrigin::Extractive,
            i,
            evidence,
        );
        claim.score = score;
        claim.grounded = supported(
            sentence,
            text,
            &claim.numbers,
            &claim.entities,
            &mut in_body,
        );
        candidates.push(claim);
    }
    // Keep the best, skipping near-duplicates of what is kept, then restore document order.
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        candidates[b]
            .score
            .total_cmp(&candidates[a].score)
            .then(a.cmp(&b))
    });
    let similar = |k: usize, c: usize| {
        emb.len() == spans.len()
            && emb.dot(candidates[k].sentence, candidates[c].sentence) > DUPLICATE_SIMILARITY
    };
    let mut kept = distinct(order, cfg.max_claims, similar, |_| true);
    kept.sort_unstable();
    let mut out = Vec::with_capacity(kept.len());
    for (idx, c) in candidates.into_iter().enumerate() {
        if kept.binary_search(&idx).is_ok() {
            out.push(c);
        }
    }
    out
}

impl Claim {
    /// The one way a claim is made, from a sentence of the article or from what the
    /// generator wrote: `kind` follows the attribution, `entities` and `numbers` are
    /// the text's own. Not yet scored: `score` 0, `grounded` true, no `reason`.
    pub fn new(
        text: String,
        attribution: Option<String>,
        origin: ClaimOrigin,
        sentence: usize,
        evidence: Vec<Evidence>,
    ) -> Claim {
        Claim {
            kind: if attribution.is_some() {
                ClaimKind::Reported
            } else if features::hedged(&text) {
                ClaimKind::Opinion
            } else {
                ClaimKind::Asserted
            },
            attribution,
            evidence,
            entities: features::entities(&text),
            numbers: features::numbers(&text),
            score: 0.0,
            grounded: true,
            reason: None,
            origin,
            sentence,
            text,
        }
    }
}

/// Who a statement names as its source ("…, the Kremlin said"), unless that is only
/// a pronoun ("he said": nobody a lone claim can name).
pub fn named_attribution(statement: &str) -> Option<String> {
    features::attribution(statement).filter(|a| !starts_with_pronoun(a))
}

/// The candidates to keep, taken in the order given: at most `max`, none `similar`
/// to one kept before it, each `eligible` (asked only of candidates that are not
/// duplicates, in order). One rule for extractive and generated claims.
pub fn distinct(
    candidates: impl IntoIterator<Item = usize>,
    max: usize,
    similar: impl Fn(usize, usize) -> bool,
    mut eligible: impl FnMut(usize) -> bool,
) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    for c in candidates {
        if kept.len() >= max {
            break;
        }
        if kept.iter().any(|&k| similar(k, c)) || !eligible(c) {
            continue;
        }
        kept.push(c);
    }
    kept
}

/// Check-worthiness of a sentence in `[0, 1]` from its surface features.
pub fn checkworthiness(sentence: &str) -> f32 {
    let t = sentence.trim();
    let n_words = features::words(t).len();
    let mut s = 0.0f32;
    if !features::numbers(t).is_empty() {
        s += 0.35;
    }
    if features::has_number_word(t) {
        s += 0.15;
    }
    if features::has_date(t) {
        s += 0.15;
    }
    s += 0.1 * features::entities(t).len().min(3) as f32;
    if features::has_reporting_verb(t) {
        s += 0.15;
    }
    if features::has_change_word(t) {
        s += 0.1;
    }
    // Things that are not checkable statements, or not whole ones.
    if n_words < 6 {
        s *= 0.3;
    } else if n_words > 70 {
        s *= 0.7;
    }
    if t.ends_with('?') || t.ends_with("?\"") || t.ends_with("?”") {
        s *= 0.2;
    }
    if !t.ends_with(['.', '!', '"', '”', '’', '\'', ')']) {
        s *= 0.3; // a heading or fragment
    }
    let lower = t.to_lowercase();
    if [
        "i think",
        "i believe",
        "we believe",
        "i feel",
        "in my view",
        "i hope",
    ]
    .iter()
    .any(|p| lower.contains(p))
    {
        s *= 0.6;
    }
    s.min(1.0)
}

/// Whether the sentence is one direct quotation ("“We will…”").
fn is_quotation(sentence: &str) -> bool {
    let t = sentence.trim();
    t.starts_with(['"', '“']) && t.ends_with(['"', '”'])
}

fn starts_with_pronoun(a: &str) -> bool {
    features::is_pronoun(a.split_whitespace().next().unwrap_or(""))
}

/// A person named at the start of a sentence ("Ms Hewitt also announced …").
fn leading_person(sentence: &str) -> Option<String> {
    let first = features::entities(sentence).into_iter().next()?;
    (sentence.starts_with(&first) && person_like(&first)).then_some(first)
}

/// Honorific or two-to-four capitalised words: plausibly a person.
fn person_like(name: &str) -> bool {
    const HONORIFICS: &[&str] = &[
        "Mr",
        "Mrs",
        "Ms",
        "Miss",
        "Dr",
        "Sir",
        "Lord",
        "Lady",
        "Prof",
        "President",
        "Prime",
        "Chancellor",
        "Senator",
        "Sen",
        "Rep",
        "Gov",
        "Governor",
        "General",
        "Gen",
    ];
    let parts: Vec<&str> = name.split_whitespace().collect();
    let first = parts.first().map(|p| p.trim_end_matches('.')).unwrap_or("");
    HONORIFICS.contains(&first)
        || ((2..=4).contains(&parts.len())
            && parts
                .iter()
                .all(|p| p.chars().next().is_some_and(char::is_uppercase)))
}

/// Replace a leading "He"/"She"/"They" by the speaker named just before, when that is
/// unambiguous enough; returns the claim text and its attribution.
fn resolve_pronoun(
    sentence: &str,
    speaker: Option<&str>,
    named: Option<String>,
) -> (String, Option<String>) {
    let pronoun_attr = features::attribution(sentence).filter(|a| starts_with_pronoun(a));
    let first = sentence.split_whitespace().next().unwrap_or("");
    let resolvable = match (first, speaker) {
        ("He", Some(s)) => person_like(s) && !s.starts_with("Ms") && !s.starts_with("Mrs"),
        ("She", Some(s)) => person_like(s) && !s.starts_with("Mr ") && !s.starts_with("Mr."),
        ("They", Some(s)) => !person_like(s),
        _ => false,
    };
    match speaker {
        Some(s) if resolvable => {
            let rest = &sentence[first.len()..];
            let text = format!("{s}{rest}");
            let attribution = named.or(pronoun_attr.map(|_| s.to_string()));
            (text, attribution)
        }
        _ => (sentence.to_string(), named),
    }
}

/// Every number and name of the claim occurs in the body (the pronoun substitution
/// brings in a name from elsewhere in the body, hence the whole-text check). The
/// sentence is part of the body, so a name found in it needs no look further; the
/// others are looked up once each (`in_body` remembers), which keeps the cost linear in
/// the body's length rather than in sentences times length.
fn supported(
    sentence: &str,
    body: &str,
    numbers: &[String],
    entities: &[String],
    in_body: &mut HashMap<String, bool>,
) -> bool {
    numbers.iter().all(|n| sentence.contains(n.as_str()))
        && entities.iter().all(|e| {
            sentence.contains(e.as_str())
                || *in_body
                    .entry(e.clone())
                    .or_insert_with(|| body.contains(e.as_str()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans_of(text: &str, sentences: &[&str]) -> Vec<Span> {
        sentences
            .iter()
            .map(|s| {
                let start = text.find(s).expect("sentence in text");
                Span {
                    start,
                    end: start + s.len(),
                }
            })
            .collect()
    }

    const HEWITT: &[&str] = &[
        "Maternity pay for new mothers is to rise by £1,400 as part of new proposals announced by the Trade and Industry Secretary Patricia Hewitt.",
        "Ms Hewitt also announced a new ombudsman for the sector.",
        "She said the plan would cost £200m a year from April 2007.",
        "It was a good day.",
        "What happens next?",
        "\"We will extend it to 12 months by 2010.\"",
    ];

    fn run(sentences: &[&str]) -> (String, Vec<Claim>) {
        let text = sentences.join(" ");
        let spans = spans_of(&text, sentences);
        let cfg = ClaimsConfig::default();
        let claims = find_claims(&text, &spans, &Embeddings::default(), &cfg);
        (text, claims)
    }

    #[test]
    fn pronoun_resolved_to_named_speaker() {
        let (_, claims) = run(HEWITT);
        let c = claims
            .iter()
            .find(|c| c.sentence == 2)
            .expect("claim from sentence 2");
        assert!(c.text.starts_with("Ms Hewitt said the plan"), "{}", c.text);
        assert_eq!(c.attribution.as_deref(), Some("Ms Hewitt"));
        assert_eq!(c.kind, ClaimKind::Reported);
        assert_eq!(c.numbers, vec!["£200m", "2007"]);
        assert!(c.grounded);
    }

    #[test]
    fn quotations_are_attributed_to_the_last_speaker() {
        let (_, claims) = run(HEWITT);
        let c = claims
            .iter()
            .find(|c| c.sentence == 5)
            .unwrap_or_else(|| panic!("quote claim missing: {claims:#?}"));
        assert_eq!(c.attribution.as_deref(), Some("Ms Hewitt"));
        assert_eq!(c.kind, ClaimKind::Reported);
    }

    #[test]
    fn vague_and_questions_are_not_claims() {
        let (_, claims) = run(HEWITT);
        assert!(claims.iter().all(|c| c.sentence != 3 && c.sentence != 4));
    }

    #[test]
    fn evidence_is_the_source_sentence_and_numbers_occur_in_it() {
        let (text, claims) = run(HEWITT);
        assert!(!claims.is_empty());
        for c in &claims {
            let e = c.evidence[0];
            let ev = &text[e.start..e.end];
            for n in &c.numbers {
                assert!(ev.contains(n.as_str()), "{n} not in {ev}");
            }
        }
    }

    #[test]
    fn max_claims_and_document_order() {
        let sentences: Vec<String> = (0..30)
            .map(|i| {
                format!(
                    "Acme Corp sold {} units in London in March 20{:02}.",
                    100 + i,
                    i
                )
            })
            .collect();
        let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
        let text = refs.join(" ");
        let spans = spans_of(&text, &refs);
        let cfg = ClaimsConfig {
            max_claims: 5,
            ..Default::default()
        };
        let claims = find_claims(&text, &spans, &Embeddings::default(), &cfg);
        assert_eq!(claims.len(), 5);
        assert!(claims.windows(2).all(|w| w[0].sentence < w[1].sentence));
    }

    #[test]
    fn near_duplicates_are_merged() {
        let sentences = [
            "Acme Corp sold 100 units in London in March 2004.",
            "Acme Corp sold 100 units in London in March 2004, officials said.",
        ];
        let text = sentences.join(" ");
        let spans = spans_of(&text, &sentences);
        let emb = Embeddings {
            dim: 2,
            data: vec![1.0, 0.0, 0.999, 0.0447],
        };
        let claims = find_claims(&text, &spans, &emb, &ClaimsConfig::default());
        assert_eq!(claims.len(), 1);
    }
}
