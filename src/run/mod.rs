//! A run over many inputs: discovered inputs → [`Engine`] on a pool of workers →
//! records in input order, to standard output or to a results folder that later
//! runs resume. In four parts:
//!
//! 1. **prepare** ([`Run::prepare`], [`prepare`]): find the inputs, start the
//!    workers; with a folder output, scan `results.jsonl` (a line torn by a crash is
//!    cut off), read the inputs once up front (in parallel) to learn each article's
//!    content hash if some records might be kept, and remove stale records by an
//!    atomic rewrite before anything is appended, so the file never holds two
//!    records for one article (rules in [`crate::output::resume`]);
//! 2. **feed** (`feed.rs`): articles not already done are read in order and taken
//!    by the workers as they have room, each worker keeping a batch of articles
//!    decoding together (the next one joins as one ends);
//! 3. **drain** (`drain.rs`): records are appended as they finish, in input order,
//!    one write per line, synced every few seconds;
//! 4. **finish** ([`Run::execute`]'s end): after a complete run the file is put back
//!    in input order if it is not (a redone article was appended at the end), again
//!    atomically — a run stopped by a signal leaves that to the next run — and the
//!    manifest is written.
//!
//! A stop ([`Engine::cancel`], set by the binary's signal handler) ends the run within
//! about one encoder batch or decode step: no new article is started, the articles in
//! progress are abandoned (their `interrupted` failures are not written, so the next
//! run does them), everything finished is written and the manifest says
//! `interrupted`.
//!
//! The library prints nothing: warnings about the run itself come back from
//! [`Run::warnings`] (and in the manifest), progress goes to a [`Progress`].

mod drain;
mod feed;
pub mod merge;
pub mod prepare;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use crate::config::DuplicatesMode;
use crate::error::{Error, Result};
use crate::ingest::shard::{keep_share, Shard};
use crate::ingest::{self, Discovered, IngestOptions, Unit};
use crate::output::manifest::Counts;
use crate::output::resume::reorder;
use crate::output::writer::write_atomic;
use crate::output::Record;
use crate::output::{results, Manifest, OrderedWriter, SCHEMA_VERSION};
use crate::pipeline::Engine;
use crate::relate::dups::Duplicates;
use crate::relate::{self, Relater, STORIES_FILE};

use drain::Drain;
use feed::Feed;

/// Where a run writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Output {
    /// `DIR/results.jsonl` and `DIR/manifest.json`; resumable.
    Dir(PathBuf),
    /// JSON lines on standard output (no manifest, no resuming).
    #[default]
    Stdout,
}

/// Told how a run (or a benchmark) gets on; the binary draws a progress bar with it.
pub trait Progress: Send + Sync {
    /// Work of `total` input units starts.
    fn start(&self, _total: u64) {}
    /// One more step is done.
    fn advance(&self) {}
    /// A line for a person (e.g. a benchmark pass done).
    fn note(&self, _message: &str) {}
    /// The work is over.
    fn finish(&self) {}
}

/// A shared [`Progress`], as options hold it.
#[derive(Clone)]
pub struct Reporter(pub Arc<dyn Progress>);

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter")
    }
}

/// Options of one `brief run`.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Folders, files, or `-` for JSONL on stdin.
    pub inputs: Vec<PathBuf>,
    /// Destination.
    pub output: Output,
    /// Told of progress, when set.
    pub progress: Option<Reporter>,
    /// Process every article again, ignoring the records of earlier runs (the old
    /// results file is replaced atomically by a fresh one).
    pub force: bool,
    /// Process only this shard's articles (`--shard K/N`, see
    /// [`crate::ingest::shard`]); the others are read (for their ids) and left out.
    pub shard: Option<Shard>,
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The manifest (also written to `OUT/manifest.json` for directory output).
    pub manifest: Manifest,
}

impl RunReport {
    /// Whether any article of the inputs has an error record.
    pub fn any_failed(&self) -> bool {
        self.manifest.counts.failed > 0
    }

    /// Whether the run stopped early.
    pub fn interrupted(&self) -> bool {
        self.manifest.interrupted
    }
}

