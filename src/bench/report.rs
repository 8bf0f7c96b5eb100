//! What `brief bench` reports, as serde types, and the readable table of it.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::machine::Machine;
use crate::config::Config;
use crate::output::manifest::ModelFile;

/// A whole benchmark: the setup, then one [`ThreadRun`] per thread count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// brief's version.
    pub brief_version: String,
    /// When the benchmark started (RFC 3339, UTC).
    pub started: String,
    /// The inputs as given.
    pub inputs: Vec<String>,
    /// The pipeline configuration.
    pub config: Config,
    /// Where it ran.
    pub machine: Machine,
    /// Model files, with sha256.
    pub models: Vec<ModelFile>,
    /// Thread-related environment in force (`RAYON_NUM_THREADS`, `CANDLE_NUM_THREADS`:
    /// the threads candle's own operations may use inside each worker).
    pub env: BTreeMap<String, String>,
    /// Articles per pass (readable or not).
    pub articles: usize,
    /// Articles that gave a record with status `ok`.
    pub ok: usize,
    /// Articles that gave an error record.
    pub failed: usize,
    /// Milliseconds to find and read all inputs (once, on one thread, before any pass).
    pub ingest_ms: f64,
    /// Articles processed untimed on each thread count's pool before its first pass.
    pub warmup: usize,
    /// Timed passes over all articles per thread count (interleaved across counts).
    pub repeat: usize,
    /// Whether every pass, at every thread count, gave byte-identical records.
    pub outputs_identical: bool,
    /// Whether peak memory was reset before each pass (otherwise a figure is the
    /// process's peak up to the end of that thread count's last pass).
    pub peak_rss_reset: bool,
    /// One entry per thread count, in the order asked.
    pub runs: Vec<ThreadRun>,
}

/// The figures of one thread count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadRun {
    /// Worker threads (one article per worker at a time).
    pub threads: usize,
    /// Wall seconds of each timed pass.
    pub pass_seconds: Vec<f64>,
    /// Median of `pass_seconds`: every rate below is per this time.
    pub wall_seconds: f64,
    /// Articles per second.
    pub articles_per_second: f64,
    /// Articles per minute.
    pub articles_per_minute: f64,
    /// `articles_per_second` over that of `speedup_base_threads`.
    pub speedup: f64,
    /// The thread count `speedup` is relative to (1 when 1 was measured, else the
    /// smallest count).
    pub speedup_base_threads: usize,
    /// Prompt tokens sent to the generator in one pass (instruction prefix included).
    pub prompt_tokens: u64,
    /// Prompt tokens per second.
    pub prompt_tokens_per_second: f64,
    /// Tokens generated in one pass.
    pub generated_tokens: u64,
    /// Generated tokens per second.
    pub generated_tokens_per_second: f64,
    /// Article sentences encoded in one pass.
    pub sentences: u64,
    /// Article sentences per second of wall time (whole pipeline).
    pub sentences_per_second: f64,
    /// Article sentences per second of `encode` stage time, per worker.
    pub encoder_sentences_per_worker_second: f64,
    /// Time per stage, summed over articles (worker time: with N workers the stages
    /// add up to about N × wall), mean over passes.
    pub stages: Vec<StageTime>,
    /// Per-article latency (process and serialise), over all passes.
    pub latency_ms: Latency,
    /// Peak resident memory in bytes, when the OS tells.
    pub peak_rss_bytes: Option<u64>,
}

/// One stage's time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTime {
    /// `ingest`, `clean`, `segment`, `encode`, `select`, `claims`, `generate`,
    /// `ground` or `write` (JSON serialisation of the record).
    pub stage: String,
    /// Milliseconds.
    pub ms: f64,
    /// Share of all stages' time, in `[0, 1]`.
    pub share: f64,
}

/// Per-article latency percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Slowest article.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// How one table row is computed from a thread count's run.
type Cell<'a> = Box<dyn Fn(&ThreadRun) -> String + 'a>;

