//! Orchestration: articles flow ingest → clean → segment → encode → select → claims →
//! write. Articles are processed in parallel on a rayon pool and written in input order.
//!
//! Reading happens on the iterator that feeds `par_bridge`, so workers are handed
//! articles roughly in input order and the reorder buffer in the writer stays small
//! (about one article per thread) however long the run.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use rayon::prelude::*;

use crate::config::{ClaimsMode, Config, SelectConfig, SummaryLength};
use crate::error::{ArticleError, Error, ErrorKind, Result};
use crate::extract::abstractive::{self, Abstractive, PromptIds};
use crate::extract::claims::DUPLICATE_SIMILARITY;
use crate::extract::generate::Parsed;
use crate::extract::ground::Source;
use crate::extract::select::{sentence_info, SentenceInfo};
use crate::extract::{features, Claim, ClaimKind, ClaimOrigin, Evidence};
use crate::extract::{find_claims, select};
use crate::ingest::{self, Article, IngestOptions};
use crate::model::encoder::{BertEncoder, EncoderOptions};
use crate::model::generator::Generator;
use crate::model::{files, Embedder, Embeddings};
use crate::output::manifest::{Counts, ModelFile};
use crate::output::record::{ModelIds, Stats, Summary, SummarySentence, Support};
use crate::output::writer::write_atomic;
use crate::output::{Manifest, OrderedWriter, Record, Sink, Status, SCHEMA_VERSION};
use crate::text::{clean, segment, Span};

/// Name of the default sentence encoder (a folder under the models directory).
pub const DEFAULT_ENCODER: &str = "all-MiniLM-L6-v2";

/// Milliseconds spent per stage on one article.
pub type StageMs = BTreeMap<String, u64>;

/// Loaded models plus configuration: everything needed to process articles.
/// Loaded once per process and shared by all worker threads.
pub struct Engine {
    encoder: Arc<dyn Embedder>,
    abstractive: Option<(Abstractive, String)>,
    config: Config,
    models: Vec<ModelFile>,
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
            let sha256 = files::file_sha256(&path)?;
            let generator = Arc::new(Generator::load(&path)?);
            let id = format!("{name}@{}", &sha256[..8]);
            engine.abstractive = Some((Abstractive::new(generator, g.max_new_tokens)?, id));
            engine.models.push(ModelFile {
                role: "generator".into(),
                name,
                path: path.display().to_string(),
                sha256,
            });
        }
        Ok(engine)
    }

    /// Build from an already loaded encoder (tests, embedding brief in other programs).
    pub fn with_encoder(
        encoder: Arc<dyn Embedder>,
        config: Config,
        models: Vec<ModelFile>,
    ) -> Self {
        Engine {
            encoder,
            abstractive: None,
            config,
            models,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Model files in use, with hashes.
    pub fn models(&self) -> &[ModelFile] {
        &self.models
    }

    /// Process one article into its record. Never panics: failures, including panics
    /// inside a stage (bugs), become error records.
    pub fn process(&self, article: &Article) -> (Record, StageMs) {
        match catch_unwind(AssertUnwindSafe(|| self.process_inner(article))) {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => (
                Record::failed(article.id.clone(), article.source.clone(), e),
                StageMs::new(),
            ),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                let e = ArticleError::new(
                    ErrorKind::Internal,
                    format!("internal error (a bug in brief, please report it): {what}"),
                );
                (
                    Record::failed(article.id.clone(), article.source.clone(), e),
                    StageMs::new(),
                )
            }
        }
    }

    fn process_inner(&self, article: &Article) -> Result<(Record, StageMs), ArticleError> {
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
        let title = article.title.clone().or(cleaned.title);

        let sentences: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
        let (emb, title_emb) = self.embed(&sentences, title.as_deref())?;
        lap(&mut ms, "encode");

        let info: Vec<SentenceInfo> = sentences.iter().map(sentence_info).collect();
        let chosen = select(&emb, title_emb.as_deref(), &info, &self.config.select);
        lap(&mut ms, "select");
        let claims = find_claims(&text, &spans, &emb, &self.config.claims);
        lap(&mut ms, "claims");

        let mut summary = extractive_summary(&sentences, &chosen);
        let mut warnings = Vec::new();
        let mut claims = match self.config.claims_mode {
            ClaimsMode::Generated => Vec::new(),
            _ => claims,
        };
        let mut generation = None;
        if let Some((ab, _)) = &self.abstractive {
            let feed = self.feed(&sentences, &emb, title_emb.as_deref(), &info);
            let written = ab
                .write(title.as_deref(), &feed)
                .map_err(|e| ArticleError::new(ErrorKind::Model, e.to_string()))?;
            lap(&mut ms, "generate");
            let grounded = self.ground(
                &text,
                &spans,
                &sentences,
                &emb,
                title.as_deref(),
                &written.parsed,
            )?;
            lap(&mut ms, "ground");
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
            ms: if self.config.timings {
                ms.clone()
            } else {
                BTreeMap::new()
            },
        };
        let record = Record {
            schema_version: SCHEMA_VERSION,
            id: article.id.clone(),
            source: article.source.clone(),
            status: Status::Ok,
            title,
            byline: article.byline.clone().or(cleaned.byline),
            published: article.published.clone(),
            url: article.url.clone(),
            text: self.config.include_text.then_some(text.clone()),
            sentences: spans,
            removed: cleaned.removed,
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
    fn feed<'a>(
        &self,
        sentences: &[&'a str],
        emb: &Embeddings,
        title_emb: Option<&[f32]>,
        info: &[SentenceInfo],
    ) -> Vec<&'a str> {
        let g = self.config.generator.clone().unwrap_or_default();
        let feed_cfg = SelectConfig {
            length: SummaryLength::Sentences(sentences.len()),
            max_words: g.prompt_words,
            ..self.config.select.clone()
        };
        select(emb, title_emb, info, &feed_cfg)
            .iter()
            .map(|&i| sentences[i])
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
            self.feed(&sentences, &emb, title_emb.as_deref(), &info)
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
        let all = self
            .encoder
            .embed(&texts)
            .map_err(|e| ArticleError::new(ErrorKind::Model, e.to_string()))?;
        let n = sentences.len();
        let title_row = title.map(|_| all.row(n).to_vec());
        let emb = Embeddings {
            dim: all.dim,
            data: all.data[..n * all.dim].to_vec(),
        };
        Ok((emb, title_row))
    }
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

/// Where a run writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// `DIR/results.jsonl` and `DIR/manifest.json`.
    Dir(PathBuf),
    /// JSON lines on standard output (no manifest).
    Stdout,
}

/// Options of one `brief run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Folders, files, or `-` for JSONL on stdin.
    pub inputs: Vec<PathBuf>,
    /// Destination.
    pub output: Output,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The manifest (also written to `OUT/manifest.json` for directory output).
    pub manifest: Manifest,
}

