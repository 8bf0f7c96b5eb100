//! The `brief` command line: parses arguments into a [`brief::config::Config`], calls
//! the library and maps the outcome to an exit code (0 all ok, 1 some articles
//! failed, 2 fatal). A closed output pipe counts as success.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use brief::cancel::Cancel;
use brief::config::{ClaimsMode, Config, GeneratorConfig, SummaryLength, SummaryMode};
use brief::model::files::models_dir;
use brief::model::registry::DEFAULT_GENERATOR;
use brief::pipeline::Engine;
use brief::run::{Output, Progress, Reporter, Run, RunOptions};

#[derive(Parser)]
#[command(
    name = "brief",
    version,
    about = "News articles in; grounded summaries and claims out. Local models, CPU, in parallel."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summarise every article under the inputs and extract its claims, as JSON lines.
    Run(RunArgs),
    /// Print the sentences of a text as the pipeline sees them, one per line.
    Segment(SegmentArgs),
    /// Score a results.jsonl against reference summaries: ROUGE, Lead-3, claim fidelity.
    Eval(EvalArgs),
    /// Measure throughput of the real pipeline at several thread counts.
    Bench(BenchArgs),
    /// Write one self-contained HTML page (works offline) to read a run: overview,
    /// article list, and each article with its claims' evidence highlighted.
    Report(ReportArgs),
    /// Join the output folders of shard runs (`run --shard K/N`) into one, in the
    /// order a single run writes, one record per article.
    Merge(MergeArgs),
}

#[derive(Args)]
struct MergeArgs {
    /// Output folders of `brief run` (the shards of one run).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The folder to write results.jsonl and manifest.json to.
    #[arg(short, long)]
    output: PathBuf,
    /// Print nothing on stderr.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct ReportArgs {
    /// A `brief run` output folder, or a results.jsonl (its folder's manifest.json is
    /// used when present).
    input: PathBuf,
    /// The HTML file to write, or `-` for standard output.
    #[arg(short, long)]
    output: PathBuf,
    /// Print nothing on stderr.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct EvalArgs {
    /// A results.jsonl written by `brief run`.
    results: PathBuf,
    /// References: a folder mirroring the articles' layout (`article/…` ↔ `summary/…`
    /// also works), or a JSONL file with `id` and `reference` fields.
    #[arg(long)]
    refs: PathBuf,
    /// Other systems' summaries of the same articles, scored beside brief's: a JSONL
    /// file of `{"id": …, "<system>": "<summary>", …}` (ids as in `--refs`).
    #[arg(long)]
    compare: Option<PathBuf>,
    /// Also write the full report (with per-article scores) as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    /// Folders (searched recursively), files, or `-` for JSONL on stdin.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output folder (gets results.jsonl and manifest.json), or `-` for JSONL on stdout.
    #[arg(short, long)]
    output: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long, default_value_t = 0)]
    threads: usize,
    /// Print nothing on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Record per-stage milliseconds in every record (makes output differ between runs).
    #[arg(long)]
    timings: bool,
    /// Process every article again instead of skipping those already in
    /// OUT/results.jsonl with the same content and options.
    #[arg(long)]
    force: bool,
    /// Process only shard K of N (0 <= K < N; chosen by a hash of each article's id,
    /// so every article is in exactly one shard); join the outputs with `brief merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<brief::ingest::shard::Shard>,
    /// Near-duplicates of an earlier article: `mark` processes them like any other
    /// (their records say `duplicate_of`); `skip` neither encodes nor summarises them.
    #[arg(long, value_enum, default_value_t = DuplicatesArg::Mark)]
    duplicates: DuplicatesArg,
    /// Shingle similarity (0-1) at which an article is a near-duplicate of an earlier one.
    #[arg(long, default_value_t = brief::relate::DEFAULT_DUPLICATE_THRESHOLD, value_parser = unit_interval)]
    duplicate_threshold: f32,
    /// Cosine (0-1) of lead vectors at which an article joins a story.
    #[arg(long, default_value_t = brief::relate::stories::DEFAULT_STORY_THRESHOLD, value_parser = unit_interval)]
    story_threshold: f32,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DuplicatesArg {
    Mark,
    Skip,
}

