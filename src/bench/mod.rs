//! `brief bench`: throughput of the real pipeline, measured.
//!
//! All inputs are read first (timed as `ingest`), then every article goes through
//! [`Engine::process`] on a rayon pool of N workers, for each thread count asked,
//! `repeat` times, the passes of different thread counts interleaved so that a
//! machine that slows down mid-run does not favour one count. Each record is
//! serialised in its worker (the `write` stage) and compared byte for byte with the
//! first pass: [`BenchReport::outputs_identical`] says whether thread count changed
//! anything. Every figure comes from these passes; nothing is extrapolated.

pub mod machine;
pub mod prompts;
pub mod report;
pub mod stats;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::ingest::{self, Article};
use crate::output::writer::write_atomic;
use crate::output::{Record, Status};
use crate::pipeline::{Engine, StageMs};
use crate::run::prepare::{ingest_options, worker_pool};
use crate::run::Reporter;

pub use machine::Machine;
pub use prompts::PromptDump;
pub use report::{format_table, BenchReport, Latency, StageTime, ThreadRun};

/// Stages in the order a record goes through them (others the engine reports follow).
pub const STAGES: &[&str] = &[
    "ingest", "clean", "segment", "encode", "select", "claims", "generate", "ground", "write",
];

/// Environment variables that set how many threads candle's own operations use.
pub const THREAD_ENV: &[&str] = &["RAYON_NUM_THREADS", "CANDLE_NUM_THREADS"];

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Folders, files (as for `brief run`; stdin is not supported).
    pub inputs: Vec<PathBuf>,
    /// Worker counts to measure, e.g. `[1, 2]`.
    pub threads: Vec<usize>,
    /// Timed passes per thread count (the median is reported).
    pub repeat: usize,
    /// Articles processed untimed on each pool before its first pass.
    pub warmup: usize,
    /// Write each article's generator prompt as JSON here (needs a generator).
    pub dump_prompts: Option<PathBuf>,
    /// Write the records of the first pass to `DIR/results.jsonl`.
    pub output: Option<PathBuf>,
    /// Told of each pass (as a [`Progress::note`](crate::run::Progress::note)).
    pub progress: Option<Reporter>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            inputs: Vec::new(),
            threads: vec![1, 2],
            repeat: 1,
            warmup: 2,
            dump_prompts: None,
            output: None,
            progress: None,
        }
    }
}

/// One article's outcome in one pass.
struct Done {
    line: String,
    /// Stage milliseconds: the engine's (whole ms) plus `write` (measured finer here).
    ms: BTreeMap<String, f64>,
    latency_ms: f64,
    ok: bool,
    sentences: u64,
    prompt_tokens: Option<u64>,
    generated_tokens: u64,
}

/// Everything one thread count's passes gathered.
#[derive(Default)]
struct Gathered {
    pass_seconds: Vec<f64>,
    stage_ms: BTreeMap<String, f64>,
    latencies: Vec<f64>,
    peak_rss: Option<u64>,
    sentences: u64,
    prompt_tokens: u64,
    generated_tokens: u64,
}

