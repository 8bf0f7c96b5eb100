//! Run configuration. The CLI (and later a config file) map into [`Config`]; every
//! default is documented here, in one place.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How long the extractive summary is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryLength {
    /// A fixed number of sentences (fewer when the article is shorter).
    Sentences(usize),
    /// A fraction of the article's sentences, rounded, at least one.
    Ratio(f32),
}

impl SummaryLength {
    /// Number of sentences to select from an article of `n` sentences.
    pub fn count(self, n: usize) -> usize {
        let k = match self {
            SummaryLength::Sentences(k) => k,
            SummaryLength::Ratio(r) => ((n as f32) * r).round() as usize,
        };
        k.clamp(usize::from(n > 0), n)
    }
}

/// Options of the extractive selection (see `extract::select`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectConfig {
    /// Summary length. Default: 3 sentences, the length of news highlights.
    pub length: SummaryLength,
    /// Weight of the lead/position prior against content, in `[0, 1]`.
    pub position_weight: f32,
    /// Share of content relevance that comes from similarity to the headline (the
    /// rest is centrality), in `[0, 1]`; unused when there is no headline.
    pub title_weight: f32,
    /// MMR trade-off: 1.0 = pure relevance, lower = more diversity.
    pub mmr_lambda: f32,
    /// Soft cap on summary words; selection stops adding sentences beyond it (0 = none).
    pub max_words: usize,
    /// Make sure the sentence closest to the headline is in the summary (a brief tells
    /// the story its headline announces; see `extract::select`).
    #[serde(default)]
    pub cover_headline: bool,
}

/// [`SelectConfig::position_weight`] of a news brief (the default): news is written
/// as an inverted pyramid, so a short summary leans on the lead. On 75 CNN/DailyMail
/// stories (`brief eval`), 3 sentences within 85 words: ROUGE-1 41.3 at 0.8, 37.3 at
/// 0.2, against Lead-3's 40.8 (41.0 within the default 80 words).
pub const BRIEF_POSITION_WEIGHT: f32 = 0.8;

/// [`SelectConfig::position_weight`] of a digest (`--summary-ratio`, and the context
/// the generator reads besides the lead): a long selection covers the whole piece, so
/// content leads. On the BBC set at ratio 0.4: ROUGE-1 71.0 at 0.2, 62.5 at 0.8.
pub const DIGEST_POSITION_WEIGHT: f32 = 0.2;

impl Default for SelectConfig {
    fn default() -> Self {
        SelectConfig {
            length: SummaryLength::Sentences(3),
            position_weight: BRIEF_POSITION_WEIGHT,
            title_weight: 0.25,
            mmr_lambda: 0.7,
            // News highlights run to about 55 words; 80 keeps every brief readable at
            // a glance (85 scores 0.3 ROUGE-1 more on the dev set, with 12 % of
            // summaries over 80 words).
            max_words: 80,
            cover_headline: true,
        }
    }
}

/// Options of the extractive claim finder (see `extract::claims`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimsConfig {
    /// At most this many claims per article. Default 12.
    pub max_claims: usize,
    /// Claims scoring below this check-worthiness are dropped. Default 0.35.
    pub min_score: f32,
}

impl Default for ClaimsConfig {
    fn default() -> Self {
        ClaimsConfig {
            max_claims: 12,
            min_score: 0.35,
        }
    }
}

/// Which claims a record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClaimsMode {
    /// Check-worthy sentences of the article itself.
    #[default]
    Extractive,
    /// Atomic claims written by the generator, grounded against the article.
    Generated,
    /// Both, generated first.
    Both,
}

/// Which summary a record's `summary.text` is when a generator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SummaryMode {
    /// The extractive news brief (the lead-aware selection). The default: on 75
    /// CNN/DailyMail stories it scores ROUGE-1 41.3 against Lead-3's 40.8, while the
    /// default generator's checked summaries of the same stories score about 4 points
    /// lower (it mostly copies the lead, and less of it); the generator's summary is
    /// still recorded, with the check's verdict, as `summary.generated`.
    #[default]
    Extractive,
    /// The generator's summary when the summary check accepts it, else the extractive
    /// one (`summary.generated` then says why).
    Generated,
}

