//! The ground stage: every sentence and claim the generator wrote is tied to the
//! article sentences that support it, and what the article does not support is
//! flagged ([`check`]). A small generator invents numbers and names; nothing it
//! writes passes as fact without this check.

pub mod check;

pub use check::{Source, Support, Verdict, MIN_SUPPORT};

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

/// Ground the generator's summary sentences and claims against the article: `text`
/// with its sentences `spans`, their embeddings `emb`, and the headline.
pub fn ground(
    encoder: &dyn Embedder,
    text: &str,
    spans: &[Span],
    emb: &Embeddings,
    title: Option<&str>,
    parsed: &Parsed,
    opts: GroundOptions,
) -> Result<Grounded, ArticleError> {
    let texts: Vec<&str> = parsed
        .summary
        .iter()
        .chain(&parsed.claims)
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
    let drop = opts.drop_unsupported;
    let summary = parsed
        .summary
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), source.check(s, vecs.row(i))))
        .filter(|(_, v)| !drop || v.grounded)
        .collect();
    // Claims that say the same thing are merged (the first stays).
    let row = |j: usize| parsed.summary.len() + j;
    let mut verdicts: Vec<Option<Verdict>> = vec![None; parsed.claims.len()];
    let kept = distinct(
        0..parsed.claims.len(),
        opts.max_claims,
        |k, j| vecs.dot(row(k), row(j)) > DUPLICATE_SIMILARITY,
        |j| {
            let v = source.check(&parsed.claims[j], vecs.row(row(j)));
            let keep = !drop || v.grounded;
            verdicts[j] = Some(v);
            keep
        },
    );
    let claims = kept
        .into_iter()
        .filter_map(|j| {
            let v = verdicts[j].take()?;
            Some(generated_claim(&parsed.claims[j], v, spans))
        })
        .collect();
    Ok(Grounded { summary, claims })
}

/// A generated claim with its verdict: the evidence is the supporting sentences'
/// spans, the score the best support.
fn generated_claim(text: &str, v: Verdict, spans: &[Span]) -> Claim {
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
    let mut claim = Claim::new(
        text.to_string(),
        named_attribution(text),
        ClaimOrigin::Generated,
        sentence,
        evidence,
    );
    claim.score = v.support.first().map_or(0.0, |x| x.score);
    claim.grounded = v.grounded;
    claim.reason = v.reason;
    claim
}
