//! The output record: one JSON object per article. Field names are interface; the JSON
//! Schema in `schema/record.schema.json` documents them and a test validates output
//! against it. Bump [`SCHEMA_VERSION`] on any incompatible change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ArticleError;
use crate::extract::Claim;
use crate::text::clean::Removed;
use crate::text::Span;

/// Version of the record layout.
pub const SCHEMA_VERSION: u32 = 2;

/// Whether the article was processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Processed; summary and claims present.
    Ok,
    /// Failed; see `error`.
    Error,
}

/// One sentence of the summary and the body sentences that support it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummarySentence {
    /// The sentence.
    pub text: String,
    /// Supporting body sentences, best first.
    pub support: Vec<Support>,
    /// For generated sentences: whether the article supports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounded: Option<bool>,
    /// Why it is not grounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A body sentence supporting a generated sentence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Support {
    /// Index into `sentences`.
    pub sentence: usize,
    /// Strength of support in `[0, 1]`.
    pub score: f32,
}

/// The article's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The summary as one text.
    pub text: String,
    /// How it was made: `extractive` (selected body sentences: the default) or
    /// `abstractive` (written by the generator with `--summary generated` and accepted
    /// by the summary check).
    pub method: String,
    /// Its sentences with support.
    pub sentences: Vec<SummarySentence>,
    /// Indices of the body sentences chosen by the extractive stage, in document order.
    pub extractive: Vec<usize>,
    /// What the generator wrote for the summary and the summary check's verdict, when
    /// a generator ran and `text` is not its summary (`method` is `extractive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<GeneratedSummary>,
}

/// The generator's summary when it is not the record's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedSummary {
    /// What the generator wrote (the sentences the check kept, when it accepted it).
    pub text: String,
    /// Whether the summary check accepted it.
    pub accepted: bool,
    /// Why the check rejected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Per-article figures.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Sentences in the cleaned body.
    pub sentences: usize,
    /// Words in the cleaned body.
    pub words: usize,
    /// Prompt tokens sent to the generator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<usize>,
    /// Tokens the generator wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_tokens: Option<usize>,
    /// Parts a long article was summarised in (map-reduce); absent when the whole
    /// article fed one generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<usize>,
    /// Milliseconds per stage (only with `--timings`, so that default output is
    /// byte-identical from run to run).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ms: BTreeMap<String, u64>,
}

/// The models that produced a record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ModelIds {
    /// Sentence encoder, `name@sha256-prefix`.
    pub encoder: String,
    /// Generator, when one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
}

/// An article's compact fingerprint ([`crate::relate`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Fingerprint {
    /// BLAKE3 of the cleaned text (hex, 32 digits).
    pub text: String,
    /// MinHash signature of its word shingles (base64 of 128 little-endian `u32`s).
    pub minhash: String,
    /// Lead vector: mean embedding of headline and first two sentences, int8 (base64);
    /// absent for a skipped duplicate (the encoder did not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
}

/// One line of `results.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Record layout version.
    pub schema_version: u32,
    /// Stable article id.
    pub id: String,
    /// Where the article came from (for a path that is not valid UTF-8, its lossy text:
    /// see `source_bytes`).
    pub source: String,
    /// Base64 (standard, padded) of the source's real bytes, only when the path is not
    /// valid UTF-8: on Unix the file name's bytes as the OS has them, followed by the
    /// `:LINE` or `#INDEX` suffix of `source`. Absent for every UTF-8 source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_bytes: Option<String>,
    /// `ok` or `error`.
    pub status: Status,
    /// BLAKE3 (hex) of what was ingested for the article: its id, metadata and body
    /// ([`crate::ingest::Article::content_hash`]), or of the failure when it could not
    /// be read. With `config_hash`, decides whether a later run may skip the article.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// BLAKE3 (hex) of everything else that shapes the record: the options that change
    /// output, the models' hashes and the schema version ([`crate::config::Config::output_hash`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_hash: Option<String>,
    /// Headline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Author or agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byline: Option<String>,
    /// Publication date as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// URL as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The id of the earlier article of the batch this one nearly repeats (its
    /// group's canonical article); absent when it repeats none ([`crate::relate`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// Estimated Jaccard similarity of the shingles with `duplicate_of` (1 for the
    /// same cleaned text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// The story (articles about the same event) the article belongs to: an id of
    /// `stories.jsonl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<String>,
    /// Why the article was not summarised: `duplicate` (`--duplicates skip`: see
    /// `duplicate_of`'s record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Cleaned body; all offsets are byte offsets into it (absent with `--no-text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Body sentences as byte spans.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sentences: Vec<Span>,
    /// What cleaning removed (bylines, notices, share lines), for transparency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<Removed>,
    /// The summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// Factual claims.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
    /// Figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
    /// Models used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelIds>,
    /// What relating articles needs, kept so that a resumed run and `brief merge`
    /// recompute duplicates and stories without the text or the encoder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Fingerprint>,
    /// Non-fatal problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why the article failed (`status: error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ArticleError>,
}

impl Record {
    /// What resuming knows the record by ([`crate::ingest::source_key`]).
    pub fn key(&self) -> String {
        crate::ingest::source_key(&self.source, self.source_bytes.as_deref())
    }

    /// Whether this is the failure of an article abandoned by a stop (never written).
    pub fn is_interrupted(&self) -> bool {
        self.error
            .as_ref()
            .is_some_and(|e| e.kind == crate::error::ErrorKind::Interrupted)
    }

    /// An error record for an article that could not be processed.
    pub fn failed(id: String, source: String, error: ArticleError) -> Self {
        Record {
            schema_version: SCHEMA_VERSION,
            id,
            source,
            source_bytes: None,
            status: Status::Error,
            content_hash: None,
            config_hash: None,
            title: None,
            byline: None,
            published: None,
            url: None,
            duplicate_of: None,
            similarity: None,
            story: None,
            skipped: None,
            text: None,
            sentences: Vec::new(),
            removed: Vec::new(),
            summary: None,
            claims: Vec::new(),
            stats: None,
            model: None,
            fingerprint: None,
            warnings: Vec::new(),
            error: Some(error),
        }
    }
}