/// Options of the generative stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorConfig {
    /// A known model name (`smollm2`, `qwen2.5`), a path to a GGUF file, or a
    /// Hugging Face model folder (`config.json` + safetensors).
    pub model: String,
    /// At most this many generated tokens per article.
    pub max_new_tokens: usize,
    /// Words of article (chosen sentences, in document order) put in the prompt.
    pub prompt_words: usize,
    /// Articles longer than this many words are summarised in parts of at most
    /// this size (map), then from the parts' summaries (reduce).
    #[serde(default = "default_chunk_words")]
    pub chunk_words: usize,
}

fn default_chunk_words() -> usize {
    1500
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            model: crate::model::registry::DEFAULT_GENERATOR.into(),
            max_new_tokens: 200,
            prompt_words: 300,
            chunk_words: default_chunk_words(),
        }
    }
}

/// What a run does with an article that nearly repeats an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DuplicatesMode {
    /// Process it like any other; its record says `duplicate_of`.
    #[default]
    Mark,
    /// Clean it and point at the canonical article, but neither encode nor summarise
    /// it (`skipped: duplicate`): the fast path for wire-heavy feeds.
    Skip,
}

/// Options of near-duplicate detection and story grouping (see `relate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelateConfig {
    /// Mark or skip near-duplicates.
    pub duplicates: DuplicatesMode,
    /// Estimated shingle Jaccard similarity at or above which an article is a
    /// near-duplicate of an earlier one. Default
    /// [`crate::relate::DEFAULT_DUPLICATE_THRESHOLD`].
    pub duplicate_threshold: f32,
    /// Cosine of lead vectors at or above which an article joins a story. Default
    /// [`crate::relate::stories::DEFAULT_STORY_THRESHOLD`].
    pub story_threshold: f32,
}

impl Default for RelateConfig {
    fn default() -> Self {
        RelateConfig {
            duplicates: DuplicatesMode::Mark,
            duplicate_threshold: crate::relate::DEFAULT_DUPLICATE_THRESHOLD,
            story_threshold: crate::relate::stories::DEFAULT_STORY_THRESHOLD,
        }
    }
}

/// Articles decoded together per worker by default: enough rows per weight pass for
/// the int8 kernel to be bound by arithmetic rather than memory (see `model::int8`;
/// on the seed + 10 BBC stories, one worker: groups of 8 + 3 took 106 s, one group
/// of 11 93 s).
pub const DEFAULT_BATCH: usize = 16;

/// Default of [`Config::max_sentences`]: about 100 times the longest BBC story, and
/// about 2.5 MB of ordinary news prose.
pub const DEFAULT_MAX_SENTENCES: usize = 20_000;

fn default_max_sentences() -> usize {
    DEFAULT_MAX_SENTENCES
}

/// Default of [`Config::max_article_tokens`]: about 70,000 words of news prose (five
/// times a long read; 68,000 words of BBC stories took 87 s to encode on one core of a
/// shared machine). Text whose every character is a token (1 MB of `#`, random
/// punctuation) reaches it in a few hundred kilobytes and is refused at once instead of
/// encoded for a quarter hour.
pub const DEFAULT_MAX_ARTICLE_TOKENS: usize = 100_000;

fn default_max_article_tokens() -> usize {
    DEFAULT_MAX_ARTICLE_TOKENS
}

