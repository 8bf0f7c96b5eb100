//! Before a run starts: worker threads, ingest options, and the output side — for a
//! folder, `results.jsonl` scanned and repaired, what to keep decided, the rest
//! dropped (atomically) before anything is appended.

use rayon::prelude::*;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::shard::{owns, Shard};
use crate::ingest::{self, Discovered, IngestOptions, Unit};
use crate::output::results::{self, Line};
use crate::output::resume::{Plan, UnitKeys};
use crate::output::writer::WrittenLine;
use crate::output::Sink;

use super::{Output, RunOptions};

/// Worker threads for `configured` (0 = one per core).
pub fn thread_count(configured: usize) -> usize {
    if configured == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        configured
    }
}

/// A pool of `threads` workers.
pub fn worker_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Threads {
            threads,
            message: e.to_string(),
        })
}

/// How articles are read under `cfg`.
pub fn ingest_options(cfg: &Config) -> IngestOptions {
    IngestOptions {
        max_article_bytes: cfg.max_article_bytes,
        ..IngestOptions::default()
    }
}

/// Name of the lock file in an output folder (hidden: discovery skips it).
pub const LOCK_FILE: &str = ".brief.lock";

/// An exclusive lock on an output folder, held while a run writes there (released
/// when dropped, and by the OS when the process dies, even by SIGKILL).
#[derive(Debug)]
pub struct OutputLock {
    _file: std::fs::File,
}

/// Take the output folder `dir` for this run, creating it if need be. A second run
/// on the same folder gets [`Error::Locked`] at once, naming the holder's pid, so two
/// runs never append to or rewrite one results file together.
pub fn lock_output(dir: &std::path::Path) -> Result<OutputLock> {
    use std::io::{Read, Seek, Write};
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => {
            let io = |e| Error::io(&path, e);
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            write!(file, "pid {}", std::process::id()).map_err(io)?;
            Ok(OutputLock { _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "pid unknown".to_string(),
                h => h.to_string(),
            };
            Err(Error::Locked {
                dir: dir.to_path_buf(),
                holder,
            })
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// The output side of a run, ready to write.
pub(super) struct Prepared {
    pub sink: Sink,
    pub plan: Plan,
    /// Lines kept in the results file, with their current offsets.
    pub kept: Vec<WrittenLine>,
}

/// Open the output; for a folder, scan and repair `results.jsonl`, decide what to
/// keep, and drop the rest (atomically) before anything is appended. What was
/// repaired is added to `warnings`.
pub(super) fn prepare_output(
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
    if !opts.force {
        check_shard(dir, opts.shard)?;
    }
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
        let keys = unit_keys(&discovered.units, ingest_opts, opts.shard, pool);
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

/// Refuse to resume in `dir` when its manifest says it holds another share of the
/// articles than `shard` (another `K/N`, or a whole run where this is a shard, or the
/// reverse): resuming would drop every record that is not this run's, silently.
fn check_shard(dir: &std::path::Path, shard: Option<Shard>) -> Result<()> {
    let Ok(text) = std::fs::read(dir.join("manifest.json")) else {
        return Ok(());
    };
    #[derive(serde::Deserialize)]
    struct Head {
        config_hash: String,
        #[serde(default)]
        shard: Option<Shard>,
    }
    // A manifest that does not parse is not one of ours; `results.jsonl` is checked
    // on its own.
    match serde_json::from_slice::<Head>(&text) {
        Ok(head) if head.shard != shard && !head.config_hash.is_empty() => {
            let say = |s: Option<Shard>| {
                s.map_or("a run over all articles (no --shard)".to_string(), |s| {
                    format!("--shard {s}")
                })
            };
            Err(Error::ShardMismatch {
                dir: dir.to_path_buf(),
                found: say(head.shard),
                wanted: say(shard),
            })
        }
        _ => Ok(()),
    }
}

/// Read every unit (in parallel) for the sources and content hashes of its articles
/// (those of `shard`, when there is one).
fn unit_keys(
    units: &[Unit],
    opts: &IngestOptions,
    shard: Option<Shard>,
    pool: &rayon::ThreadPool,
) -> Vec<UnitKeys> {
    pool.install(|| {
        units
            .par_iter()
            .map(|unit| match unit {
                Unit::Stdin => None,
                // Streamed: of a big JSONL file only the keys are held.
                Unit::File { .. } => Some(
                    ingest::stream_unit(unit, opts)
                        .filter(|item| owns(shard, item))
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

/// For `--duplicates skip` on a resumed folder: the duplicate index holding the `ok`
/// records kept from earlier runs at their input positions, so that an article this
/// run reads is compared with every article before it, whichever run did that one.
/// A kept line that cannot be read back is left out (the final pass over the file,
/// [`crate::relate::recompute`], relates the records whatever this index holds).
pub(super) fn seen_before(
    path: &std::path::Path,
    kept: &[WrittenLine],
    plan: &Plan,
    cfg: &crate::config::RelateConfig,
) -> crate::relate::dups::Duplicates<crate::output::resume::Position> {
    use std::io::{Read, Seek, SeekFrom};

    #[derive(serde::Deserialize)]
    struct Kept {
        id: String,
        status: crate::output::Status,
        #[serde(default)]
        fingerprint: Option<crate::output::record::Fingerprint>,
    }
    let mut seen = crate::relate::dups::Duplicates::new(cfg.duplicate_threshold);
    let Ok(mut file) = std::fs::File::open(path) else {
        return seen;
    };
    let mut buf = Vec::new();
    for line in kept {
        let Some(&pos) = plan.positions().get(&line.source) else {
            continue;
        };
        buf.clear();
        let read = file
            .seek(SeekFrom::Start(line.offset))
            .and_then(|_| (&mut file).take(line.len).read_to_end(&mut buf));
        if read.is_err() {
            continue;
        }
        let Ok(k) = serde_json::from_slice::<Kept>(&buf) else {
            continue;
        };
        let print = k.fingerprint.as_ref().and_then(crate::relate::decode);
        if let (crate::output::Status::Ok, Some((print, _))) = (k.status, print) {
            seen.observe(pos, &k.id, &print);
        }
    }
    seen
}