/// Run the pipeline over `opts.inputs` with `engine`: [`Run::prepare`], then
/// [`Run::execute`].
pub fn run(engine: &Engine, opts: &RunOptions) -> Result<RunReport> {
    Run::prepare(engine, opts)?.execute()
}

/// A run that is prepared and about to start.
pub struct Run<'e> {
    engine: &'e Engine,
    opts: RunOptions,
    discovered: Discovered,
    ingest: IngestOptions,
    pool: rayon::ThreadPool,
    threads: usize,
    output: prepare::Prepared,
    manifest: Manifest,
    t0: Instant,
    /// Held until the run is over.
    _lock: Option<prepare::OutputLock>,
}

impl<'e> Run<'e> {
    /// Find the inputs, start the workers, prepare the output (see the module
    /// docs) and write the manifest with `interrupted: true`, so a run killed
    /// outright says so.
    pub fn prepare(engine: &'e Engine, opts: &RunOptions) -> Result<Self> {
        let started = SystemTime::now();
        let t0 = Instant::now();
        let cfg = engine.config();
        let ingest = IngestOptions {
            cancel: Some(engine.cancel().clone()),
            ..prepare::ingest_options(cfg)
        };
        let own_output = match &opts.output {
            Output::Dir(dir) => Some(dir.as_path()),
            Output::Stdout => None,
        };
        let discovered = ingest::discover_excluding(&opts.inputs, &ingest, own_output)?;
        // Taken before the results file is read, so no other run can change it.
        let lock = match &opts.output {
            Output::Dir(dir) => Some(prepare::lock_output(dir)?),
            Output::Stdout => None,
        };
        let threads = prepare::thread_count(cfg.threads);
        let pool = prepare::worker_pool(threads)?;
        let mut warnings = Vec::new();
        let output = prepare::prepare_output(
            opts,
            engine.config_hash(),
            &discovered,
            &ingest,
            &pool,
            &mut warnings,
        )?;
        let plan = &output.plan;
        let manifest = Manifest {
            brief_version: env!("CARGO_PKG_VERSION").to_string(),
            schema_version: SCHEMA_VERSION,
            started: humantime::format_rfc3339_seconds(started).to_string(),
            inputs: opts
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            shard: opts.shard,
            merged: Vec::new(),
            config: cfg.clone(),
            config_hash: engine.config_hash().to_string(),
            interrupted: true,
            warnings,
            threads,
            models: engine.models().to_vec(),
            counts: Counts {
                skipped_hidden: discovered.skipped.hidden,
                skipped_unknown_extension: discovered.skipped.unknown_extension,
                skipped_special: Counts::special_by_kind(&discovered.skipped),
                skipped_output_folders: discovered.skipped.output_folder,
                skipped: plan.skipped(),
                stale: plan.stale,
                ok: plan.kept_ok,
                failed: plan.kept_failed_by_kind.values().sum(),
                failed_by_kind: plan.kept_failed_by_kind.clone(),
                articles: plan.skipped(),
                ..Counts::default()
            },
            wall_seconds: 0.0,
            processing_seconds: 0.0,
            docs_per_second: 0.0,
            stage_ms: BTreeMap::new(),
        };
        write_manifest(&opts.output, &manifest)?;
        Ok(Run {
            engine,
            opts: opts.clone(),
            discovered,
            ingest,
            pool,
            threads,
            output,
            manifest,
            t0,
            _lock: lock,
        })
    }

    /// What preparing the output repaired (a torn last line, foreign lines), for a
    /// person to read; the manifest carries them too.
    pub fn warnings(&self) -> &[String] {
        &self.manifest.warnings
    }

