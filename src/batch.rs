//! A batch run: inputs → [`Engine`] on a rayon pool → records in input order, to
//! standard output or to a results folder that later runs resume.
//!
//! Reading happens on the iterator that feeds `par_bridge`, so workers are handed
//! articles roughly in input order and the reorder buffer in the writer stays small
//! (about one article per thread) however long the run.
//!
//! With a folder output the run is incremental (rules in [`crate::output::resume`]):
//! 1. `results.jsonl` is scanned; a line torn by a crash is cut off.
//! 2. If some records might be kept, the inputs are read once up front (in parallel) to
//!    learn each article's content hash; records that are stale are removed by an
//!    atomic rewrite before anything is appended, so the file never holds two records
//!    for one article.
//! 3. Articles not already done are processed and their records appended as they
//!    finish, in input order, one write per line, synced every few seconds.
//! 4. At the end of a complete run the file is put back in input order if it is not
//!    (a redone article was appended at the end), again atomically; a run stopped by a
//!    signal leaves that to the next run.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Instant, SystemTime};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::{self, Article, Discovered, Failure, IngestOptions, Unit};
use crate::output::manifest::Counts;
use crate::output::results::{self, Line};
use crate::output::resume::{reorder, Plan, Position, UnitKeys};
use crate::output::writer::{write_atomic, WrittenLine};
use crate::output::{Manifest, OrderedWriter, Record, Sink, Status, SCHEMA_VERSION};
use crate::pipeline::{Engine, StageMs};

/// Where a run writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Output {
    /// `DIR/results.jsonl` and `DIR/manifest.json`; resumable.
    Dir(PathBuf),
    /// JSON lines on standard output (no manifest, no resuming).
    #[default]
    Stdout,
}

/// Options of one `brief run`.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Folders, files, or `-` for JSONL on stdin.
    pub inputs: Vec<PathBuf>,
    /// Destination.
    pub output: Output,
    /// Show a progress bar (only drawn when stderr is a terminal) and print warnings
    /// about the run itself (a repaired results file) on stderr.
    pub progress: bool,
    /// Process every article again, ignoring the records of earlier runs (the old
    /// results file is replaced atomically by a fresh one).
    pub force: bool,
    /// Set from outside (a signal handler) to stop: no new article is started, those
    /// in progress finish, everything finished is written, the manifest says
    /// `interrupted`.
    pub cancel: Option<Arc<AtomicBool>>,
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

/// One step for the workers, in input order.
enum Work {
    /// Process this article.
    Article(Article, Position),
    /// Record this read failure.
    Failed(Failure, Position),
    /// Already done (one article, or a whole unit not read again).
    Skip,
}

/// The output side of a run, ready to write.
struct Prepared {
    sink: Sink,
    plan: Plan,
    /// Lines kept in the results file, with their current offsets.
    kept: Vec<WrittenLine>,
}

