//! `brief merge`: join the output folders of shard runs (`brief run --shard K/N`) into
//! one `results.jsonl` and one `manifest.json`, as one run over all the articles
//! would have written them.
//!
//! - **Checked first.** Every folder must hold a finished brief run (a manifest that
//!   is not `interrupted`). Their `config_hash`es (options that change output, model
//!   hashes, schema version), models and inputs must be equal: otherwise the merge is
//!   refused with [`Error::MergeMismatch`] naming the first field that differs. A
//!   different brief version only warns, as resuming does.
//! - **Order.** Records are sorted by [`input_order`] of their source among the
//!   inputs, the order a single run writes, so merging the shards of a run gives its
//!   records byte for byte (lines are copied, never re-serialised).
//! - **Duplicates.** One record per source. When two folders hold the same source
//!   (shards that overlapped by mistake, a shard run twice), an `ok` record wins over
//!   an error record (an error is usually transient or a bad machine; an `ok` record
//!   is a real result); between two of the same status, the one from the folder whose
//!   run finished later (its manifest's start plus wall time), then the one given
//!   later on the command line — a rerun supersedes. Counted in a warning.
//! - **Damage.** A torn last line (a run killed while writing it, never resumed) is
//!   skipped with a warning; any other line that is not a record is an error naming
//!   the file and line.
//! - **Manifest.** `articles`, `ok`, `failed` by kind are recounted from the merged
//!   records; work counters (`done`, `skipped`, `stale`), stage times, processing time
//!   and threads are summed; discovery counts (hidden, unknown extension, …) are the
//!   first folder's (every shard walks the same inputs). `wall_seconds` spans the
//!   earliest start to the latest finish; `docs_per_second` is the articles done over
//!   the summed processing time. `merged` lists the folders.
//!
//! - **Relations.** Near-duplicates and stories are recomputed over the merged file in
//!   input order from the records' fingerprints ([`crate::relate::recompute`]), so they
//!   are those of one run; `stories.jsonl` is written beside it.
//!
//! Only an index (source, folder, offset, length) is held in memory; record lines are
//! streamed from the shard files into a temporary file renamed into place.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};
use crate::ingest::input_order;
use crate::output::manifest::{Counts, MergedPart};
use crate::output::results::{self, LineReader};
use crate::output::writer::write_atomic;
use crate::output::{Manifest, Status};

use super::prepare::lock_output;

/// Options of one `brief merge`.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Output folders of `brief run` (shards of one run), in the order given.
    pub inputs: Vec<PathBuf>,
    /// The folder to write `results.jsonl` and `manifest.json` to.
    pub output: PathBuf,
}

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeReport {
    /// The merged manifest (also written to `OUT/manifest.json`).
    pub manifest: Manifest,
    /// Things a person should know (duplicates, missing shards, torn lines).
    pub warnings: Vec<String>,
}

/// One record line of a shard's results file.
struct Entry {
    part: usize,
    offset: u64,
    len: u64,
    status: Status,
    kind: Option<String>,
}

