//! Record assembly: an article's stage results into its output [`Record`].

use std::collections::BTreeMap;

use crate::extract::Claim;
use crate::ground::Review;
use crate::ground::{Grounded, Verdict};
use crate::ingest::Article;
use crate::output::record::{GeneratedSummary, ModelIds, Stats, Summary, SummarySentence, Support};
use crate::output::{Record, Status, SCHEMA_VERSION};
use crate::text::{Removed, Span};

use super::StageMs;

/// What the stages made of one article, ready to become its record.
pub(super) struct Parts {
    /// The cleaned body.
    pub text: String,
    /// Its sentences.
    pub spans: Vec<Span>,
    /// The headline (given, or found by cleaning).
    pub title: Option<String>,
    /// The byline (given, or found by cleaning).
    pub byline: Option<String>,
    /// What cleaning took out.
    pub removed: Vec<Removed>,
    /// Summary: the extractive one unless the generator wrote a usable one.
    pub summary: Summary,
    /// Claims, in the order records list them.
    pub claims: Vec<Claim>,
    /// Problems worth telling the user about.
    pub warnings: Vec<String>,
    /// (prompt tokens, generated tokens) when the generator ran.
    pub generation: Option<(usize, usize)>,
    /// How many parts the generator wrote the article in, when more than one.
    pub parts: Option<usize>,
}

/// The record of `article`, with per-stage `ms` when `timings` and the body when
/// `include_text`. Hashes are stamped by the caller.
pub(super) fn record(
    article: &Article,
    p: Parts,
    models: ModelIds,
    ms: &StageMs,
    include_text: bool,
    timings: bool,
) -> Record {
    let stats = Stats {
        sentences: p.spans.len(),
        words: p.text.split_whitespace().count(),
        prompt_tokens: p.generation.map(|g| g.0),
        generated_tokens: p.generation.map(|g| g.1),
        parts: p.parts,
        ms: if timings { ms.clone() } else { BTreeMap::new() },
    };
    Record {
        schema_version: SCHEMA_VERSION,
        id: article.id.clone(),
        source: article.source.clone(),
        source_bytes: None,
        status: Status::Ok,
        content_hash: None,
        config_hash: None,
        title: p.title,
        byline: p.byline,
        published: article.published.clone(),
        url: article.url.clone(),
        duplicate_of: None,
        similarity: None,
        story: None,
        skipped: None,
        text: include_text.then_some(p.text),
        sentences: p.spans,
        removed: p.removed,
        summary: Some(p.summary),
        claims: p.claims,
        stats: Some(stats),
        model: Some(models),
        fingerprint: None,
        warnings: p.warnings,
        error: None,
    }
}

/// The extractive summary: the chosen sentences, each its own support.
pub(super) fn extractive_summary(sentences: &[&str], chosen: &[usize]) -> Summary {
    let parts: Vec<SummarySentence> = chosen
        .iter()
        .map(|&i| SummarySentence {
            text: sentences[i].to_string(),
            support: vec![Support {
                sentence: i,
                score: 1.0,
            }],
            grounded: None,
            reason: None,
        })
        .collect();
    summary("extractive", parts, chosen)
}

/// The generator's summary as the summary check left it: its `kept` sentences with
/// their verdicts.
pub(super) fn abstractive_summary(
    grounded: &mut Grounded,
    kept: &[usize],
    chosen: &[usize],
) -> Summary {
    let parts = std::mem::take(&mut grounded.summary)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| kept.contains(i))
        .map(|(_, (text, v))| summary_sentence(text, v))
        .collect();
    summary("abstractive", parts, chosen)
}

/// The extractive summary, recording the generator's summary beside it: the `kept`
/// sentences when the check accepted it, all of them with the check's `reason` when not.
pub(super) fn with_generated(extractive: Summary, grounded: &Grounded, review: &Review) -> Summary {
    let (accepted, reason) = match review {
        Review::Accept(_) => (true, None),
        Review::Reject(why) => (false, Some(why.clone())),
    };
    let text = grounded
        .summary
        .iter()
        .enumerate()
        .filter(|(i, _)| match review {
            Review::Accept(kept) => kept.contains(i),
            Review::Reject(_) => true,
        })
        .map(|(_, (s, _))| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Summary {
        generated: Some(GeneratedSummary {
            text,
            accepted,
            reason,
        }),
        ..extractive
    }
}

fn summary_sentence(text: String, v: Verdict) -> SummarySentence {
    SummarySentence {
        text,
        support: v
            .support
            .iter()
            .map(|x| Support {
                sentence: x.sentence,
                score: x.score,
            })
            .collect(),
        grounded: Some(v.grounded),
        reason: v.reason,
    }
}

fn summary(method: &str, sentences: Vec<SummarySentence>, chosen: &[usize]) -> Summary {
    Summary {
        text: sentences
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        method: method.into(),
        sentences,
        extractive: chosen.to_vec(),
        generated: None,
    }
}
