//! One article through the stages, in [`Engine`]:
//!
//! ```text
//! clean → segment → encode → select, claims → generate → ground → record
//! ```
//!
//! The stages before generation run per article as a worker takes it; a worker's
//! articles are then decoded together, the next joining as one ends
//! ([`Engine::process_stream`]); each is grounded and assembled into its record
//! (`assemble.rs`) as soon as it is written. Runs over many inputs, in
//! parallel and resumable, are in [`crate::run`].

mod assemble;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::cancel::Cancel;
use crate::config::{ClaimsMode, Config, SummaryMode};
use crate::error::{ArticleError, ErrorKind, Result};
use crate::extract::select::{sentence_info, SentenceInfo};
use crate::extract::{find_claims, select, Claim};
use crate::generate::{feeds, restore_names, PromptIds, Writer, Writing, Written};
use crate::ground::{ground, review, GroundOptions, Review};
use crate::ingest::{Article, Failure};
use crate::model::encoder::{BertEncoder, EncoderOptions};
use crate::model::registry::{EncoderSource, GeneratorSource};
use crate::model::{Embedder, Embeddings, Limits};
use crate::output::manifest::ModelFile;
use crate::output::record::ModelIds;
use crate::output::{Record, SCHEMA_VERSION};
use crate::relate::stories::Lead;
use crate::text::{clean, segment, Removed, Span};

use assemble::Parts;

/// Milliseconds spent per stage on one article.
pub type StageMs = BTreeMap<String, u64>;

/// A loaded generator and the id records name it by (`name@sha256[..8]`).
struct LoadedGenerator {
    writer: Writer,
    id: String,
}

/// Loaded models plus configuration: everything needed to process articles.
/// Loaded once per process and shared by all worker threads.
pub struct Engine {
    encoder: Arc<dyn Embedder>,
    /// Set to abandon the articles in progress (see [`Self::cancel`]).
    cancel: Cancel,
    generator: Option<LoadedGenerator>,
    config: Config,
    models: Vec<ModelFile>,
    config_hash: String,
}