/// The report as a readable table (what `brief bench` prints).
pub fn format_table(r: &BenchReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "brief bench: {} articles ({} ok, {} failed) from {}",
        r.articles,
        r.ok,
        r.failed,
        r.inputs.join(", ")
    );
    let m = &r.machine;
    let _ = writeln!(
        s,
        "machine: {} ({} logical cores, {}); SIMD cpu: {}; binary built for: {}",
        m.cpu_model,
        m.logical_cores,
        m.os,
        Machine::on(&m.simd_runtime),
        Machine::on(&m.simd_compiled)
    );
    if let Some(load) = m.load_average {
        let _ = writeln!(
            s,
            "load average at the end: {load:.2} (other processes share the cores when it exceeds the workers)"
        );
    }
    let _ = writeln!(s, "brief {}", r.brief_version);
    for model in &r.models {
        let _ = writeln!(
            s,
            "  {:<9} {} sha256 {}",
            model.role, model.name, model.sha256
        );
    }
    let env: Vec<String> = r.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(
        s,
        "{} timed pass(es) per thread count, interleaved; rates use the median pass; warm-up {} article(s) per pool; {}",
        r.repeat,
        r.warmup,
        env.join(" ")
    );
    let _ = writeln!(s);
    rates(&mut s, r);
    stages(&mut s, r);
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "ingest (read all inputs, once, 1 thread): {:.1} ms",
        r.ingest_ms
    );
    let _ = writeln!(
        s,
        "outputs identical across thread counts and passes: {}",
        if r.outputs_identical { "yes" } else { "NO" }
    );
    let _ = writeln!(
        s,
        "peak RSS: {}",
        if r.peak_rss_reset {
            "reset before every pass; per thread count, the highest of its passes"
        } else {
            "could not be reset (clear_refs not allowed): the process's peak so far"
        }
    );
    s
}

/// `v` with `d` decimals.
fn f(v: f64, d: usize) -> String {
    format!("{v:.d$}")
}

/// The table of rates, one column per thread count.
fn rates(s: &mut String, r: &BenchReport) {
    let head: Vec<String> = r
        .runs
        .iter()
        .map(|t| format!("{} thr", t.threads))
        .collect();
    let row = |s: &mut String, label: &str, cells: Vec<String>| {
        let _ = write!(s, "{label:<28}");
        for c in cells {
            let _ = write!(s, "{c:>12}");
        }
        let _ = writeln!(s);
    };
    row(s, "threads", head);
    let rows: Vec<(&str, Cell<'_>)> = vec![
        ("wall s (median pass)", Box::new(|t| f(t.wall_seconds, 2))),
        ("articles/s", Box::new(|t| f(t.articles_per_second, 3))),
        ("articles/min", Box::new(|t| f(t.articles_per_minute, 1))),
        (
            "speed-up",
            Box::new(|t| format!("{:.2}x/{}", t.speedup, t.speedup_base_threads)),
        ),
        (
            "prompt tokens/s",
            Box::new(|t| f(t.prompt_tokens_per_second, 1)),
        ),
        (
            "generated tokens/s",
            Box::new(|t| f(t.generated_tokens_per_second, 1)),
        ),
        ("sentences/s", Box::new(|t| f(t.sentences_per_second, 1))),
        (
            "encoder sent./s per worker",
            Box::new(|t| f(t.encoder_sentences_per_worker_second, 1)),
        ),
        ("latency p50 ms", Box::new(|t| f(t.latency_ms.p50, 0))),
        ("latency p95 ms", Box::new(|t| f(t.latency_ms.p95, 0))),
        ("latency max ms", Box::new(|t| f(t.latency_ms.max, 0))),
        (
            "peak RSS MB",
            Box::new(|t| {
                t.peak_rss_bytes
                    .map_or("?".into(), |b| f(b as f64 / 1_048_576.0, 0))
            }),
        ),
    ];
    for (label, cell) in &rows {
        row(s, label, r.runs.iter().map(cell).collect());
    }
}

/// Time per stage and its share, one pair of columns per thread count.
fn stages(s: &mut String, r: &BenchReport) {
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "per stage, worker ms summed over articles (mean of passes) and share:"
    );
    let head: Vec<String> = r
        .runs
        .iter()
        .flat_map(|t| [format!("ms@{}", t.threads), "share".to_string()])
        .collect();
    let stage_row = |s: &mut String, label: &str, cells: &[String]| {
        let _ = write!(s, "{label:<28}");
        for c in cells {
            let _ = write!(s, "{c:>10}");
        }
        let _ = writeln!(s);
    };
    stage_row(s, "stage", &head);
    let stages: Vec<&str> = r
        .runs
        .first()
        .map(|t| t.stages.iter().map(|x| x.stage.as_str()).collect())
        .unwrap_or_default();
    for stage in stages {
        let cells: Vec<String> = r
            .runs
            .iter()
            .flat_map(|t| match t.stages.iter().find(|x| x.stage == stage) {
                Some(x) => [f(x.ms, 0), format!("{:.1}%", x.share * 100.0)],
                None => ["-".into(), "-".into()],
            })
            .collect();
        stage_row(s, stage, &cells);
    }
}
