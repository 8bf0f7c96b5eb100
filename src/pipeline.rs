//! One article through the stages: clean → segment → encode → select → claims
//! (→ generate → ground) → record, in [`Engine`]. Batches over many inputs, in
//! parallel and resumable, are in [`crate::batch`] (re-exported here).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::config::{ClaimsMode, Config, SelectConfig, SummaryLength};
use crate::error::{ArticleError, ErrorKind, Result};
use crate::extract::abstractive::{self, PromptIds, Written};
use crate::extract::claims::DUPLICATE_SIMILARITY;
use crate::extract::generate::Parsed;
use crate::extract::ground::Source;
use crate::extract::names::restore_names;
use crate::extract::select::{sentence_info, SentenceInfo};
use crate::extract::writer::{self, AbstractiveWriter};
use crate::extract::{features, Claim, ClaimKind, ClaimOrigin, Evidence};
use crate::extract::{find_claims, select};
use crate::ingest::{Article, Failure};

pub use crate::batch::{run, Output, RunOptions, RunReport};
use crate::model::encoder::{BertEncoder, EncoderOptions};
use crate::model::{files, Embedder, Embeddings};
use crate::output::manifest::ModelFile;
use crate::output::record::{ModelIds, Stats, Summary, SummarySentence, Support};
use crate::output::{Record, Status, SCHEMA_VERSION};
use crate::text::{clean, segment, Removed, Span};

/// Name of the default sentence encoder (a folder under the models directory).
pub const DEFAULT_ENCODER: &str = "all-MiniLM-L6-v2";

/// Milliseconds spent per stage on one article.
pub type StageMs = BTreeMap<String, u64>;

/// Loaded models plus configuration: everything needed to process articles.
/// Loaded once per process and shared by all worker threads.
pub struct Engine {
    encoder: Arc<dyn Embedder>,
    abstractive: Option<(AbstractiveWriter, String)>,
    config: Config,
    models: Vec<ModelFile>,
    config_hash: String,
}

impl Engine {
    /// Load the models named by `config`.
    pub fn load(config: &Config) -> Result<Self> {
        let dir = config.models_dir.join(DEFAULT_ENCODER);
        let weights = dir.join("model.safetensors");
        files::require(&weights, DEFAULT_ENCODER)?;
        let encoder = BertEncoder::load(&dir, EncoderOptions::default())?;
        let models = vec![ModelFile {
            role: "encoder".into(),
            name: DEFAULT_ENCODER.into(),
            path: weights.display().to_string(),
            sha256: files::file_sha256(&weights)?,
        }];
        let mut engine = Self::with_encoder(Arc::new(encoder), config.clone(), models);
        if let Some(g) = &config.generator {
            let (name, path) = abstractive::resolve(&g.model, &config.models_dir)?;
            files::require(&path, &name)?;
            let sha256 = writer::model_sha256(&path)?;
            let id = format!("{name}@{}", &sha256[..8]);
            let model = AbstractiveWriter::load(&path, g.max_new_tokens)?;
            engine.abstractive = Some((model, id));
            engine.models.push(ModelFile {
                role: "generator".into(),
                name,
                path: path.display().to_string(),
                sha256,
            });
            engine.config_hash = engine.compute_config_hash();
        }
        Ok(engine)
    }

    /// Build from an already loaded encoder (tests, embedding brief in other programs).
    pub fn with_encoder(
        encoder: Arc<dyn Embedder>,
        config: Config,
        models: Vec<ModelFile>,
    ) -> Self {
        let mut engine = Engine {
            encoder,
            abstractive: None,
            config,
            models,
            config_hash: String::new(),
        };
        engine.config_hash = engine.compute_config_hash();
        engine
    }

    /// [`Config::output_hash`] over the configuration, the encoder's id and the model
    /// files' hashes.
    fn compute_config_hash(&self) -> String {
        let mut models = vec![format!("encoder:{}", self.encoder.id())];
        models.extend(
            self.models
                .iter()
                .map(|m| format!("{}:{}", m.role, m.sha256)),
        );
        self.config.output_hash(SCHEMA_VERSION, &models)
    }

    /// The hash every record of this engine carries as `config_hash`.
    pub fn config_hash(&self) -> &str {
        &self.config_hash
    }