/// Run the benchmark.
pub fn run(engine: &Engine, opts: &BenchOptions) -> Result<BenchReport> {
    validate(engine, opts)?;
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();

    let t = Instant::now();
    let items = read_all(engine, &opts.inputs)?;
    let ingest_ms = t.elapsed().as_secs_f64() * 1e3;
    if items.is_empty() {
        return Err(Error::NoArticles);
    }

    let dumped = match &opts.dump_prompts {
        Some(dir) => Some(dump_prompts(engine, &items, dir)?),
        None => None,
    };

    let pools = opts
        .threads
        .iter()
        .map(|&n| worker_pool(n))
        .collect::<Result<Vec<_>>>()?;
    let mut gathered: Vec<Gathered> = opts.threads.iter().map(|_| Gathered::default()).collect();
    let mut reference: Option<Vec<String>> = None;
    let mut identical = true;
    let mut rss_reset = true;
    let (mut ok, mut failed) = (0, 0);
    for pass in 0..opts.repeat {
        for (k, pool) in pools.iter().enumerate() {
            let warmup = if pass == 0 { opts.warmup } else { 0 };
            let (done, wall) = timed_pass(engine, pool, &items, warmup);
            rss_reset &= done.rss_reset;
            let done = done.records;
            gathered[k].add(&done, wall);
            if let Some(p) = &opts.progress {
                p.0.note(&format!(
                    "brief bench: pass {}/{} on {} thread(s): {} articles in {wall:.2} s",
                    pass + 1,
                    opts.repeat,
                    opts.threads[k],
                    done.len()
                ));
            }
            if reference.is_none() {
                ok = done.iter().filter(|d| d.ok).count();
                failed = done.len() - ok;
                if let Some(dumped) = &dumped {
                    check_dump(dumped, &done)?;
                }
            }
            let lines: Vec<String> = done.into_iter().map(|d| d.line).collect();
            match &reference {
                Some(first) => identical &= *first == lines,
                None => {
                    if let Some(dir) = &opts.output {
                        write_records(dir, &lines, &engine.config().relate)?;
                    }
                    reference = Some(lines);
                }
            }
        }
    }

    let runs = summarise(&opts.threads, gathered, opts.repeat, items.len(), ingest_ms);
    Ok(BenchReport {
        brief_version: env!("CARGO_PKG_VERSION").to_string(),
        started,
        inputs: opts
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        config: engine.config().clone(),
        machine: Machine::detect(),
        models: engine.models().to_vec(),
        env: THREAD_ENV
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    std::env::var(k).unwrap_or_else(|_| "unset".into()),
                )
            })
            .collect(),
        articles: items.len(),
        ok,
        failed,
        ingest_ms,
        warmup: opts.warmup,
        repeat: opts.repeat,
        outputs_identical: identical,
        peak_rss_reset: rss_reset,
        runs,
    })
}

/// Refuse options a benchmark cannot honour.
fn validate(engine: &Engine, opts: &BenchOptions) -> Result<()> {
    if opts.threads.is_empty() || opts.threads.contains(&0) {
        return Err(Error::Config(
            "--threads needs one or more counts, each at least 1".into(),
        ));
    }
    if opts.repeat == 0 {
        return Err(Error::Config("--repeat must be at least 1".into()));
    }
    if opts.inputs.iter().any(|p| p.as_os_str() == "-") {
        return Err(Error::Config(
            "bench reads files and folders, not stdin".into(),
        ));
    }
    if engine.config().timings {
        return Err(Error::Config(
            "bench compares records across passes: turn per-record timings off".into(),
        ));
    }
    Ok(())
}

/// One timed pass: the records, and whether the peak-RSS counter could be reset
/// before it.
struct Pass {
    records: Vec<Done>,
    rss_reset: bool,
}

/// Process every item on `pool` (after `warmup` untimed articles) as a run does
/// ([`Engine::process_on`]); returns the pass and its wall time in seconds.
fn timed_pass(
    engine: &Engine,
    pool: &rayon::ThreadPool,
    items: &[Item],
    warmup: usize,
) -> (Pass, f64) {
    let threads = pool.current_num_threads();
    let slots = |n| engine.config().slots(Some(n), threads);
    if warmup > 0 {
        let n = warmup.min(items.len());
        engine.process_on(
            pool,
            slots(n),
            items[..n].iter(),
            |i| i.as_ref().ok(),
            |_, _| {},
        );
    }
    let rss_reset = machine::reset_peak_rss();
    let t = Instant::now();
    let done = Mutex::new(Vec::with_capacity(items.len()));
    // An article's latency runs from when a worker takes it to its serialised record.
    let taken = items
        .iter()
        .enumerate()
        .map(|(i, item)| (i, item, Instant::now()));
    engine.process_on(
        pool,
        slots(items.len()),
        taken,
        |(_, item, _)| item.as_ref().ok(),
        |(i, item, taken), processed| {
            let (record, stage_ms) = match (item, processed) {
                (_, Some(processed)) => processed,
                (Err(record), None) => ((**record).clone(), StageMs::new()),
                // The engine answers every article it is given.
                (Ok(_), None) => return,
            };
            let d = serialise(record, stage_ms, taken);
            done.lock().unwrap_or_else(|p| p.into_inner()).push((i, d));
        },
    );
    let wall = t.elapsed().as_secs_f64();
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|&(i, _)| i);
    let records = done.into_iter().map(|(_, d)| d).collect();
    (Pass { records, rss_reset }, wall)
}

