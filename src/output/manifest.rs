//! The run manifest, `OUT/manifest.json`: what ran, with which models and options, and
//! how it went. Enough to reproduce a run and to compare two.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Config;

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

/// Counts of what happened to the inputs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Records written (ok + failed).
    pub articles: usize,
    /// Articles processed.
    pub ok: usize,
    /// Error records.
    pub failed: usize,
    /// Failures by stable error kind.
    pub failed_by_kind: BTreeMap<String, usize>,
    /// Hidden files and folders skipped.
    pub skipped_hidden: usize,
    /// Files with unknown extensions skipped.
    pub skipped_unknown_extension: usize,
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
    /// Effective configuration.
    pub config: Config,
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