/// Everything a run needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Folder holding the models (`models/fetch` fills it).
    pub models_dir: PathBuf,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Articles a worker keeps decoding together (one batched forward pass per
    /// step; the next article joins as one ends); 1 = one at a time. Output is the
    /// same for any value.
    pub batch: usize,
    /// Articles larger than this many bytes are rejected with `too_large`.
    pub max_article_bytes: u64,
    /// Articles with more sentences than this (after cleaning) are rejected with
    /// `too_large` before they are encoded: bounds the work one article can cost.
    /// Default [`DEFAULT_MAX_SENTENCES`].
    #[serde(default = "default_max_sentences")]
    pub max_sentences: usize,
    /// Articles whose sentences come to more encoder tokens than this (each sentence
    /// truncated as the encoder truncates it) are rejected with `too_large` after
    /// tokenising, before the model runs: the encoder's cost follows its tokens.
    /// Default [`DEFAULT_MAX_ARTICLE_TOKENS`].
    #[serde(default = "default_max_article_tokens")]
    pub max_article_tokens: usize,
    /// Whether records carry the cleaned body as `text`.
    pub include_text: bool,
    /// Whether records carry per-stage timings (off by default: output stays
    /// byte-identical between runs).
    pub timings: bool,
    /// Extractive summary options.
    pub select: SelectConfig,
    /// Claim options.
    pub claims: ClaimsConfig,
    /// The generator, when summaries and claims are to be written by one.
    pub generator: Option<GeneratorConfig>,
    /// Which claims records carry.
    pub claims_mode: ClaimsMode,
    /// Which summary records carry as `summary.text`.
    pub summary_mode: SummaryMode,
    /// Remove generated sentences and claims the article does not support (otherwise
    /// they stay, marked `grounded: false` with a reason).
    pub drop_unsupported: bool,
    /// Near-duplicates and stories.
    #[serde(default)]
    pub relate: RelateConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            models_dir: PathBuf::from("models"),
            threads: 0,
            batch: DEFAULT_BATCH,
            max_article_bytes: 16 * 1024 * 1024,
            max_sentences: DEFAULT_MAX_SENTENCES,
            max_article_tokens: DEFAULT_MAX_ARTICLE_TOKENS,
            include_text: true,
            timings: false,
            select: SelectConfig::default(),
            claims: ClaimsConfig::default(),
            generator: None,
            claims_mode: ClaimsMode::Extractive,
            summary_mode: SummaryMode::Extractive,
            drop_unsupported: false,
            relate: RelateConfig::default(),
        }
    }
}

impl Config {
    /// Decode slots per worker for `items` articles on `threads` workers (`None`: a
    /// stream of unknown length): [`Config::batch`], but no more than each worker's
    /// share of the articles, so a short run still puts every worker to work (a
    /// worker fills its slots as it takes articles from the feed).
    pub fn slots(&self, items: Option<usize>, threads: usize) -> usize {
        let batch = self.batch.max(1);
        let Some(items) = items else { return batch };
        items.div_ceil(threads.max(1)).clamp(1, batch)
    }