impl Gathered {
    /// Add one pass of `wall` seconds.
    fn add(&mut self, done: &[Done], wall: f64) {
        self.peak_rss = self.peak_rss.max(machine::peak_rss_bytes());
        self.pass_seconds.push(wall);
        self.sentences = done.iter().map(|d| d.sentences).sum();
        self.prompt_tokens = done.iter().filter_map(|d| d.prompt_tokens).sum();
        self.generated_tokens = done.iter().map(|d| d.generated_tokens).sum();
        for d in done {
            self.latencies.push(d.latency_ms);
            for (stage, ms) in &d.ms {
                *self.stage_ms.entry(stage.clone()).or_default() += *ms;
            }
        }
    }
}

/// The records of the first pass as `DIR/results.jsonl`, related to each other as a
/// run relates them (duplicates, stories; `DIR/stories.jsonl`).
fn write_records(
    dir: &std::path::Path,
    lines: &[String],
    cfg: &crate::config::RelateConfig,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut relater = crate::relate::Relater::new(cfg);
    let mut jsonl = String::new();
    for line in lines {
        match serde_json::from_str::<Record>(line) {
            Ok(mut r) => {
                relater.relate(&mut r);
                jsonl.push_str(&serde_json::to_string(&r).unwrap_or_default());
            }
            Err(_) => jsonl.push_str(line),
        }
        jsonl.push('\n');
    }
    write_atomic(&dir.join("results.jsonl"), jsonl.as_bytes())?;
    crate::relate::write_stories(&dir.join(crate::relate::STORIES_FILE), &relater.finish())
}

/// A read article, or the error record of one that could not be read.
type Item = std::result::Result<Article, Box<Record>>;

/// Find and read every input, in input order (as `brief run` does).
fn read_all(engine: &Engine, inputs: &[PathBuf]) -> Result<Vec<Item>> {
    let opts = ingest_options(engine.config());
    let discovered = ingest::discover(inputs, &opts)?;
    let mut items: Vec<Item> = discovered
        .failures
        .into_iter()
        .map(|f| Err(Box::new(engine.failed(f))))
        .collect();
    for unit in &discovered.units {
        items.extend(
            ingest::read_unit(unit, &opts)
                .into_iter()
                .map(|r| r.map_err(|f| Box::new(engine.failed(f)))),
        );
    }
    Ok(items)
}

fn serialise(record: Record, stage_ms: StageMs, t: Instant) -> Done {
    let w = Instant::now();
    // A record always serialises (plain data); an empty line would show as a difference.
    let line = serde_json::to_string(&record).unwrap_or_default();
    let mut ms: BTreeMap<String, f64> = stage_ms.into_iter().map(|(k, v)| (k, v as f64)).collect();
    ms.insert("write".into(), w.elapsed().as_secs_f64() * 1e3);
    let stats = record.stats.as_ref();
    Done {
        line,
        ms,
        latency_ms: t.elapsed().as_secs_f64() * 1e3,
        ok: record.status == Status::Ok,
        sentences: stats.map_or(0, |s| s.sentences as u64),
        prompt_tokens: stats.and_then(|s| s.prompt_tokens).map(|n| n as u64),
        generated_tokens: stats.and_then(|s| s.generated_tokens).unwrap_or(0) as u64,
    }
}

/// Write every article's prompt under `dir`; returns (item index, prompt length).
fn dump_prompts(
    engine: &Engine,
    items: &[Item],
    dir: &std::path::Path,
) -> Result<Vec<(usize, usize)>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let max_new_tokens = engine
        .config()
        .generator
        .as_ref()
        .map_or(0, |g| g.max_new_tokens);
    let mut dumped = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Ok(article) = item else { continue };
        // An article whose prompt cannot be built fails in the passes too, with its record.
        let (prompt, whole) = match (engine.prompt(article, false), engine.prompt(article, true)) {
            (Ok(Some(p)), Ok(Some(w))) => (p, w),
            (Ok(None), _) | (_, Ok(None)) => {
                return Err(Error::Config(
                    "--dump-prompts needs a generator (--generator NAME|PATH)".into(),
                ))
            }
            _ => continue,
        };
        dumped.push((i, prompt.ids.len()));
        let dump = PromptDump {
            id: article.id.clone(),
            source: article.source.clone(),
            prompt_text: prompt.text,
            prompt_ids: prompt.ids,
            max_new_tokens,
            whole_article_prompt_text: whole.text,
            whole_article_prompt_ids: whole.ids,
        };
        prompts::write(dir, i, &dump)?;
    }
    Ok(dumped)
}