impl RunReport {
    /// Whether any article failed.
    pub fn any_failed(&self) -> bool {
        self.manifest.counts.failed > 0
    }
}

/// Run the pipeline over `opts.inputs` with `engine`, on `threads` worker threads.
pub fn run(engine: &Engine, opts: &RunOptions) -> Result<RunReport> {
    let started = std::time::SystemTime::now();
    let t0 = Instant::now();
    let cfg = engine.config();
    let ingest_opts = IngestOptions {
        max_article_bytes: cfg.max_article_bytes,
        ..IngestOptions::default()
    };
    let discovered = ingest::discover(&opts.inputs, &ingest_opts)?;

    let sink = match &opts.output {
        Output::Stdout => Sink::stdout(),
        Output::Dir(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            Sink::file(&dir.join("results.jsonl"))?
        }
    };
    let mut writer = OrderedWriter::new(sink);
    let threads = if cfg.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        cfg.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Config(format!("cannot start {threads} worker threads: {e}")))?;

    let progress = progress_bar(opts.progress, discovered.units.len());
    let mut counts = Counts {
        skipped_hidden: discovered.skipped.hidden,
        skipped_unknown_extension: discovered.skipped.unknown_extension,
        ..Counts::default()
    };
    let mut stage_ms = StageMs::new();
    let stop = AtomicBool::new(false);
    let ingest_ns = AtomicU64::new(0);
    let t_processing = Instant::now();

    // Walk failures first (they have no place in the input order of readable files).
    let walk_failures: Vec<Record> = discovered
        .failures
        .into_iter()
        .map(|f| Record::failed(f.id, f.source, f.error))
        .collect();
    let tally = |r: &Record, counts: &mut Counts| {
        counts.articles += 1;
        match (&r.status, &r.error) {
            (Status::Ok, _) => counts.ok += 1,
            (Status::Error, e) => {
                counts.failed += 1;
                let kind = e.as_ref().map_or("internal", |e| e.kind.as_str());
                *counts.failed_by_kind.entry(kind.to_string()).or_default() += 1;
            }
        }
    };
    for r in &walk_failures {
        tally(r, &mut counts);
    }
    writer.push(0, walk_failures)?;

    let (tx, rx) = mpsc::sync_channel::<(usize, Record, StageMs)>(threads * 4);
    let units = &discovered.units;
    let write_result: Result<()> = std::thread::scope(|scope| {
        let stop = &stop;
        let pool = &pool;
        let ingest_opts = &ingest_opts;
        let ingest_ns = &ingest_ns;
        scope.spawn(move || {
            let items = units
                .iter()
                .flat_map(|u| {
                    let t = Instant::now();
                    let articles = ingest::read_unit(u, ingest_opts);
                    ingest_ns.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    articles
                })
                .enumerate();
            pool.install(|| {
                items.par_bridge().for_each_with(tx, |tx, (idx, item)| {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let (record, ms) = match item {
                        Ok(article) => engine.process(&article),
                        Err(f) => (Record::failed(f.id, f.source, f.error), StageMs::new()),
                    };
                    // The receiver only disappears after a write error; then stop.
                    if tx.send((idx, record, ms)).is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                });
            });
        });
        for (idx, record, ms) in rx {
            tally(&record, &mut counts);
            for (k, v) in ms {
                *stage_ms.entry(k).or_default() += v;
            }
            if let Some(p) = &progress {
                p.inc(1);
            }
            if let Err(e) = writer.push(idx + 1, vec![record]) {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    });
    write_result?;
    writer.finish()?;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let processing = t_processing.elapsed().as_secs_f64();
    stage_ms.insert("ingest".into(), ingest_ns.into_inner() / 1_000_000);
    let manifest = Manifest {
        brief_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: SCHEMA_VERSION,
        started: humantime::format_rfc3339_seconds(started).to_string(),
        inputs: opts
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        config: cfg.clone(),
        threads,
        models: engine.models().to_vec(),
        docs_per_second: if processing > 0.0 {
            counts.articles as f64 / processing
        } else {
            0.0
        },
        counts,
        wall_seconds: t0.elapsed().as_secs_f64(),
        processing_seconds: processing,
        stage_ms,
    };
    if let Output::Dir(dir) = &opts.output {
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| Error::Config(format!("manifest: {e}")))?;
        write_atomic(&dir.join("manifest.json"), &json)?;
    }
    Ok(RunReport { manifest })
}

fn progress_bar(wanted: bool, units: usize) -> Option<indicatif::ProgressBar> {
    if !wanted || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(units as u64);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {bar:40} {pos}/{len} articles  {per_sec}  eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
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