    /// The record for an article that could not be read, stamped like every other.
    pub fn failed(&self, failure: Failure) -> Record {
        let content_hash = failure.content_hash();
        let mut r = Record::failed(failure.id, failure.source, failure.error);
        r.source_bytes = failure.source_bytes;
        r.content_hash = Some(content_hash);
        r.config_hash = Some(self.config_hash.clone());
        r
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Model files in use, with hashes.
    pub fn models(&self) -> &[ModelFile] {
        &self.models
    }

    /// Process one article into its record, stamped with the article's content hash
    /// and the engine's config hash. Never panics: failures, including panics inside
    /// a stage (bugs), become error records.
    pub fn process(&self, article: &Article) -> (Record, StageMs) {
        self.process_batch(std::slice::from_ref(article))
            .pop()
            .expect("one record per article")
    }

    /// Process several articles, decoding their generations together: each decode
    /// step is one batched pass over the weights for all of them (see
    /// [`crate::model::int8`]), which is where a CPU spends generation time. Every
    /// record is identical to what [`Self::process`] gives for that article alone
    /// (test); one failing article fails only its own record. Records come back in
    /// input order, stamped as in [`Self::process`]. A generation's time is shared
    /// out evenly between the articles decoded together.
    pub fn process_batch(&self, articles: &[Article]) -> Vec<(Record, StageMs)> {
        let prepared: Vec<Result<Prepared, ArticleError>> = articles
            .iter()
            .map(|a| guarded(|| self.prepare(a)))
            .collect();
        let mut written: Vec<Option<Result<Written, ArticleError>>> =
            prepared.iter().map(|_| None).collect();
        let mut generate_ms = vec![0u64; articles.len()];
        if let Some((ab, _)) = &self.abstractive {
            // Single-part articles are decoded together; a long article's parts are
            // already a batch of their own (map-reduce), so it runs alone.
            let batched: Vec<usize> = (0..articles.len())
                .filter(|&i| matches!(&prepared[i], Ok(p) if p.feeds.len() == 1))
                .collect();
            let clock = Instant::now();
            let items: Vec<(Option<&str>, Vec<&str>)> = batched
                .iter()
                .map(|&i| {
                    let p = prepared[i].as_ref().expect("filtered");
                    let feed = p.feeds[0].iter().map(String::as_str).collect();
                    (p.title.as_deref(), feed)
                })
                .collect();
            let results = match guarded(|| Ok(ab.write_batch(&items))) {
                Ok(results) => results.into_iter().map(model_error).collect(),
                Err(e) => vec![Err(e); batched.len()],
            };
            let share = clock.elapsed().as_millis() as u64 / batched.len().max(1) as u64;
            for (&i, result) in batched.iter().zip(results) {
                written[i] = Some(result);
                generate_ms[i] = share;
            }
            for (i, p) in prepared.iter().enumerate() {
                if let (Ok(p), None) = (p, &written[i]) {
                    let clock = Instant::now();
                    let feeds: Vec<Vec<&str>> = p
                        .feeds
                        .iter()
                        .map(|f| f.iter().map(String::as_str).collect())
                        .collect();
                    written[i] = Some(guarded(|| {
                        model_error(ab.write_parts(p.title.as_deref(), &feeds))
                    }));
                    generate_ms[i] = clock.elapsed().as_millis() as u64;
                }
            }
        }
        articles
            .iter()
            .zip(prepared)
            .zip(written)
            .zip(generate_ms)
            .map(|(((article, p), w), ms)| {
                let done = p.and_then(|p| guarded(|| self.finish(p, w, ms)));
                let (mut record, ms) = match done {
                    Ok(done) => done,
                    Err(e) => (
                        Record::failed(article.id.clone(), article.source.clone(), e),
                        StageMs::new(),
                    ),
                };
                record.source_bytes = article.source_bytes.clone();
                record.content_hash = Some(article.content_hash());
                record.config_hash = Some(self.config_hash.clone());
                (record, ms)
            })
            .collect()
    }

    /// The stages before generation.
    fn prepare(&self, article: &Article) -> Result<Prepared, ArticleError> {
        let mut ms = StageMs::new();
        let mut clock = Instant::now();
        let mut lap = |ms: &mut StageMs, stage: &str| {
            let now = Instant::now();
            ms.insert(stage.to_string(), (now - clock).as_millis() as u64);
            clock = now;
        };

        let cleaned = clean(&article.body, article.title.as_deref());
        lap(&mut ms, "clean");
        if cleaned.text.trim().is_empty() {
            return Err(ArticleError::new(
                ErrorKind::Empty,
                "no article text left after cleaning",
            ));
        }
        let text = cleaned.text;
        let spans = segment(&text);
        lap(&mut ms, "segment");
        if spans.is_empty() {
            return Err(ArticleError::new(ErrorKind::Empty, "no sentences found"));
        }
        check_sentences(spans.len(), self.config.max_sentences)?;
        let title = article.title.clone().or(cleaned.title);

        let sentences: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
        let (emb, title_emb) = self.embed(&sentences, title.as_deref())?;
        lap(&mut ms, "encode");

        let info: Vec<SentenceInfo> = sentences.iter().map(sentence_info).collect();
        let chosen = select(&emb, title_emb.as_deref(), &info, &self.config.select);
        lap(&mut ms, "select");
        let claims = find_claims(&text, &spans, &emb, &self.config.claims);
        lap(&mut ms, "claims");
        let feeds = if self.abstractive.is_some() {
            self.feeds(&sentences, &emb, title_emb.as_deref(), &info)
                .into_iter()
                .map(|f| f.into_iter().map(str::to_string).collect())
                .collect()
        } else {
            Vec::new()
        };
        Ok(Prepared {
            id: article.id.clone(),
            source: article.source.clone(),
            published: article.published.clone(),
            url: article.url.clone(),
            byline: article.byline.clone().or(cleaned.byline),
            text,
            spans,
            title,
            removed: cleaned.removed,
            emb,
            chosen,
            claims,
            feeds,
            ms,
        })
    }

    /// Ground what the generator wrote (if it ran) and assemble the record.
    fn finish(
        &self,
        p: Prepared,
        written: Option<Result<Written, ArticleError>>,
        generate_ms: u64,
    ) -> Result<(Record, StageMs), ArticleError> {
        let Prepared {
            id,
            source,
            published,
            url,
            text,
            spans,
            title,
            byline,
            removed,
            emb,
            chosen,
            claims,
            feeds,
            mut ms,
        } = p;
        let sentences: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
        let mut summary = extractive_summary(&sentences, &chosen);
        let mut warnings = Vec::new();
        let mut claims = match self.config.claims_mode {
            ClaimsMode::Generated => Vec::new(),
            _ => claims,
        };
        let mut generation = None;
        let n_parts = (feeds.len() > 1).then_some(feeds.len());
        if let Some(written) = written {
            let mut written = written?;
            let clock = Instant::now();
            restore_names(&mut written.parsed, &text);
            ms.insert(
                "generate".into(),
                generate_ms + clock.elapsed().as_millis() as u64,
            );
            let clock = Instant::now();
            let grounded = self.ground(
                &text,
                &spans,
                &sentences,
                &emb,
                title.as_deref(),
                &written.parsed,
            )?;
            ms.insert("ground".into(), clock.elapsed().as_millis() as u64);
            warnings.extend(written.parsed.warnings.iter().cloned());
            if grounded.summary.is_empty() {
                warnings.push(
                    "the generator wrote no usable summary; the extractive one is kept".into(),
                );
            } else {
                summary = Summary {
                    text: grounded
                        .summary
                        .iter()
                        .map(|s| s.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    method: "abstractive".into(),
                    sentences: grounded.summary,
                    extractive: chosen.clone(),
                };
            }
            if self.config.claims_mode != ClaimsMode::Extractive {
                let mut all = grounded.claims;
                all.append(&mut claims);
                claims = all;
            }
            generation = Some((written.prompt_tokens, written.generated_tokens));
        }
        let stats = Stats {
            sentences: spans.len(),
            words: text.split_whitespace().count(),
            prompt_tokens: generation.map(|g| g.0),
            generated_tokens: generation.map(|g| g.1),
            parts: n_parts,
            ms: if self.config.timings {
                ms.clone()
            } else {
                BTreeMap::new()
            },
        };
        let record = Record {
            schema_version: SCHEMA_VERSION,
            id,
            source,
            source_bytes: None,
            status: Status::Ok,
            content_hash: None,
            config_hash: None,
            title,
            byline,
            published,
            url,
            text: self.config.include_text.then_some(text.clone()),
            sentences: spans,
            removed,
            summary: Some(summary),
            claims,
            stats: Some(stats),
            model: Some(ModelIds {
                encoder: self.encoder.id(),
                generator: self.abstractive.as_ref().map(|(_, id)| id.clone()),
            }),
            warnings,
            error: None,
        };
        Ok((record, ms))
    }

    /// The sentences put in the generator's prompt: the best ones up to the prompt's
    /// word budget, in document order. One function for [`Self::process`] and
    /// [`Self::prompt`], so a dumped prompt is the one generation sees.
    /// What the generator reads: the chosen sentences (about `prompt_words` words, in
    /// document order) of each part of the article; one part unless the article is
    /// longer than `chunk_words` (then map-reduce, see [`parts_of`]).
    fn feeds<'a>(
        &self,
        sentences: &[&'a str],
        emb: &Embeddings,
        title_emb: Option<&[f32]>,
        info: &[SentenceInfo],
    ) -> Vec<Vec<&'a str>> {
        let g = self.config.generator.clone().unwrap_or_default();
        parts_of(sentences, g.chunk_words)
            .into_iter()
            .map(|range| {
                let feed_cfg = SelectConfig {
                    length: SummaryLength::Sentences(range.len()),
                    max_words: g.prompt_words,
                    ..self.config.select.clone()
                };
                select(
                    &emb.rows(range.clone()),
                    title_emb,
                    &info[range.clone()],
                    &feed_cfg,
                )
                .iter()
                .map(|&i| sentences[range.start + i])
                .collect()
            })
            .collect()
    }

    /// The exact prompt the generator receives for `article` (`None` without a
    /// generator): the same cleaning, segmentation, encoding and sentence choice as
    /// [`Self::process`], without generating. With `whole_article`, the same prompt
    /// with every sentence of the article instead of the chosen ones (what a plain
    /// one-prompt-per-article use of a model would send). For `brief bench --dump-prompts`.
    pub fn prompt(
        &self,
        article: &Article,
        whole_article: bool,
    ) -> Result<Option<PromptIds>, ArticleError> {
        let Some((ab, _)) = &self.abstractive else {
            return Ok(None);
        };
        let cleaned = clean(&article.body, article.title.as_deref());
        let spans = segment(&cleaned.text);
        if cleaned.text.trim().is_empty() || spans.is_empty() {
            return Err(ArticleError::new(ErrorKind::Empty, "no sentences found"));
        }
        let title = article.title.clone().or(cleaned.title);
        let sentences: Vec<&str> = spans
            .iter()
            .map(|s| &cleaned.text[s.start..s.end])
            .collect();
        let feed = if whole_article {
            sentences
        } else {
            let (emb, title_emb) = self.embed(&sentences, title.as_deref())?;
            let info: Vec<SentenceInfo> = sentences.iter().map(sentence_info).collect();
            // A long article's parts are each prompted separately; the dump shows
            // their sentences in one prompt.
            self.feeds(&sentences, &emb, title_emb.as_deref(), &info)
                .concat()
        };
        ab.prompt(title.as_deref(), &feed)
            .map(Some)
            .map_err(|e| ArticleError::new(ErrorKind::Model, e.to_string()))
    }

    /// Ground the generator's summary sentences and claims against the article.
    fn ground(
        &self,
        text: &str,
        spans: &[Span],
        sentences: &[&str],
        emb: &Embeddings,
        title: Option<&str>,
        parsed: &Parsed,
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
        let vecs = self
            .encoder
            .embed(&texts)
            .map_err(|e| ArticleError::new(ErrorKind::Model, e.to_string()))?;
        let source = Source::new(text, sentences, emb).with_title(title);
        let drop = self.config.drop_unsupported;
        let mut out = Grounded::default();
        for (i, s) in parsed.summary.iter().enumerate() {
            let v = source.check(s, vecs.row(i));
            if drop && !v.grounded {
                continue;
            }
            out.summary.push(SummarySentence {
                text: s.clone(),
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
            });
        }
        let offset = parsed.summary.len();
        let mut kept: Vec<usize> = Vec::new();
        for (j, c) in parsed.claims.iter().enumerate() {
            let row = offset + j;
            // Claims that say the same thing are merged (the first stays).
            if kept
                .iter()
                .any(|&k| vecs.dot(k, row) > DUPLICATE_SIMILARITY)
            {
                continue;
            }
            let v = source.check(c, vecs.row(row));
            if (drop && !v.grounded) || out.claims.len() >= self.config.claims.max_claims {
                continue;
            }
            kept.push(row);
            let attribution = features::attribution(c)
                .filter(|a| !features::is_pronoun(a.split_whitespace().next().unwrap_or("")));
            out.claims.push(Claim {
                text: c.clone(),
                kind: if attribution.is_some() {
                    ClaimKind::Reported
                } else {
                    ClaimKind::Asserted
                },
                attribution,
                evidence: v
                    .support
                    .iter()
                    .map(|x| Evidence {
                        start: spans[x.sentence].start,
                        end: spans[x.sentence].end,
                        score: x.score,
                    })
                    .collect(),
                entities: features::entities(c),
                numbers: features::numbers(c),
                score: v.support.first().map_or(0.0, |x| x.score),
                grounded: v.grounded,
                reason: v.reason,
                origin: ClaimOrigin::Generated,
                sentence: v.support.first().map_or(0, |x| x.sentence),
            });
        }
        Ok(out)
    }

    /// Embed the sentences and the headline in one batch.
    fn embed(
        &self,
        sentences: &[&str],
        title: Option<&str>,
    ) -> Result<(Embeddings, Option<Vec<f32>>), ArticleError> {
        let mut texts: Vec<&str> = sentences.to_vec();
        if let Some(t) = title {
            texts.push(t);
        }
        let mut emb = self
            .encoder
            .embed(&texts)
            .map_err(|e| ArticleError::new(ErrorKind::Model, e.to_string()))?;
        let n = sentences.len();
        let title_row = title.map(|_| emb.row(n).to_vec());
        // In place: a copy would double the peak memory of a long article.
        emb.data.truncate(n * emb.dim);
        Ok((emb, title_row))
    }
}

/// An article after the stages before generation, waiting for its generation.
struct Prepared {
    id: String,
    source: String,
    published: Option<String>,
    url: Option<String>,
    byline: Option<String>,
    text: String,
    spans: Vec<Span>,
    title: Option<String>,
    removed: Vec<Removed>,
    emb: Embeddings,
    chosen: Vec<usize>,
    /// Extractive claims.
    claims: Vec<Claim>,
    /// What the generator reads, per part (empty without a generator).
    feeds: Vec<Vec<String>>,
    ms: StageMs,
}

/// The `too_large` error of an article with more than `max` sentences.
fn check_sentences(n: usize, max: usize) -> Result<(), ArticleError> {
    if n > max {
        return Err(ArticleError::new(
            ErrorKind::TooLarge,
            format!("the article has {n} sentences; the limit is {max} (--max-sentences)"),
        ));
    }
    Ok(())
}

/// Run `f`, turning a panic (a bug) into an `internal` error.
fn guarded<T>(f: impl FnOnce() -> Result<T, ArticleError>) -> Result<T, ArticleError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(ArticleError::new(
            ErrorKind::Internal,
            format!("internal error (a bug in brief, please report it): {what}"),
        ))
    })
}