/// Fail if a dumped prompt's length differs from what generation reported: the dump
/// would then describe other work than the pipeline did.
fn check_dump(dumped: &[(usize, usize)], done: &[Done]) -> Result<()> {
    for &(i, len) in dumped {
        let seen = done.get(i).and_then(|d| d.prompt_tokens);
        if let Some(n) = seen.filter(|&n| n != len as u64) {
            return Err(Error::Internal(format!(
                "dumped prompt {i} has {len} tokens but generation saw {n}: dump and pipeline disagree"
            )));
        }
    }
    Ok(())
}

/// Turn the gathered passes into the reported figures.
fn summarise(
    threads: &[usize],
    gathered: Vec<Gathered>,
    repeat: usize,
    articles: usize,
    ingest_ms: f64,
) -> Vec<ThreadRun> {
    use stats::{mean, median, percentile, rate};
    let mut runs: Vec<ThreadRun> = threads
        .iter()
        .zip(gathered)
        .map(|(&n, g)| {
            let wall = median(&g.pass_seconds).unwrap_or(0.0);
            let mut stage_ms: Vec<(String, f64)> = vec![("ingest".into(), ingest_ms)];
            let per_pass = |v: f64| v / repeat as f64;
            for s in STAGES.iter().skip(1) {
                if let Some(&v) = g.stage_ms.get(*s) {
                    stage_ms.push((s.to_string(), per_pass(v)));
                }
            }
            for (s, &v) in &g.stage_ms {
                if !STAGES.contains(&s.as_str()) {
                    stage_ms.push((s.clone(), per_pass(v)));
                }
            }
            let total: f64 = stage_ms.iter().map(|(_, v)| v).sum();
            let encode_s = stage_ms
                .iter()
                .find(|(s, _)| s == "encode")
                .map_or(0.0, |(_, v)| v / 1e3);
            let aps = rate(articles as f64, wall);
            ThreadRun {
                threads: n,
                wall_seconds: wall,
                articles_per_second: aps,
                articles_per_minute: aps * 60.0,
                speedup: 1.0,
                speedup_base_threads: n,
                prompt_tokens: g.prompt_tokens,
                prompt_tokens_per_second: rate(g.prompt_tokens as f64, wall),
                generated_tokens: g.generated_tokens,
                generated_tokens_per_second: rate(g.generated_tokens as f64, wall),
                sentences: g.sentences,
                sentences_per_second: rate(g.sentences as f64, wall),
                encoder_sentences_per_worker_second: rate(g.sentences as f64, encode_s),
                stages: stage_ms
                    .into_iter()
                    .map(|(stage, ms)| StageTime {
                        stage,
                        ms,
                        share: rate(ms, total),
                    })
                    .collect(),
                latency_ms: Latency {
                    p50: percentile(&g.latencies, 50.0).unwrap_or(0.0),
                    p95: percentile(&g.latencies, 95.0).unwrap_or(0.0),
                    max: percentile(&g.latencies, 100.0).unwrap_or(0.0),
                    mean: mean(&g.latencies).unwrap_or(0.0),
                },
                peak_rss_bytes: g.peak_rss,
                pass_seconds: g.pass_seconds,
            }
        })
        .collect();
    let base = runs
        .iter()
        .find(|r| r.threads == 1)
        .or_else(|| runs.iter().min_by_key(|r| r.threads))
        .map(|r| (r.threads, r.articles_per_second));
    if let Some((base_threads, base_aps)) = base {
        for r in &mut runs {
            r.speedup_base_threads = base_threads;
            r.speedup = rate(r.articles_per_second, base_aps);
        }
    }
    runs
}