fn unit_interval(s: &str) -> std::result::Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a number from 0 to 1")),
    }
}

fn parse_shard(s: &str) -> std::result::Result<brief::ingest::shard::Shard, String> {
    s.parse()
}

#[derive(Args)]
struct BenchArgs {
    /// Folders (searched recursively) or files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Worker counts to measure, comma-separated.
    #[arg(short = 'j', long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Timed passes over all articles per thread count (the median pass is reported).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Articles processed untimed on each thread count's pool before measuring.
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the exact generator prompt of every article to DIR, one JSON file each.
    #[arg(long, value_name = "DIR")]
    dump_prompts: Option<PathBuf>,
    /// Write the records of the first pass to DIR/results.jsonl.
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Print only the table (no per-pass lines on stderr).
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

/// What the pipeline does to each article: shared by `run` and `bench`, so a benchmark
/// measures exactly the configuration a run would use.
#[derive(Args)]
struct PipelineArgs {
    /// Sentences in the extractive summary [default: 3].
    #[arg(long, conflicts_with = "summary_ratio")]
    summary_sentences: Option<usize>,
    /// Summary length as a fraction of the article's sentences (e.g. 0.4).
    #[arg(long)]
    summary_ratio: Option<f32>,
    /// Soft cap on summary words (0 = none) [default: 80].
    #[arg(long)]
    summary_words: Option<usize>,
    /// At most this many claims per article [default: 12].
    #[arg(long)]
    max_claims: Option<usize>,
    /// Models folder [default: $BRIEF_MODELS, else ./models, else models/ beside the executable].
    #[arg(long)]
    models: Option<PathBuf>,
    /// Leave the cleaned body out of records (evidence offsets then refer to a text you
    /// must reproduce with the same brief version).
    #[arg(long)]
    no_text: bool,
    /// Reject articles larger than this many bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_article_bytes: u64,
    /// Reject articles with more sentences than this (`too_large`): bounds the time
    /// and memory one article can take.
    #[arg(long, default_value_t = brief::config::DEFAULT_MAX_SENTENCES, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_sentences: usize,
    /// Reject articles whose sentences come to more encoder tokens than this
    /// (`too_large`, checked before the encoder runs): bounds the encoding time of
    /// text that is mostly punctuation or symbols.
    #[arg(long, default_value_t = brief::config::DEFAULT_MAX_ARTICLE_TOKENS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_article_tokens: usize,
    /// Write abstractive summaries and claims with this generator: `qwen2.5`
    /// (default), `smollm2`, a path to a GGUF file, or a Hugging Face model folder
    /// (config.json + safetensors: llama, qwen2, t5).
    #[arg(long, value_name = "NAME|PATH", conflicts_with = "no_generate")]
    generator: Option<String>,
    /// Extractive only: no generator.
    #[arg(long)]
    no_generate: bool,
    /// Which claims to write [default: generated with a generator, else extractive].
    #[arg(long, value_enum)]
    claims: Option<ClaimsArg>,
    /// Which summary is `summary.text`: the extractive news brief, or the generator's
    /// when the summary check accepts it (else the extractive one). Either way, the
    /// generator's summary is recorded as `summary.generated` with the check's verdict.
    #[arg(long, value_enum, default_value = "extractive")]
    summary: SummaryArg,
    /// Drop generated sentences and claims the article does not support (default:
    /// keep them, marked `grounded: false` with a reason).
    #[arg(long)]
    drop_unsupported: bool,
    /// At most this many generated tokens per article.
    #[arg(long, default_value_t = 200)]
    max_new_tokens: usize,
    /// Articles a worker decodes together (one pass over the weights per step serves
    /// them all); 1 = one at a time. Output is identical for any value.
    #[arg(long, default_value_t = brief::config::DEFAULT_BATCH, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    batch: usize,
    /// Summarise articles longer than this many words in parts, then from the
    /// parts' summaries (map-reduce) [0 = never].
    #[arg(long, default_value_t = 1500)]
    chunk_words: usize,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SummaryArg {
    Extractive,
    Generated,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ClaimsArg {
    Extractive,
    Generated,
    Both,
}

#[derive(Args)]
struct SegmentArgs {
    /// A text file, or `-` (default) for stdin.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// JSON objects with byte offsets instead of plain lines.
    #[arg(long)]
    json: bool,
    /// Segment the text as given, without cleaning it first.
    #[arg(long)]
    raw: bool,
    /// Refuse inputs larger than this many bytes, as `run` does.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_article_bytes: u64,
}

fn main() -> ExitCode {
    // brief runs articles in parallel on its own pool. candle's matrix products would
    // also fan out over all cores (it reads RAYON_NUM_THREADS), and that nested
    // parallelism on small per-article matrices costs more than it gains: measured on
    // the BBC set, 1 worker went from 2.3 to 4.2 articles/s with it off. Set here,
    // before any thread exists; a value the user set is respected.
    // The same goes for candle's quantized matmul pool (CANDLE_NUM_THREADS), whose
    // spinning threads otherwise fight the workers for the cores.
    for var in ["RAYON_NUM_THREADS", "CANDLE_NUM_THREADS"] {
        if std::env::var_os(var).is_none() {
            std::env::set_var(var, "1");
        }
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Segment(args) => segment(args).map(|()| ExitCode::SUCCESS),
        Command::Eval(args) => eval(args).map(|()| ExitCode::SUCCESS),
        Command::Bench(args) => bench(args).map(|()| ExitCode::SUCCESS),
        Command::Report(args) => report_page(args).map(|()| ExitCode::SUCCESS),
        Command::Merge(args) => merge(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("brief: {}", report(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, `: `-separated, each said once: library errors put their
/// cause's text in their own message (`path: OS error`) and also return the cause as
/// their `source`, which `{:#}` would print a second time.
fn report(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn config_from(args: &PipelineArgs, threads: usize, timings: bool) -> Result<Config> {
    let mut cfg = Config {
        models_dir: args.models.clone().unwrap_or_else(models_dir),
        threads,
        batch: args.batch,
        max_article_bytes: args.max_article_bytes,
        max_sentences: args.max_sentences,
        max_article_tokens: args.max_article_tokens,
        include_text: !args.no_text,
        timings,
        ..Config::default()
    };
    if let Some(n) = args.summary_sentences {
        anyhow::ensure!(n > 0, "--summary-sentences must be at least 1");
        cfg.select.length = SummaryLength::Sentences(n);
    }
    if let Some(r) = args.summary_ratio {
        anyhow::ensure!(r > 0.0 && r <= 1.0, "--summary-ratio must be in (0, 1]");
        cfg.select.length = SummaryLength::Ratio(r);
        // A ratio asks for a length; the word cap would override it. A long selection
        // is a digest of the whole piece, not a brief of its lead.
        cfg.select.max_words = 0;
        cfg.select.position_weight = brief::config::DIGEST_POSITION_WEIGHT;
        cfg.select.cover_headline = false;
    }
    if let Some(w) = args.summary_words {
        cfg.select.max_words = w;
    }
    if let Some(n) = args.max_claims {
        cfg.claims.max_claims = n;
    }
    if !args.no_generate {
        cfg.generator = Some(GeneratorConfig {
            model: args
                .generator
                .clone()
                .unwrap_or_else(|| DEFAULT_GENERATOR.to_string()),
            max_new_tokens: args.max_new_tokens,
            chunk_words: args.chunk_words,
            ..GeneratorConfig::default()
        });
    }
    cfg.claims_mode = match (args.claims, cfg.generator.is_some()) {
        (Some(ClaimsArg::Extractive), _) | (None, false) => ClaimsMode::Extractive,
        (Some(ClaimsArg::Generated), _) | (None, true) => ClaimsMode::Generated,
        (Some(ClaimsArg::Both), _) => ClaimsMode::Both,
    };
    anyhow::ensure!(
        cfg.claims_mode == ClaimsMode::Extractive || cfg.generator.is_some(),
        "--claims generated/both needs a generator (--generator NAME|PATH)"
    );
    cfg.drop_unsupported = args.drop_unsupported;
    cfg.summary_mode = match args.summary {
        SummaryArg::Extractive => SummaryMode::Extractive,
        SummaryArg::Generated => SummaryMode::Generated,
    };
    Ok(cfg)
}

fn run(args: RunArgs) -> Result<ExitCode> {
    let mut cfg = config_from(&args.pipeline, args.threads, args.timings)?;
    cfg.relate = brief::config::RelateConfig {
        duplicates: match args.duplicates {
            DuplicatesArg::Mark => brief::config::DuplicatesMode::Mark,
            DuplicatesArg::Skip => brief::config::DuplicatesMode::Skip,
        },
        duplicate_threshold: args.duplicate_threshold,
        story_threshold: args.story_threshold,
    };
    let output = if args.output.as_os_str() == "-" {
        Output::Stdout
    } else {
        Output::Dir(args.output.clone())
    };
    if let Output::Dir(dir) = &output {
        if dir.exists() && !dir.is_dir() {
            return Err(brief::error::Error::Input {
                path: dir.clone(),
                message: "exists and is not a folder: -o takes a folder (it gets results.jsonl \
                          and manifest.json) or `-` for standard output"
                    .into(),
            }
            .into());
        }
    }
    let engine = Engine::load(&cfg)?;
    let signal = stop_on_signals(engine.cancel().clone(), args.quiet)?;
    let opts = RunOptions {
        inputs: args.inputs.clone(),
        output: output.clone(),
        progress: (!args.quiet).then(Bar::reporter),
        force: args.force,
        shard: args.shard,
    };
    let run = Run::prepare(&engine, &opts)?;
    if !args.quiet {
        for w in run.warnings() {
            eprintln!("brief: warning: {w}");
        }
    }
    let report = run.execute()?;
    let m = &report.manifest;
    if !args.quiet {
        let dest = match &output {
            Output::Dir(d) => format!(" → {}", d.join("results.jsonl").display()),
            Output::Stdout => String::new(),
        };
        let mut skipped = match m.counts.skipped {
            0 => String::new(),
            n => format!(", {n} already done"),
        };
        if let Some(shard) = m.shard {
            let others = m.counts.out_of_shard;
            skipped.push_str(&format!(
                "; shard {shard}, {others} read and left to other shards"
            ));
        }
        eprintln!(
            "brief: {} articles ({} ok, {} failed{skipped}) in {:.1}s, {:.2} articles/s on {} threads{dest}",
            m.counts.articles,
            m.counts.ok,
            m.counts.failed,
            m.wall_seconds,
            m.docs_per_second,
            m.threads
        );
        if m.interrupted {
            eprintln!("brief: interrupted; run the same command again to finish");
        }
        for (kind, n) in &m.counts.failed_by_kind {
            eprintln!("brief:   {n} failed: {kind}");
        }
    }
    let signo = signal.load(Ordering::Relaxed);
    Ok(if report.interrupted() && signo > 0 {
        // The shell convention for "killed by signal N", so scripts can tell.
        ExitCode::from(128u8.saturating_add(u8::try_from(signo).unwrap_or(0)))
    } else if report.any_failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Progress on stderr: a bar for runs (only when stderr is a terminal), lines for
/// benchmark passes.
#[derive(Default)]
struct Bar(std::sync::OnceLock<indicatif::ProgressBar>);

impl Bar {
    fn reporter() -> Reporter {
        Reporter(Arc::new(Bar::default()))
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} articles  {per_sec}  eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        let _ = self.0.set(bar);
    }

    fn advance(&self) {
        if let Some(bar) = self.0.get() {
            bar.inc(1);
        }
    }

    fn note(&self, message: &str) {
        eprintln!("{message}");
    }

    fn finish(&self) {
        if let Some(bar) = self.0.get() {
            bar.finish_and_clear();
        }
    }
}

/// How long a stopped run may take to finish before it is ended outright.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// On SIGINT or SIGTERM, stop the run: `cancel` makes the articles in progress be
/// abandoned within about one encoder batch or decode step, what is finished is
/// written with the manifest. A second signal exits at once; the results file then
/// may end in a torn line, which the next run repairs. Returns where the first
/// signal's number is put.
fn stop_on_signals(cancel: Cancel, quiet: bool) -> Result<Arc<AtomicI32>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let received = Arc::new(AtomicI32::new(0));
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .context("installing signal handlers")?;
    let first = received.clone();
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if cancel.is_cancelled() {
                std::process::exit(128 + sig);
            }
            // Which signal first, then the request: the run reads them in that order.
            first.store(sig, Ordering::SeqCst);
            cancel.cancel();
            if !quiet {
                eprintln!(
                    "brief: stopping: finished articles are kept, those in progress are \
                     abandoned (signal again to quit at once)"
                );
            }
            // Two waits cannot look at the flag: a read blocked on a silent pipe, and
            // one model pass over a long prompt (seconds on a busy machine). Quit
            // anyway: lines are whole writes and the manifest already says
            // `interrupted`, so nothing is left half-written.
            std::thread::spawn(move || {
                std::thread::sleep(STOP_GRACE);
                eprintln!(
                    "brief: still busy {} s after the signal (in one model pass, or blocked \
                     reading input); quitting, finished records are kept",
                    STOP_GRACE.as_secs()
                );
                std::process::exit(128 + sig);
            });
        }
    });
    Ok(received)
}

fn merge(args: MergeArgs) -> Result<()> {
    let report = brief::run::merge::merge(&brief::run::merge::MergeOptions {
        inputs: args.inputs,
        output: args.output.clone(),
    })?;
    if !args.quiet {
        for w in &report.warnings {
            eprintln!("brief: warning: {w}");
        }
        let c = &report.manifest.counts;
        eprintln!(
            "brief: merged {} folders: {} articles ({} ok, {} failed) → {}",
            report.manifest.merged.len(),
            c.articles,
            c.ok,
            c.failed,
            args.output.join("results.jsonl").display()
        );
    }
    Ok(())
}

fn report_page(args: ReportArgs) -> Result<()> {
    use brief::report::{ReportOptions, ReportOutput};
    let output = if args.output.as_os_str() == "-" {
        ReportOutput::Stdout
    } else {
        ReportOutput::File(args.output.clone())
    };
    let done = brief::report::run(&ReportOptions {
        input: args.input,
        output,
    })?;
    if !args.quiet {
        for w in &done.warnings {
            eprintln!("brief: warning: {w}");
        }
        let dest = if args.output.as_os_str() == "-" {
            String::new()
        } else {
            format!(" → {}", args.output.display())
        };
        eprintln!(
            "brief: report of {} articles, {:.1} MB{dest}",
            done.articles,
            done.bytes as f64 / 1e6
        );
    }
    Ok(())
}

fn bench(args: BenchArgs) -> Result<()> {
    // Records must be identical from pass to pass, so no per-record timings.
    let cfg = config_from(&args.pipeline, 0, false)?;
    let engine = Engine::load(&cfg)?;
    let opts = brief::bench::BenchOptions {
        inputs: args.inputs,
        threads: args.threads,
        repeat: args.repeat,
        warmup: args.warmup,
        dump_prompts: args.dump_prompts,
        output: args.output,
        progress: (!args.quiet).then(Bar::reporter),
    };
    let report = brief::bench::run(&engine, &opts)?;
    print!("{}", brief::bench::format_table(&report));
    std::io::stdout().flush()?;
    if let Some(path) = args.json {
        let json = serde_json::to_vec_pretty(&report)?;
        brief::output::writer::write_atomic(&path, &json)?;
    }
    Ok(())
}

fn segment(args: SegmentArgs) -> Result<()> {
    use brief::ingest::{self, Format, IngestOptions, Unit};
    let opts = IngestOptions {
        max_article_bytes: args.max_article_bytes,
        ..IngestOptions::default()
    };
    // What the pipeline sees: the file read as `run` reads it (size limit, decoding,
    // HTML/Markdown/JSON extraction), then cleaned with its headline. Standard input
    // and `--raw` are plain text.
    let items = if args.input.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(opts.max_article_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .context("reading stdin")?;
        anyhow::ensure!(
            bytes.len() as u64 <= opts.max_article_bytes,
            "stdin: too_large: more than {} bytes (--max-article-bytes)",
            opts.max_article_bytes
        );
        ingest::read_bytes(bytes, Format::Txt, "-", &opts)
    } else {
        let found = ingest::discover(std::slice::from_ref(&args.input), &opts)?;
        let format = if args.raw {
            Format::Txt
        } else {
            Format::from_path(&args.input).unwrap_or(Format::Txt)
        };
        let unit = match found.units.as_slice() {
            [Unit::File { path, .. }] => Unit::File {
                path: path.clone(),
                format,
            },
            _ => anyhow::bail!(
                "{}: segment takes one file (or - for stdin)",
                args.input.display()
            ),
        };
        ingest::read_unit(&unit, &opts)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for item in items {
        let article = item.map_err(anyhow::Error::new)?;
        let text = if args.raw {
            article.body
        } else {
            brief::text::clean(&article.body, article.title.as_deref()).text
        };
        for s in brief::text::segment(&text) {
            let sentence = &text[s.start..s.end];
            if args.json {
                let obj = serde_json::json!({"start": s.start, "end": s.end, "text": sentence});
                writeln!(out, "{obj}")?;
            } else {
                // One sentence per line: line breaks inside a sentence would break that.
                writeln!(out, "{}", sentence.replace('\n', " "))?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Say that `ids` appear more than once in the JSONL file at `path`.
fn warn_duplicate_ids(path: &std::path::Path, ids: &[String]) {
    if !ids.is_empty() {
        eprintln!(
            "brief: warning: {}: {} id(s) appear more than once (the last wins): {}",
            path.display(),
            ids.len(),
            ids.iter()
                .take(5)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

fn eval(args: EvalArgs) -> Result<()> {
    use brief::eval::evaluate::{format_table, Compared, Evaluator, References};
    let (refs, duplicate_ids) = References::open_reporting(&args.refs)?;
    warn_duplicate_ids(&args.refs, &duplicate_ids);
    let compared = match &args.compare {
        Some(path) => {
            let (c, duplicate_ids) = Compared::open(path)?;
            warn_duplicate_ids(path, &duplicate_ids);
            Some(c)
        }
        None => None,
    };
    let mut lines = brief::output::results::LineReader::open(&args.results)?;
    let mut evaluator = Evaluator::new(&refs, compared.as_ref());
    while let Some(line) = lines.next_line()? {
        if line.is_blank() {
            continue;
        }
        let r: brief::output::Record = serde_json::from_slice(line.bytes).with_context(|| {
            format!(
                "{}:{}: not a brief record",
                args.results.display(),
                line.number
            )
        })?;
        evaluator.add(&r);
    }
    if evaluator.duplicates() > 0 {
        eprintln!(
            "brief: warning: {}: {} record(s) repeat the id and source of an earlier one",
            args.results.display(),
            evaluator.duplicates()
        );
    }
    let report = evaluator.finish();
    anyhow::ensure!(
        report.with_reference > 0,
        "no record matched a reference under {} (records need their `text`; was the run made with --no-text?)",
        args.refs.display()
    );
    print!("{}", format_table(&report));
    if let Some(path) = args.json {
        let json = serde_json::to_vec_pretty(&report)?;
        brief::output::writer::write_atomic(&path, &json)?;
    }
    Ok(())
}