/// Run the pipeline over `opts.inputs` with `engine`.
pub fn run(engine: &Engine, opts: &RunOptions) -> Result<RunReport> {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let cfg = engine.config();
    let ingest_opts = IngestOptions {
        max_article_bytes: cfg.max_article_bytes,
        ..IngestOptions::default()
    };
    let own_output = match &opts.output {
        Output::Dir(dir) => Some(dir.as_path()),
        Output::Stdout => None,
    };
    let discovered = ingest::discover_excluding(&opts.inputs, &ingest_opts, own_output)?;
    let threads = if cfg.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        cfg.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Config(format!("cannot start {threads} worker threads: {e}")))?;
    let cancel = opts.cancel.clone().unwrap_or_default();
    let mut warnings = Vec::new();
    let prepared = prepare_output(
        opts,
        engine.config_hash(),
        &discovered,
        &ingest_opts,
        &pool,
        &mut warnings,
    )?;
    if opts.progress {
        for w in &warnings {
            eprintln!("brief: warning: {w}");
        }
    }
    let Prepared { sink, plan, kept } = prepared;

    let mut manifest = Manifest {
        brief_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: SCHEMA_VERSION,
        started: humantime::format_rfc3339_seconds(started).to_string(),
        inputs: opts
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
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
    // Written now with `interrupted: true`, so a run killed outright says so.
    write_manifest(&opts.output, &manifest)?;

    let progress = progress_bar(opts.progress, discovered.units.len());
    let mut writer = OrderedWriter::new(sink);
    let mut stage_ms = StageMs::new();
    let mut positions: HashMap<String, Position> = plan.positions().clone();
    let track_positions = matches!(opts.output, Output::Dir(_));
    let stop = AtomicBool::new(false);
    let ingest_ns = AtomicU64::new(0);
    let t_processing = Instant::now();
    let counts = &mut manifest.counts;
    let mut tally = |r: &Record| {
        counts.articles += 1;
        counts.done += 1;
        match (&r.status, &r.error) {
            (Status::Ok, _) => counts.ok += 1,
            (Status::Error, e) => {
                counts.failed += 1;
                let kind = e.as_ref().map_or("internal", |e| e.kind.as_str());
                *counts.failed_by_kind.entry(kind.to_string()).or_default() += 1;
            }
        }
    };

    // Walk failures first (they have no place in the input order of readable files).
    let mut walk_failures = Vec::new();
    for (i, f) in discovered.failures.iter().enumerate() {
        let r = engine.failed(f.clone());
        tally(&r);
        if track_positions {
            positions.insert(r.key(), (0, i));
        }
        walk_failures.push(r);
    }
    writer.push(0, walk_failures)?;

    // Workers take articles in groups decoded together (`Config::group_size`).
    let group_size = cfg.group_size(discovered.units.len(), threads);
    let (tx, rx) = mpsc::sync_channel::<(usize, Option<(Record, Position)>, StageMs)>(threads * 4);
    let units = &discovered.units;
    let write_result: Result<()> = std::thread::scope(|scope| {
        let stop = &stop;
        let cancel = &cancel;
        let pool = &pool;
        let plan = &plan;
        let ingest_opts = &ingest_opts;
        let ingest_ns = &ingest_ns;
        scope.spawn(move || {
            let items = units
                .iter()
                .enumerate()
                // Checked before each unit is read: a signal stops the feed at once.
                .take_while(|_| !cancel.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed))
                .flat_map(|(u, unit)| {
                    if plan.unit_done(u) {
                        return vec![Work::Skip];
                    }
                    let t = Instant::now();
                    let items = ingest::read_unit(unit, ingest_opts);
                    ingest_ns.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    let pos = |i: usize| (u + 1, i);
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| match item {
                            Ok(a) if plan.is_done(&a.key(), &a.content_hash()) => Work::Skip,
                            Ok(a) => Work::Article(a, pos(i)),
                            Err(f) if plan.is_done(&f.key(), &f.content_hash()) => Work::Skip,
                            Err(f) => Work::Failed(f, pos(i)),
                        })
                        .collect()
                })
                .enumerate();
            let mut items = items.peekable();
            let groups = std::iter::from_fn(move || {
                let group: Vec<_> = items.by_ref().take(group_size).collect();
                (!group.is_empty()).then_some(group)
            });
            pool.install(|| {
                groups.par_bridge().for_each_with(tx, |tx, group| {
                    // Groups handed out before a stop are dropped, not started.
                    if stop.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let articles: Vec<Article> = group
                        .iter()
                        .filter_map(|(_, w)| match w {
                            Work::Article(a, _) => Some(a.clone()),
                            _ => None,
                        })
                        .collect();
                    let mut processed = engine.process_batch(&articles).into_iter();
                    for (idx, work) in group {
                        let (done, ms) = match work {
                            Work::Article(_, pos) => {
                                let (record, ms) = processed.next().expect("one per article");
                                (Some((record, pos)), ms)
                            }
                            Work::Failed(f, pos) => (Some((engine.failed(f), pos)), StageMs::new()),
                            Work::Skip => (None, StageMs::new()),
                        };
                        // The receiver only disappears after a write error; then stop.
                        if tx.send((idx, done, ms)).is_err() {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                });
            });
        });
        for (idx, done, ms) in rx {
            for (k, v) in ms {
                *stage_ms.entry(k).or_default() += v;
            }
            if let Some(p) = &progress {
                p.inc(1);
            }
            let records = match done {
                Some((record, pos)) => {
                    tally(&record);
                    if track_positions {
                        positions.insert(record.key(), pos);
                    }
                    vec![record]
                }
                None => Vec::new(),
            };
            if let Err(e) = writer.push(idx + 1, records) {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    });
    write_result?;
    let interrupted = cancel.load(Ordering::Relaxed);
    let appended = if interrupted {
        writer.finish_partial()?
    } else {
        writer.finish()?
    };
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    if let (Output::Dir(dir), false) = (&opts.output, interrupted) {
        let mut lines = kept;
        lines.extend(appended);
        if let Some(order) = reorder(&lines, &positions) {
            results::rewrite(&dir.join("results.jsonl"), &order)?;
        }
    }
    let processing = t_processing.elapsed().as_secs_f64();
    stage_ms.insert("ingest".into(), ingest_ns.into_inner() / 1_000_000);
    manifest.interrupted = interrupted;
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

/// Open the output; for a folder, scan and repair `results.jsonl`, decide what to
/// keep, and drop the rest (atomically) before anything is appended.
fn prepare_output(
    opts: &RunOptions,
    config_hash: &str,
    discovered: &Discovered,
    ingest_opts: &IngestOptions,
    pool: &rayon::ThreadPool,
    warnings: &mut Vec<String>,
) -> Result<Prepared> {
    let dir = match &opts.output {
        Output::Stdout => {
            return Ok(Prepared {
                sink: Sink::stdout(),
                plan: Plan::fresh(),
                kept: Vec::new(),
            })
        }
        Output::Dir(dir) => dir,
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let path = dir.join("results.jsonl");
    if opts.force {
        if path.exists() {
            results::rewrite(&path, &[])?;
        }
        return Ok(Prepared {
            sink: Sink::append(&path)?,
            plan: Plan::fresh(),
            kept: Vec::new(),
        });
    }
    let scan = results::scan(&path)?;
    warnings.extend(scan.truncation_warning(&path));
    if scan.unparsable > 0 {
        warnings.push(format!(
            "{}: dropped {} line(s) that are not brief records",
            path.display(),
            scan.unparsable
        ));
    }
    let plan = if Plan::worth_checking(&scan.lines, config_hash) {
        let keys = unit_keys(&discovered.units, ingest_opts, pool);
        Plan::make(&scan.lines, config_hash, &keys)
    } else {
        Plan::make(&scan.lines, config_hash, &[])
    };
    let kept_lines: Vec<&Line> = plan.keep.iter().map(|&i| &scan.lines[i]).collect();
    let kept = if kept_lines.len() == scan.lines.len() && scan.unparsable == 0 {
        kept_lines
            .iter()
            .map(|l| WrittenLine {
                source: l.source.clone(),
                offset: l.offset,
                len: l.len,
            })
            .collect()
    } else {
        let ranges: Vec<(u64, u64)> = kept_lines.iter().map(|l| (l.offset, l.len)).collect();
        let offsets = results::rewrite(&path, &ranges)?;
        kept_lines
            .iter()
            .zip(offsets)
            .map(|(l, offset)| WrittenLine {
                source: l.source.clone(),
                offset,
                len: l.len,
            })
            .collect()
    };
    Ok(Prepared {
        sink: Sink::append(&path)?,
        plan,
        kept,
    })
}

/// Read every unit (in parallel) for the sources and content hashes of its articles.
fn unit_keys(units: &[Unit], opts: &IngestOptions, pool: &rayon::ThreadPool) -> Vec<UnitKeys> {
    pool.install(|| {
        units
            .par_iter()
            .map(|unit| match unit {
                Unit::Stdin => None,
                Unit::File { .. } => Some(
                    ingest::read_unit(unit, opts)
                        .into_iter()
                        .map(|item| match item {
                            Ok(a) => (a.key(), a.content_hash()),
                            Err(f) => (f.key(), f.content_hash()),
                        })
                        .collect(),
                ),
            })
            .collect()
    })
}

fn write_manifest(output: &Output, manifest: &Manifest) -> Result<()> {
    if let Output::Dir(dir) = output {
        let json = serde_json::to_vec_pretty(manifest)
            .map_err(|e| Error::Config(format!("manifest: {e}")))?;
        write_atomic(&dir.join("manifest.json"), &json)?;
    }
    Ok(())
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