    /// Process everything not already done, write it, and finish the run.
    pub fn execute(self) -> Result<RunReport> {
        let Run {
            engine,
            opts,
            discovered,
            ingest,
            pool,
            threads,
            output,
            mut manifest,
            t0,
            _lock,
        } = self;
        let prepare::Prepared { sink, plan, kept } = output;
        let progress = opts.progress.as_ref();
        if let Some(p) = progress {
            p.0.start(discovered.units.len() as u64);
        }
        let stop = AtomicBool::new(false);
        let ingest_ns = AtomicU64::new(0);
        let out_of_shard_read = AtomicU64::new(0);
        let t_processing = Instant::now();
        let relate_cfg = engine.config().relate.clone();
        let relater = Arc::new(Mutex::new(Relater::new(&relate_cfg)));
        let hook = {
            let relater = Arc::clone(&relater);
            Box::new(move |r: &mut Record| lock(&relater).relate(r))
        };
        let resumed = !kept.is_empty();
        let seen = (relate_cfg.duplicates == DuplicatesMode::Skip).then(|| {
            Mutex::new(match &opts.output {
                Output::Dir(dir) => {
                    prepare::seen_before(&dir.join("results.jsonl"), &kept, &plan, &relate_cfg)
                }
                Output::Stdout => Duplicates::new(relate_cfg.duplicate_threshold),
            })
        });
        let mut drain = Drain {
            writer: OrderedWriter::new(sink).with_hook(hook),
            positions: plan.positions().clone(),
            track_positions: matches!(opts.output, Output::Dir(_)),
            counts: &mut manifest.counts,
            stage_ms: Default::default(),
            progress,
        };
        let mut failures: Vec<_> = discovered.failures.iter().cloned().map(Err).collect();
        let mut out_of_shard = keep_share(opts.shard, &mut failures);
        let walk_failures = failures
            .into_iter()
            .filter_map(|f| f.err().map(|f| engine.failed(f)))
            .collect();
        drain.walk_failures(walk_failures)?;

        let feed = Feed {
            engine,
            units: &discovered.units,
            plan: &plan,
            ingest: &ingest,
            pool: &pool,
            // Each worker keeps this many articles decoding together. A JSONL unit
            // holds any number of articles, known only as it is read.
            slots: engine.config().slots(
                (!discovered.units.iter().any(Unit::is_stream)).then_some(discovered.units.len()),
                threads,
            ),
            cancel: engine.cancel(),
            stop: &stop,
            ingest_ns: &ingest_ns,
            shard: opts.shard,
            out_of_shard: &out_of_shard_read,
            seen: seen.as_ref(),
        };
        let (tx, rx) = mpsc::sync_channel(threads * 4);
        std::thread::scope(|scope| {
            scope.spawn(move || feed.run(tx));
            drain.receive(rx, &stop)
        })?;

        let interrupted = engine.cancel().is_cancelled();
        out_of_shard += out_of_shard_read.into_inner() as usize;
        let (appended, positions, mut stage_ms) = drain.finish(interrupted)?;
        if let Some(p) = progress {
            p.0.finish();
        }
        if let (Output::Dir(dir), false) = (&opts.output, interrupted) {
            let mut lines = kept;
            lines.extend(appended);
            let path = dir.join("results.jsonl");
            if let Some(order) = reorder(&lines, &positions) {
                results::rewrite(&path, &order)?;
            }
            // Records kept from earlier runs were not seen by this run's pass: relate
            // the whole file again (rewriting only the records that change).
            if resumed {
                relate::recompute(&path, &relate_cfg)?;
            } else {
                let stories = std::mem::replace(&mut *lock(&relater), Relater::new(&relate_cfg));
                relate::write_stories(&dir.join(STORIES_FILE), &stories.finish())?;
            }
        }
        let processing = t_processing.elapsed().as_secs_f64();
        stage_ms.insert("ingest".into(), ingest_ns.into_inner() / 1_000_000);
        manifest.interrupted = interrupted;
        manifest.counts.out_of_shard = out_of_shard;
        manifest.docs_per_second = if processing > 0.0 {
            manifest.counts.done as f64 / processing
        } else {
            0.0
        };
        manifest.wall_seconds = t0.elapsed().as_secs_f64();
        manifest.processing_seconds = processing;
        manifest.stage_ms = stage_ms;
        write_manifest(&opts.output, &manifest)?;
        Ok(RunReport { manifest })
    }
}

/// `m` locked, whether or not a holder panicked (the relater's state is plain data).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn write_manifest(output: &Output, manifest: &Manifest) -> Result<()> {
    if let Output::Dir(dir) = output {
        let json = serde_json::to_vec_pretty(manifest).map_err(|e| Error::Serialize {
            what: "manifest",
            message: e.to_string(),
        })?;
        write_atomic(&dir.join("manifest.json"), &json)?;
    }
    Ok(())
}