/// A generator failure as the article's `model` error.
fn model_error(r: Result<Written>) -> Result<Written, ArticleError> {
    r.map_err(|e| ArticleError::new(ErrorKind::Model, e.to_string()))
}

/// Grounded generator output of one article.
#[derive(Default)]
struct Grounded {
    summary: Vec<SummarySentence>,
    claims: Vec<Claim>,
}

fn extractive_summary(sentences: &[&str], chosen: &[usize]) -> Summary {
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
    Summary {
        text: parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        method: "extractive".into(),
        sentences: parts,
        extractive: chosen.to_vec(),
    }
}

/// Split an article's sentences into consecutive parts of at most `max_words`
/// words each (a sentence longer than that is a part of its own), as even as that
/// allows; one part when the whole article fits.
fn parts_of(sentences: &[&str], max_words: usize) -> Vec<std::ops::Range<usize>> {
    let words: Vec<usize> = sentences
        .iter()
        .map(|s| s.split_whitespace().count())
        .collect();
    let total: usize = words.iter().sum();
    if max_words == 0 || total <= max_words {
        return std::iter::once(0..sentences.len()).collect();
    }
    // Aim at equal parts so the last one is not a scrap.
    let n = total.div_ceil(max_words);
    let target = total.div_ceil(n);
    let mut parts = Vec::with_capacity(n);
    let (mut start, mut acc) = (0, 0);
    for (i, &w) in words.iter().enumerate() {
        if i > start && (acc + w > max_words || acc >= target) {
            parts.push(start..i);
            start = i;
            acc = 0;
        }
        acc += w;
    }
    parts.push(start..sentences.len());
    parts
}