/// Merge `opts.inputs` into `opts.output` (see the module docs).
pub fn merge(opts: &MergeOptions) -> Result<MergeReport> {
    if opts.inputs.is_empty() {
        return Err(Error::Config(
            "brief merge needs at least one output folder".into(),
        ));
    }
    let mut warnings = Vec::new();
    let manifests = opts
        .inputs
        .iter()
        .map(|dir| read_manifest(dir))
        .collect::<Result<Vec<_>>>()?;
    check_compatible(&opts.inputs, &manifests, &mut warnings)?;
    check_coverage(&manifests, &mut warnings);
    let out = &opts.output;
    for dir in &opts.inputs {
        if same_folder(dir, out) {
            return Err(Error::Input {
                path: out.clone(),
                message: "is also one of the folders to merge: write the merge elsewhere".into(),
            });
        }
    }
    if out.exists() && !out.is_dir() {
        return Err(Error::Input {
            path: out.clone(),
            message: "exists and is not a folder: -o takes a folder".into(),
        });
    }
    let _lock = lock_output(out)?;
    let out_results = out.join("results.jsonl");
    results::refuse_foreign(&out_results)?;

    // Index every line, keeping the winner per source.
    let finished: Vec<SystemTime> = manifests.iter().map(finish_time).collect();
    let paths: Vec<PathBuf> = opts
        .inputs
        .iter()
        .map(|d| d.join("results.jsonl"))
        .collect();
    let mut best: HashMap<String, Entry> = HashMap::new();
    let mut records = vec![0usize; paths.len()];
    let mut duplicates = 0usize;
    for (part, path) in paths.iter().enumerate() {
        let mut lines = LineReader::open(path)?;
        let mut offset = 0u64;
        while let Some(line) = lines.next_line()? {
            let len = line.bytes.len() as u64;
            let at = offset;
            offset += len;
            if line.is_blank() {
                continue;
            }
            let Some(parsed) = line
                .complete
                .then(|| results::parse_line(&line.bytes[..line.bytes.len() - 1], at, len))
                .flatten()
            else {
                if !line.complete {
                    warnings.push(format!(
                        "{}: skipped an incomplete last line ({len} bytes) left by an interrupted \
                         run; rerun that shard's command to redo its article",
                        path.display()
                    ));
                    continue;
                }
                return Err(Error::Foreign {
                    path: path.clone(),
                    message: format!("line {}: not a brief record", line.number),
                });
            };
            records[part] += 1;
            let entry = Entry {
                part,
                offset: at,
                len,
                status: parsed.status,
                kind: parsed.kind.map(|k| k.as_str().to_string()),
            };
            match best.get_mut(&parsed.source) {
                None => {
                    best.insert(parsed.source, entry);
                }
                Some(old) => {
                    duplicates += 1;
                    if wins(&entry, old, &finished) {
                        *old = entry;
                    }
                }
            }
        }
    }
    if duplicates > 0 {
        warnings.push(format!(
            "{duplicates} record(s) appear in more than one folder (overlapping shards?): kept one \
             per article, an ok record over an error, else the one from the run that finished later"
        ));
    }

    let inputs: Vec<PathBuf> = manifests[0].inputs.iter().map(PathBuf::from).collect();
    let mut order: Vec<(crate::ingest::InputOrder, String, Entry)> = best
        .into_iter()
        .map(|(source, e)| (input_order(&inputs, &source), source, e))
        .collect();
    // The source breaks ties between sources no input holds (sorted by path).
    order.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));

    let mut counts = Counts::default();
    let mut used = vec![0usize; paths.len()];
    for (_, _, e) in &order {
        used[e.part] += 1;
        counts.articles += 1;
        match e.status {
            Status::Ok => counts.ok += 1,
            Status::Error => {
                counts.failed += 1;
                let kind = e.kind.clone().unwrap_or_else(|| "internal".into());
                *counts.failed_by_kind.entry(kind).or_default() += 1;
            }
        }
    }
    let sources: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let ranges: Vec<(usize, u64, u64)> = order
        .iter()
        .map(|(_, _, e)| (e.part, e.offset, e.len))
        .collect();
    results::write_ranges(&out_results, &sources, &ranges)?;
    // Each shard related only its own articles: relate them all, in input order.
    crate::relate::recompute(&out_results, &manifests[0].config.relate)?;

    let manifest = merged_manifest(
        opts, manifests, counts, &records, &used, &finished, &warnings,
    );
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Serialize {
        what: "manifest",
        message: e.to_string(),
    })?;
    write_atomic(&out.join("manifest.json"), &json)?;
    Ok(MergeReport { manifest, warnings })
}

/// Whether `new` replaces `old` for the same source (see the module docs).
fn wins(new: &Entry, old: &Entry, finished: &[SystemTime]) -> bool {
    let rank = |e: &Entry| (e.status == Status::Ok, finished[e.part], e.part);
    rank(new) >= rank(old)
}

fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let not_ours = |why: String| Error::Foreign {
        path: path.clone(),
        message: format!(
            "{why}: {} is not the output folder of a finished brief run",
            dir.display()
        ),
    };
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not_ours("missing".into()))
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| not_ours(format!("not a brief manifest ({e})")))?;
    if manifest.interrupted {
        return Err(Error::Input {
            path: dir.to_path_buf(),
            message: "holds an unfinished run (its manifest says interrupted): run its command \
                      again to finish it, then merge"
                .into(),
        });
    }
    Ok(manifest)
}

/// Refuse manifests that are not of one run; warn about a brief version that differs.
fn check_compatible(
    dirs: &[PathBuf],
    manifests: &[Manifest],
    warnings: &mut Vec<String>,
) -> Result<()> {
    let first = &manifests[0];
    for (dir, m) in dirs.iter().zip(manifests).skip(1) {
        let mismatch = |field: String, left: String, right: String| Error::MergeMismatch {
            a: dirs[0].clone(),
            b: dir.clone(),
            field,
            left,
            right,
        };
        if m.schema_version != first.schema_version {
            return Err(mismatch(
                "schema_version".into(),
                first.schema_version.to_string(),
                m.schema_version.to_string(),
            ));
        }
        if m.inputs != first.inputs {
            return Err(mismatch(
                "inputs".into(),
                format!("{:?}", first.inputs),
                format!("{:?}", m.inputs),
            ));
        }
        let ids = |m: &Manifest| -> BTreeMap<(String, String), String> {
            m.models
                .iter()
                .map(|f| ((f.role.clone(), f.name.clone()), f.sha256.clone()))
                .collect()
        };
        let (a, b) = (ids(first), ids(m));
        for key in a.keys().chain(b.keys()) {
            let (x, y) = (a.get(key), b.get(key));
            if x != y {
                let show =
                    |v: Option<&String>| v.map_or("absent".into(), |h| format!("sha256 {h}"));
                return Err(mismatch(format!("models.{}", key.0), show(x), show(y)));
            }
        }
        if m.config_hash != first.config_hash {
            let (field, left, right) = config_difference(first, m).unwrap_or_else(|| {
                (
                    "config_hash".into(),
                    first.config_hash.clone(),
                    m.config_hash.clone(),
                )
            });
            return Err(mismatch(field, left, right));
        }
        if m.brief_version != first.brief_version {
            warnings.push(format!(
                "{} was written by brief {}, {} by brief {}: same options and models, merged anyway",
                dirs[0].display(),
                first.brief_version,
                dir.display(),
                m.brief_version
            ));
        }
    }
    Ok(())
}