    /// BLAKE3 (64 hex digits) of everything that shapes a record besides the article:
    /// the canonical JSON of the options that change output, the models in use (their
    /// identities, e.g. SHA-256 hashes of the weights) and the record schema version.
    ///
    /// Left out on purpose: the models folder (a path; the models' hashes count), the
    /// thread count and batch size (output is identical for any), and brief's own
    /// version (a patch release should not redo a finished batch; use `--force`).
    ///
    /// `relate` (near-duplicates and stories) always counts: it came with schema
    /// version 2, which changed every hash anyway.
    ///
    /// `max_sentences` and `max_article_tokens` count only when not the default: they
    /// change no record of an article within the limit, and leaving the default out keeps the hash (and so
    /// every record) what it was before the option existed; another value does count,
    /// so raising it redoes the `too_large` records it made.
    pub fn output_hash(&self, schema_version: u32, models: &[String]) -> String {
        // Destructured without `..`: a new option must be classified here to compile.
        let Config {
            models_dir: _,
            threads: _,
            batch: _,
            max_article_bytes,
            max_sentences,
            max_article_tokens,
            include_text,
            timings,
            select,
            claims,
            generator,
            claims_mode,
            summary_mode,
            drop_unsupported,
            relate,
        } = self;
        let generator = generator.as_ref().map(|g| {
            // The model name is not hashed: the models list carries its file hash.
            let GeneratorConfig {
                model: _,
                max_new_tokens,
                prompt_words,
                chunk_words,
            } = g;
            serde_json::json!({
                "max_new_tokens": max_new_tokens,
                "prompt_words": prompt_words,
                "chunk_words": chunk_words,
            })
        });
        let mut canonical = serde_json::json!({
            "schema_version": schema_version,
            "models": models,
            "max_article_bytes": max_article_bytes,
            "include_text": include_text,
            "timings": timings,
            "select": select,
            "claims": claims,
            "generator": generator,
            "claims_mode": claims_mode,
            "drop_unsupported": drop_unsupported,
            "relate": relate,
        });
        // Only with a generator (without one there is one summary), and only when not
        // the default, so that `--no-generate` records keep their hash.
        if self.generator.is_some() && *summary_mode != SummaryMode::default() {
            canonical["summary_mode"] = serde_json::json!(summary_mode);
        }
        if *max_sentences != DEFAULT_MAX_SENTENCES {
            canonical["max_sentences"] = serde_json::json!(max_sentences);
        }
        if *max_article_tokens != DEFAULT_MAX_ARTICLE_TOKENS {
            canonical["max_article_tokens"] = serde_json::json!(max_article_tokens);
        }
        // serde_json maps are ordered (sorted keys, or insertion order with
        // `preserve_order`): either way the text is the same for the same options.
        blake3::hash(canonical.to_string().as_bytes())
            .to_hex()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_the_batch_size_or_a_workers_share() {
        let cfg = Config {
            batch: 16,
            ..Config::default()
        };
        assert_eq!(cfg.slots(Some(100), 2), 16);
        assert_eq!(cfg.slots(Some(11), 1), 11);
        assert_eq!(cfg.slots(Some(11), 2), 6);
        assert_eq!(cfg.slots(Some(1), 2), 1);
        assert_eq!(cfg.slots(Some(0), 2), 1);
        assert_eq!(cfg.slots(Some(1000), 2), 16);
        assert_eq!(cfg.slots(None, 2), 16);
        let one = Config {
            batch: 1,
            ..Config::default()
        };
        assert_eq!(one.slots(Some(100), 2), 1);
        assert_eq!(one.slots(None, 2), 1);
    }

    #[test]
    fn output_hash_changes_with_output_options_only() {
        let base = Config::default();
        let models = vec!["enc".to_string()];
        let h = base.output_hash(1, &models);
        assert_eq!(h.len(), 64);
        assert_eq!(h, base.clone().output_hash(1, &models));
        let same = Config {
            models_dir: "elsewhere".into(),
            threads: 7,
            batch: 3,
            ..base.clone()
        };
        assert_eq!(same.output_hash(1, &models), h);
        let mut changed = vec![
            Config {
                max_article_bytes: 1,
                ..base.clone()
            },
            Config {
                include_text: false,
                ..base.clone()
            },
            Config {
                max_sentences: 10,
                ..base.clone()
            },
            Config {
                timings: true,
                ..base.clone()
            },
            Config {
                drop_unsupported: true,
                ..base.clone()
            },
            Config {
                claims_mode: ClaimsMode::Both,
                ..base.clone()
            },
            Config {
                generator: Some(GeneratorConfig::default()),
                ..base.clone()
            },
        ];
        let mut c = base.clone();
        c.select.length = SummaryLength::Sentences(5);
        changed.push(c);
        let mut c = base.clone();
        c.claims.max_claims = 3;
        changed.push(c);
        let mut c = base.clone();
        c.relate.duplicates = DuplicatesMode::Skip;
        changed.push(c);
        let mut c = base.clone();
        c.relate.story_threshold = 0.5;
        changed.push(c);
        let mut c = base.clone();
        c.relate.duplicate_threshold = 0.9;
        changed.push(c);
        let mut seen = std::collections::HashSet::from([h.clone()]);
        for c in &changed {
            assert!(seen.insert(c.output_hash(1, &models)), "{c:?}");
        }
        assert!(seen.insert(base.output_hash(2, &models)), "schema version");
        assert!(
            seen.insert(base.output_hash(1, &["other".to_string()])),
            "models"
        );
    }
}