/// Segment a text the way the pipeline does (after cleaning unless `raw`).
pub fn segment_text(body: &str, raw: bool) -> (String, Vec<Span>) {
    let text = if raw {
        body.to_string()
    } else {
        clean(body, None).text
    };
    let spans = segment(&text);
    (text, spans)
}

/// The default location of the models folder.
pub fn default_models_dir() -> PathBuf {
    files::models_dir()
}

#[cfg(test)]
mod tests {
    use super::parts_of;

    #[test]
    fn long_articles_split_into_even_parts_within_the_limit() {
        let s = "one two three four five"; // 5 words
        let sentences = vec![s; 9]; // 45 words
        let whole = std::iter::once(0..9).collect::<Vec<_>>();
        assert_eq!(parts_of(&sentences, 100), whole);
        assert_eq!(parts_of(&sentences, 0), whole);
        let parts = parts_of(&sentences, 20); // 3 parts of 15 words
        assert_eq!(parts, vec![0..3, 3..6, 6..9]);
        // Every sentence in exactly one part, in order, none over the limit.
        let parts = parts_of(&sentences, 12);
        assert_eq!(parts.first().unwrap().start, 0);
        assert_eq!(parts.last().unwrap().end, 9);
        for w in parts.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        assert!(parts.iter().all(|p| !p.is_empty() && p.len() * 5 <= 12));
        // A sentence longer than the limit is a part of its own.
        let long = "w ".repeat(50);
        let sentences = vec![s, long.as_str(), s];
        let parts = parts_of(&sentences, 20);
        assert!(parts.contains(&(1..2)), "{parts:?}");
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;
    use crate::config::GeneratorConfig;
    use crate::model::testing::write_tiny_bert;
    use crate::model::tiny::{write_tiny_gguf, TinySpec};

    #[test]
    fn articles_decoded_together_get_the_records_they_get_alone() {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_bert(&dir.path().join(DEFAULT_ENCODER)).unwrap();
        let gguf = dir.path().join("g.gguf");
        let spec = TinySpec {
            context_length: 4096,
            ..TinySpec::new("qwen2", 3)
        };
        write_tiny_gguf(&gguf, &spec).unwrap();
        let config = Config {
            models_dir: dir.path().to_path_buf(),
            generator: Some(GeneratorConfig {
                model: gguf.display().to_string(),
                max_new_tokens: 16,
                ..GeneratorConfig::default()
            }),
            claims_mode: ClaimsMode::Both,
            ..Config::default()
        };
        let engine = Engine::load(&config).unwrap();
        let bodies = [
            "The cat sat on the mat. A dog ran to the park.",
            "News today: the big red house is in the park. It said so in a report.",
            "",
            "A small dog sat. The cat ran to the house and the mat is red.",
            "The report said the park is big. The dog and the cat sat today. It ran.",
        ];
        let articles: Vec<Article> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| Article::from_body(format!("a{i}.txt"), b.to_string()))
            .collect();
        let line = |r: &Record| serde_json::to_string(r).unwrap();
        let alone: Vec<String> = articles
            .iter()
            .map(|a| line(&engine.process(a).0))
            .collect();
        let together: Vec<String> = engine
            .process_batch(&articles)
            .iter()
            .map(|(r, _)| line(r))
            .collect();
        assert_eq!(together, alone);
        // The generator ran for the good articles and the empty one failed alone.
        let records: Vec<Record> = engine
            .process_batch(&articles)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(records[2].status, Status::Error);
        for (i, r) in records.iter().enumerate().filter(|(i, _)| *i != 2) {
            let stats = r.stats.as_ref().unwrap();
            assert!(stats.generated_tokens.unwrap() > 0, "article {i}");
        }
    }
}