impl Engine {
    /// Load the models named by `config` (where they are: [`crate::model::registry`]).
    pub fn load(config: &Config) -> Result<Self> {
        let source = EncoderSource::default_in(&config.models_dir)?;
        let encoder = BertEncoder::load(&source.dir, EncoderOptions::default())?;
        let models = vec![ModelFile {
            role: "encoder".into(),
            name: source.name.clone(),
            path: source.weights().display().to_string(),
            sha256: source.sha256()?,
        }];
        let mut engine = Self::with_encoder(Arc::new(encoder), config.clone(), models);
        if let Some(g) = &config.generator {
            let source = GeneratorSource::resolve(&g.model, &config.models_dir)?;
            let sha256 = source.sha256()?;
            let mut writer = Writer::load(&source, g.max_new_tokens)?;
            writer.set_cancel(engine.cancel.clone());
            engine.generator = Some(LoadedGenerator {
                writer,
                id: format!("{}@{}", source.name, &sha256[..8]),
            });
            engine.models.push(ModelFile {
                role: "generator".into(),
                name: source.name,
                path: source.path.display().to_string(),
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
            cancel: Cancel::new(),
            generator: None,
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

    /// The engine's stop request. Once set ([`Cancel::cancel`], e.g. from a signal
    /// handler), the encoder stops before its next batch and the generator before its
    /// next step, and the articles in progress come back as `interrupted` failures,
    /// which a run never writes ([`crate::run`]); a run also starts nothing new. It
    /// stays set: an engine is stopped for good.
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
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
        self.process_group(std::slice::from_ref(article))
            .pop()
            .expect("one record per article")
    }

    /// Process a group of articles, decoding their generations together
    /// ([`Self::process_stream`] with [`Config::batch`] slots). Records come back in
    /// input order, stamped as in [`Self::process`].
    pub fn process_group(&self, articles: &[Article]) -> Vec<(Record, StageMs)> {
        let mut out: Vec<Option<(Record, StageMs)>> = articles.iter().map(|_| None).collect();
        let mut next = articles.iter().enumerate();
        self.process_stream(
            self.config.batch,
            || next.next(),
            |&(_, a)| Some(a),
            |(i, _), done| out[i] = done,
        );
        out.into_iter().flatten().collect()
    }

    /// [`Self::process_stream`] on every thread of `pool` at once, the workers
    /// taking items from `items` in turn (each keeps its own `slots` articles
    /// decoding); `emit` is called on the workers as items are done.
    pub fn process_on<T: Send>(
        &self,
        pool: &rayon::ThreadPool,
        slots: usize,
        items: impl Iterator<Item = T> + Send,
        article: impl Fn(&T) -> Option<&Article> + Sync,
        emit: impl Fn(T, Option<(Record, StageMs)>) + Sync,
    ) {
        let items = Mutex::new(items);
        // `broadcast`, not `spawn`: exactly one worker loop per thread, so no
        // thread can end up running a second loop nested inside its first.
        pool.broadcast(|_| {
            self.process_stream(
                slots,
                || items.lock().unwrap_or_else(|p| p.into_inner()).next(),
                &article,
                &emit,
            )
        });
    }

    /// Process the items `next` hands out until it returns `None`, keeping up to
    /// `slots` articles' generations decoding together: each decode step is one
    /// batched forward pass over the weights for all of them (see
    /// [`crate::model::int8`]), which is where a CPU spends generation time, and as
    /// soon as one ends the next article is prepared and joins (continuous
    /// batching), so the batch stays full to the end of the input. `article` finds
    /// the article in an item (`None`: nothing to process, e.g. a read failure);
    /// `emit` gets each item back as soon as it is done — not in input order — with
    /// its record and stage times (`None` for items without an article).
    ///
    /// Every record is identical to what [`Self::process`] gives for that article
    /// alone, whatever `slots` and the articles beside it (test); one failing
    /// article fails only its own record. A long article's parts are a batch of
    /// their own (map-reduce), written when it comes, while the others wait. A
    /// decode step's time is shared evenly between the articles in it.
    pub fn process_stream<T>(
        &self,
        slots: usize,
        mut next: impl FnMut() -> Option<T>,
        article: impl Fn(&T) -> Option<&Article>,
        mut emit: impl FnMut(T, Option<(Record, StageMs)>),
    ) {
        let slots = slots.max(1);
        let writer = self.generator.as_ref().map(|g| &g.writer);
        let mut writing = writer.map(Writer::writing::<(T, Prepared)>);
        let mut more = true;
        loop {
            while more && writing.as_ref().map_or(0, Writing::len) < slots {
                let Some(item) = next() else {
                    more = false;
                    break;
                };
                let Some(a) = article(&item) else {
                    emit(item, None);
                    continue;
                };
                let p = match guarded(|| self.prepare(a)) {
                    Ok(p) => p,
                    Err(e) => {
                        let done = self.stamped(a, Err(e));
                        emit(item, Some(done));
                        continue;
                    }
                };
                match (writer, &mut writing) {
                    (Some(_), Some(w)) if p.feeds.len() == 1 => {
                        let title = p.text.title.clone();
                        let feed = p.feeds[0].clone();
                        let feed: Vec<&str> = feed.iter().map(String::as_str).collect();
                        w.join((item, p), title.as_deref(), &feed);
                    }
                    (Some(w), _) => {
                        let clock = Instant::now();
                        let feeds: Vec<Vec<&str>> = p
                            .feeds
                            .iter()
                            .map(|f| f.iter().map(String::as_str).collect())
                            .collect();
                        let title = p.text.title.as_deref();
                        let written = guarded(|| model_error(w.write_parts(title, &feeds)));
                        let ms = clock.elapsed().as_millis() as u64;
                        self.finish_item(item, p, Some(written), ms, &article, &mut emit);
                    }
                    (None, _) => self.finish_item(item, p, None, 0, &article, &mut emit),
                }
            }
            let Some(w) = writing.as_mut().filter(|w| !w.is_empty()) else {
                break;
            };
            match guarded(|| Ok(w.step())) {
                Ok(done) => {
                    for ((item, p), written) in done {
                        let ms = written.as_ref().map_or(0, |w| w.ms_prefill + w.ms_decode);
                        let written = Some(model_error(written));
                        self.finish_item(item, p, written, ms, &article, &mut emit);
                    }
                }
                // A panic in a decode step (a bug): its articles fail, a new batch
                // takes the next ones.
                Err(e) => {
                    let keys = writing.take().map(Writing::into_keys).unwrap_or_default();
                    for (item, _) in keys {
                        match article(&item) {
                            Some(a) => {
                                let done = self.stamped(a, Err(e.clone()));
                                emit(item, Some(done));
                            }
                            None => emit(item, None),
                        }
                    }
                    writing = writer.map(Writer::writing);
                }
            }
        }
    }

    /// Ground and assemble a prepared article (with what was written for it, if the
    /// generator ran, charged `generate_ms`) and hand it to `emit`, stamped.
    fn finish_item<T>(
        &self,
        item: T,
        p: Prepared,
        written: Option<Result<Written, ArticleError>>,
        generate_ms: u64,
        article: &impl Fn(&T) -> Option<&Article>,
        emit: &mut impl FnMut(T, Option<(Record, StageMs)>),
    ) {
        let Some(a) = article(&item) else {
            return emit(item, None);
        };
        let done = guarded(|| self.finish(a, p, written, generate_ms));
        let done = self.stamped(a, done);
        emit(item, Some(done));
    }

    /// The fingerprint print of `article`'s cleaned text, as its record will carry it
    /// (`None` when the text is empty, so the article will fail): what
    /// `--duplicates skip` compares before deciding to process an article.
    pub fn print(&self, article: &Article) -> Option<crate::relate::dups::Print> {
        let text = read_text(article, &mut |_| {}).ok()?;
        Some(crate::relate::dups::Print::of(&text.text))
    }

    /// The record of an article that `--duplicates skip` found to repeat an earlier
    /// one: cleaned and cut into sentences, with its fingerprint, neither encoded nor
    /// summarised (`skipped: duplicate`; [`crate::relate::strip_to_skipped`]), stamped
    /// as in [`Self::process`].
    pub fn skip(&self, article: &Article) -> (Record, StageMs) {
        let done = guarded(|| {
            let mut ms = StageMs::new();
            let mut clock = Instant::now();
            let text = read_text(article, &mut |stage| {
                let now = Instant::now();
                ms.insert(stage.to_string(), (now - clock).as_millis() as u64);
                clock = now;
            })?;
            let fingerprint = crate::relate::fingerprint(&text.text, None);
            let parts = Parts {
                parts: None,
                summary: assemble::extractive_summary(&[], &[]),
                claims: Vec::new(),
                warnings: Vec::new(),
                generation: None,
                title: text.title,
                byline: text.byline,
                removed: text.removed,
                text: text.text,
                spans: text.spans,
            };
            let cfg = &self.config;
            let mut record = assemble::record(
                article,
                parts,
                ModelIds::default(),
                &ms,
                cfg.include_text,
                cfg.timings,
            );
            record.fingerprint = Some(fingerprint);
            crate::relate::strip_to_skipped(&mut record);
            Ok((record, ms))
        });
        self.stamped(article, done)
    }

    /// An article's outcome as its record (an error record for a failure), stamped
    /// with its source bytes, content hash and the engine's config hash.
    fn stamped(
        &self,
        article: &Article,
        done: Result<(Record, StageMs), ArticleError>,
    ) -> (Record, StageMs) {
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
    }

    /// The stages before generation: clean, segment, encode, select, claims, and
    /// what the generator is to read.
    fn prepare(&self, article: &Article) -> Result<Prepared, ArticleError> {
        let mut ms = StageMs::new();
        let mut clock = Instant::now();
        let mut lap = |ms: &mut StageMs, stage: &str| {
            let now = Instant::now();
            ms.insert(stage.to_string(), (now - clock).as_millis() as u64);
            clock = now;
        };
        let text = read_text(article, &mut |stage| lap(&mut ms, stage))?;
        check_sentences(text.spans.len(), self.config.max_sentences)?;
        let sentences = text.sentences();
        let (emb, title_emb) = self.embed(&sentences, text.title.as_deref())?;
        lap(&mut ms, "encode");

        let info: Vec<SentenceInfo> = sentences.iter().map(sentence_info).collect();
        let lead = lead_vector(&emb, title_emb.as_deref(), &info);
        let chosen = select(&emb, title_emb.as_deref(), &info, &self.config.select);
        lap(&mut ms, "select");
        // Between stages that do not look at the flag themselves.
        self.cancel
            .check()
            .map_err(|e| e.into_article(ErrorKind::Internal))?;
        let claims = find_claims(&text.text, &text.spans, &emb, &self.config.claims);
        lap(&mut ms, "claims");
        let feeds = match &self.config.generator {
            Some(g) if self.generator.is_some() => {
                let title_emb = title_emb.as_deref();
                feeds(&sentences, &emb, title_emb, &info, &self.config.select, g)
                    .into_iter()
                    .map(|f| f.into_iter().map(str::to_string).collect())
                    .collect()
            }
            _ => Vec::new(),
        };
        Ok(Prepared {
            text,
            emb,
            lead,
            chosen,
            claims,
            feeds,
            ms,
        })
    }

    /// Ground what the generator wrote (if it ran) and assemble the record.
    fn finish(
        &self,
        article: &Article,
        p: Prepared,
        written: Option<Result<Written, ArticleError>>,
        generate_ms: u64,
    ) -> Result<(Record, StageMs), ArticleError> {
        let Prepared {
            text,
            emb,
            lead,
            chosen,
            claims,
            feeds,
            mut ms,
        } = p;
        let fingerprint = crate::relate::fingerprint(&text.text, lead.as_ref());
        let sentences = text.sentences();
        let mut summary = assemble::extractive_summary(&sentences, &chosen);
        let mut warnings = Vec::new();
        let mut claims = match self.config.claims_mode {
            ClaimsMode::Generated => Vec::new(),
            _ => claims,
        };
        let mut generation = None;
        if let Some(written) = written {
            let mut written = written?;
            let clock = Instant::now();
            restore_names(&mut written.parsed, &text.text);
            ms.insert(
                "generate".into(),
                generate_ms + clock.elapsed().as_millis() as u64,
            );
            let clock = Instant::now();
            let opts = GroundOptions {
                max_claims: self.config.claims.max_claims,
                drop_unsupported: self.config.drop_unsupported,
            };
            let title = text.title.as_deref();
            let mut grounded = ground(
                self.encoder.as_ref(),
                &text.text,
                &text.spans,
                &emb,
                title,
                &written.parsed,
                opts,
            )?;
            ms.insert("ground".into(), clock.elapsed().as_millis() as u64);
            warnings.extend(written.parsed.warnings.iter().cloned());
            let lead = sentences
                .iter()
                .find(|s| !SentenceInfo::of(s).heading)
                .unwrap_or(&sentences[0]);
            summary = match (
                review(&grounded.summary, lead, title),
                self.config.summary_mode,
            ) {
                (Review::Accept(kept), SummaryMode::Generated) => {
                    assemble::abstractive_summary(&mut grounded, &kept, &chosen)
                }
                (verdict, _) => assemble::with_generated(summary, &grounded, &verdict),
            };
            if self.config.claims_mode != ClaimsMode::Extractive {
                let mut all = grounded.claims;
                all.append(&mut claims);
                claims = all;
            }
            generation = Some((written.prompt_tokens, written.generated_tokens));
        }
        let parts = Parts {
            parts: (feeds.len() > 1).then_some(feeds.len()),
            summary,
            claims,
            warnings,
            generation,
            title: text.title,
            byline: text.byline,
            removed: text.removed,
            text: text.text,
            spans: text.spans,
        };
        let models = ModelIds {
            encoder: self.encoder.id(),
            generator: self.generator.as_ref().map(|g| g.id.clone()),
        };
        let cfg = &self.config;
        let mut record =
            assemble::record(article, parts, models, &ms, cfg.include_text, cfg.timings);
        record.fingerprint = Some(fingerprint);
        Ok((record, ms))
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
        let (Some(g), Some(gen_cfg)) = (&self.generator, &self.config.generator) else {
            return Ok(None);
        };
        let text = read_text(article, &mut |_| {})?;
        let sentences = text.sentences();
        let title = text.title.as_deref();
        let feed = if whole_article {
            sentences
        } else {
            let (emb, title_emb) = self.embed(&sentences, title)?;
            let info: Vec<SentenceInfo> = sentences.iter().map(sentence_info).collect();
            // A long article's parts are each prompted separately; the dump shows
            // their sentences in one prompt.
            let select_cfg = &self.config.select;
            feeds(
                &sentences,
                &emb,
                title_emb.as_deref(),
                &info,
                select_cfg,
                gen_cfg,
            )
            .concat()
        };
        g.writer
            .prompt(title, &feed)
            .map(Some)
            .map_err(|e| ArticleError::new(ErrorKind::Model, e.to_string()))
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
        let limits = Limits {
            max_tokens: Some(self.config.max_article_tokens),
            cancel: Some(&self.cancel),
        };
        let mut emb = self
            .encoder
            .embed_within(&texts, limits)
            .map_err(|e| e.into_article(ErrorKind::Model))?;
        let n = sentences.len();
        let title_row = title.map(|_| emb.row(n).to_vec());
        // In place: a copy would double the peak memory of a long article.
        emb.data.truncate(n * emb.dim);
        Ok((emb, title_row))
    }
}

/// An article's cleaned text, cut into sentences.
struct Text {
    text: String,
    spans: Vec<Span>,
    title: Option<String>,
    byline: Option<String>,
    removed: Vec<Removed>,
}

impl Text {
    fn sentences(&self) -> Vec<&str> {
        self.spans
            .iter()
            .map(|s| &self.text[s.start..s.end])
            .collect()
    }
}

/// Clean and segment an article (`lap` is called after each stage); an article with
/// no text or no sentence left is `empty`.
fn read_text(article: &Article, lap: &mut dyn FnMut(&str)) -> Result<Text, ArticleError> {
    let cleaned = clean(&article.body, article.title.as_deref());
    lap("clean");
    if cleaned.text.trim().is_empty() {
        return Err(ArticleError::new(
            ErrorKind::Empty,
            "no article text left after cleaning",
        ));
    }
    let spans = segment(&cleaned.text);
    lap("segment");
    if spans.is_empty() {
        return Err(ArticleError::new(ErrorKind::Empty, "no sentences found"));
    }
    Ok(Text {
        title: article.title.clone().or(cleaned.title),
        byline: article.byline.clone().or(cleaned.byline),
        removed: cleaned.removed,
        text: cleaned.text,
        spans,
    })
}

/// The lead vector stories compare ([`crate::relate::stories::Lead`]): the mean of
/// the headline's embedding and the first two body sentences' that are not headings.
fn lead_vector(emb: &Embeddings, title: Option<&[f32]>, info: &[SentenceInfo]) -> Option<Lead> {
    let lead = (0..emb.len().min(info.len()))
        .filter(|&i| !info[i].heading)
        .take(2)
        .map(|i| emb.row(i));
    Lead::mean_of(title.into_iter().chain(lead))
}

/// An article after the stages before generation, waiting for its generation.
struct Prepared {
    text: Text,
    emb: Embeddings,
    /// The lead vector of stories.
    lead: Option<Lead>,
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
    r.map_err(|e| e.into_article(ErrorKind::Model))
}

#[cfg(test)]
mod group_tests {
    use super::*;
    use crate::config::GeneratorConfig;
    use crate::config::DEFAULT_BATCH;
    use crate::model::registry::DEFAULT_ENCODER;
    use crate::model::testing::write_tiny_bert;
    use crate::model::tiny::{write_tiny_gguf, TinySpec};
    use crate::output::Status;
    use std::path::Path;

    #[test]
    fn a_cancelled_engine_abandons_its_articles() {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_bert(&dir.path().join(DEFAULT_ENCODER)).unwrap();
        let config = Config {
            models_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let engine = Engine::load(&config).unwrap();
        let article =
            Article::from_body("a.txt".to_string(), "The cat sat. A dog ran.".to_string());
        assert_eq!(engine.process(&article).0.status, Status::Ok);
        engine.cancel().cancel();
        let (record, _) = engine.process(&article);
        assert!(record.is_interrupted(), "{:?}", record.error);
    }

    /// An engine with the tiny encoder and a tiny GGUF generator, writing claims
    /// both ways, with `batch` decode slots; and five articles, the third empty.
    fn tiny_engine(dir: &Path, batch: usize) -> (Engine, Vec<Article>) {
        write_tiny_bert(&dir.join(DEFAULT_ENCODER)).unwrap();
        let gguf = dir.join("g.gguf");
        let spec = TinySpec {
            context_length: 4096,
            ..TinySpec::new("qwen2", 3)
        };
        write_tiny_gguf(&gguf, &spec).unwrap();
        let config = Config {
            models_dir: dir.to_path_buf(),
            generator: Some(GeneratorConfig {
                model: gguf.display().to_string(),
                max_new_tokens: 16,
                ..GeneratorConfig::default()
            }),
            claims_mode: ClaimsMode::Both,
            batch,
            ..Config::default()
        };
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
        (Engine::load(&config).unwrap(), articles)
    }

    fn line(r: &Record) -> String {
        serde_json::to_string(r).unwrap()
    }

    #[test]
    fn articles_decoded_together_get_the_records_they_get_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, articles) = tiny_engine(dir.path(), DEFAULT_BATCH);
        let config = engine.config().clone();
        let alone: Vec<String> = articles
            .iter()
            .map(|a| line(&engine.process(a).0))
            .collect();
        // All decoded together; and with two decode slots for four generations, so
        // articles join the batch as others end.
        let refilling = Engine::load(&Config { batch: 2, ..config }).unwrap();
        for e in [&engine, &refilling] {
            let together: Vec<String> = e
                .process_group(&articles)
                .iter()
                .map(|(r, _)| line(r))
                .collect();
            assert_eq!(together, alone);
        }
        // The generator ran for the good articles and the empty one failed alone.
        let records: Vec<Record> = engine
            .process_group(&articles)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(records[2].status, Status::Error);
        for (i, r) in records.iter().enumerate().filter(|(i, _)| *i != 2) {
            let stats = r.stats.as_ref().unwrap();
            assert!(stats.generated_tokens.unwrap() > 0, "article {i}");
        }
    }

    /// Two workers taking items from one feed, two decode slots each, read failures
    /// among the articles: every item comes back once, each article with the record
    /// it gets alone.
    #[test]
    fn workers_refilling_from_a_feed_answer_every_item_once_as_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, articles) = tiny_engine(dir.path(), 2);
        let alone: Vec<String> = articles
            .iter()
            .map(|a| line(&engine.process(a).0))
            .collect();
        // Twice over, with a "read failure" (no article) every third item.
        let items: Vec<(usize, Option<&Article>)> = articles
            .iter()
            .chain(&articles)
            .enumerate()
            .flat_map(|(i, a)| {
                let failure = (i % 3 == 2).then_some((usize::MAX, None));
                std::iter::once((i, Some(a))).chain(failure)
            })
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let got = Mutex::new(Vec::new());
        engine.process_on(
            &pool,
            2,
            items.iter().copied().enumerate(),
            |(_, (_, a))| *a,
            |(k, (i, _)), done| {
                got.lock()
                    .unwrap()
                    .push((k, i, done.map(|(r, _)| line(&r))))
            },
        );
        let mut got = got.into_inner().unwrap();
        got.sort_by_key(|&(k, _, _)| k);
        assert_eq!(got.len(), items.len());
        for (k, (key, i, done)) in got.into_iter().enumerate() {
            assert_eq!(key, k, "each item once");
            match done {
                Some(record) => assert_eq!(record, alone[i % alone.len()], "item {k}"),
                None => assert_eq!(i, usize::MAX, "only failures come back without a record"),
            }
        }
    }
}