/// The first option that differs between two manifests' configurations, ignoring
/// those that never change output (threads, batch size, models folder).
fn config_difference(a: &Manifest, b: &Manifest) -> Option<(String, String, String)> {
    let json = |m: &Manifest| {
        let mut v = serde_json::to_value(&m.config).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            for k in ["threads", "batch", "models_dir"] {
                o.remove(k);
            }
        }
        v
    };
    first_difference("config", &json(a), &json(b))
}

fn first_difference(
    at: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
) -> Option<(String, String, String)> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let null = Value::Null;
                first_difference(
                    &format!("{at}.{k}"),
                    x.get(k).unwrap_or(&null),
                    y.get(k).unwrap_or(&null),
                )
            })
        }
        _ if a != b => Some((at.to_string(), a.to_string(), b.to_string())),
        _ => None,
    }
}

/// Warn when the folders are shards of one `N` and some shard is missing, or when
/// they mix shard counts.
fn check_coverage(manifests: &[Manifest], warnings: &mut Vec<String>) {
    if manifests.iter().any(|m| m.shard.is_none()) {
        return;
    }
    let counts: BTreeSet<u64> = manifests
        .iter()
        .filter_map(|m| m.shard)
        .map(|s| s.count)
        .collect();
    if let [n] = counts.iter().copied().collect::<Vec<_>>()[..] {
        let have: BTreeSet<u64> = manifests
            .iter()
            .filter_map(|m| m.shard)
            .map(|s| s.index)
            .collect();
        let missing: Vec<String> = (0..n)
            .filter(|k| !have.contains(k))
            .map(|k| format!("{k}/{n}"))
            .collect();
        if !missing.is_empty() {
            warnings.push(format!(
                "shard(s) {} not among the folders: their articles are missing from the merge",
                missing.join(", ")
            ));
        }
    } else {
        warnings.push(format!(
            "the folders were made with different shard counts ({}): overlapping articles are \
             de-duplicated, but some may be missing",
            counts
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

fn finish_time(m: &Manifest) -> SystemTime {
    let start = humantime::parse_rfc3339(&m.started).unwrap_or(SystemTime::UNIX_EPOCH);
    start + Duration::from_secs_f64(m.wall_seconds.max(0.0))
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The manifest of the merged output (see the module docs for each field).
fn merged_manifest(
    opts: &MergeOptions,
    manifests: Vec<Manifest>,
    counts: Counts,
    records: &[usize],
    used: &[usize],
    finished: &[SystemTime],
    warnings: &[String],
) -> Manifest {
    let parts: Vec<MergedPart> = opts
        .inputs
        .iter()
        .zip(&manifests)
        .enumerate()
        .map(|(i, (dir, m))| MergedPart {
            output: dir.display().to_string(),
            shard: m.shard,
            started: m.started.clone(),
            records: records[i],
            used: used[i],
            wall_seconds: m.wall_seconds,
            processing_seconds: m.processing_seconds,
        })
        .collect();
    let started = manifests
        .iter()
        .map(|m| humantime::parse_rfc3339(&m.started).unwrap_or(SystemTime::UNIX_EPOCH))
        .min()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let end = finished.iter().max().copied().unwrap_or(started);
    let mut merged = manifests[0].clone();
    let mut all_warnings: Vec<String> = Vec::new();
    let mut counts = Counts {
        skipped_hidden: merged.counts.skipped_hidden,
        skipped_unknown_extension: merged.counts.skipped_unknown_extension,
        skipped_special: merged.counts.skipped_special.clone(),
        skipped_output_folders: merged.counts.skipped_output_folders,
        ..counts
    };
    let mut stage_ms: BTreeMap<String, u64> = BTreeMap::new();
    let (mut threads, mut processing) = (0, 0.0);
    for (dir, m) in opts.inputs.iter().zip(&manifests) {
        counts.done += m.counts.done;
        counts.skipped += m.counts.skipped;
        counts.stale += m.counts.stale;
        for (k, v) in &m.stage_ms {
            *stage_ms.entry(k.clone()).or_default() += v;
        }
        threads += m.threads;
        processing += m.processing_seconds;
        all_warnings.extend(m.warnings.iter().map(|w| format!("{}: {w}", dir.display())));
    }
    all_warnings.extend(warnings.iter().cloned());
    merged.started = humantime::format_rfc3339_seconds(started).to_string();
    merged.shard = None;
    merged.merged = parts;
    merged.interrupted = false;
    merged.warnings = all_warnings;
    merged.threads = threads;
    merged.counts = counts;
    merged.wall_seconds = end
        .duration_since(started)
        .unwrap_or_default()
        .as_secs_f64();
    merged.processing_seconds = processing;
    merged.docs_per_second = if processing > 0.0 {
        merged.counts.done as f64 / processing
    } else {
        0.0
    };
    merged.stage_ms = stage_ms;
    merged
}
