//! The run manifest, `OUT/manifest.json`: what ran, with which models and options, and
//! how it went. Enough to reproduce a run and to compare two.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::ingest::shard::Shard;
use crate::output::resume::Stale;

/// A model file used by the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Role: `encoder` or `generator`.
    pub role: String,
    /// Model name.
    pub name: String,
    /// Weights file.
    pub path: String,
    /// Full sha256 of the weights file.
    pub sha256: String,
}

/// Counts of what happened to the inputs. `articles`, `ok`, `failed` and
/// `failed_by_kind` describe the records the results hold for this run's inputs,
/// whether made now (`done`) or kept from an earlier run (`skipped`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Records for the inputs (ok + failed = skipped + done).
    pub articles: usize,
    /// Records of articles processed successfully.
    pub ok: usize,
    /// Error records.
    pub failed: usize,
    /// Failures by stable error kind.
    pub failed_by_kind: BTreeMap<String, usize>,
    /// Articles already in `results.jsonl` with the same content and configuration
    /// hashes, not processed again.
    pub skipped: usize,
    /// Articles processed (or failed) in this run.
    pub done: usize,
    /// Records of an earlier run that were dropped, by reason (their articles, when
    /// still among the inputs, are among `done`).
    #[serde(default)]
    pub stale: Stale,
    /// Hidden files and folders skipped.
    pub skipped_hidden: usize,
    /// Files with unknown extensions skipped.
    pub skipped_unknown_extension: usize,
    /// Entries that are not regular files, never opened, by kind: `fifo`, `socket`,
    /// `device`, `symlink` (links not followed), `other`. Absent when there were none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped_special: BTreeMap<String, usize>,
    /// Folders under the inputs holding brief output (this run's `-o`, or any folder
    /// with a brief `manifest.json`), not read. Absent when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_output_folders: usize,
    /// Articles read by a `--shard K/N` run and left to the other shards (no record
    /// here). Only what this run read: a resumed shard run that reads no file again
    /// counts 0. Absent when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub out_of_shard: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Counts {
    /// [`Counts::skipped_special`] from what discovery passed over.
    pub fn special_by_kind(s: &crate::ingest::Skipped) -> BTreeMap<String, usize> {
        let other = s.other - (s.fifo + s.socket + s.device + s.symlink).min(s.other);
        [
            ("fifo", s.fifo),
            ("socket", s.socket),
            ("device", s.device),
            ("symlink", s.symlink),
            ("other", other),
        ]
        .into_iter()
        .filter(|&(_, n)| n > 0)
        .map(|(k, n)| (k.to_string(), n))
        .collect()
    }
}

/// One output folder merged by `brief merge`, as its manifest described it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedPart {
    /// The folder, as given to `brief merge`.
    pub output: String,
    /// Its shard (absent for a run over all articles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// When it started, RFC 3339 UTC.
    pub started: String,
    /// Records in its results file.
    pub records: usize,
    /// Of those, the records the merged file took (the others lost to a duplicate).
    pub used: usize,
    /// Its wall time, seconds.
    pub wall_seconds: f64,
    /// Its article-processing time, seconds.
    pub processing_seconds: f64,
}

/// The manifest document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// brief's version.
    pub brief_version: String,
    /// Record layout version of `results.jsonl`.
    pub schema_version: u32,
    /// Start time, RFC 3339 UTC.
    pub started: String,
    /// Inputs as given.
    pub inputs: Vec<String>,
    /// The share of the articles this run took (`--shard K/N`); absent for a run over
    /// all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Written by `brief merge`: the shard outputs merged, in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<MergedPart>,
    /// Effective configuration.
    pub config: Config,
    /// BLAKE3 of the options that change output, the models and the schema version;
    /// every record made by this run carries it.
    pub config_hash: String,
    /// The run stopped before every article was done (a signal, or it is still running
    /// or was killed: the manifest is first written with `true`). Run again to finish.
    pub interrupted: bool,
    /// Problems with the run itself (a repaired results file, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Worker threads actually used.
    pub threads: usize,
    /// Model files with hashes.
    pub models: Vec<ModelFile>,
    /// Outcome counts.
    pub counts: Counts,
    /// Wall time of the whole run in seconds (model loading included).
    pub wall_seconds: f64,
    /// Wall time of article processing only (after models are loaded), in seconds.
    pub processing_seconds: f64,
    /// Articles per second over `processing_seconds`.
    pub docs_per_second: f64,
    /// Sum over articles of the time spent in each stage, milliseconds.
    pub stage_ms: BTreeMap<String, u64>,
}
