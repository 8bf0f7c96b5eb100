//! brief: news articles in, grounded summaries and claims out — local transformer
//! models on the CPU, in parallel.
//!
//! Data flows one way through the stages, each a module that depends only on the
//! ones before it (and on [`model`], which knows nothing about news):
//!
//! ```text
//! ingest ──► text::clean ──► text::segment ──► model (encode) ──► extract::select
//!   files      body, metadata   sentences+offsets   embeddings        key sentences
//!        ──► extract::claims ──► extract::abstractive + extract::ground ──► output
//!            check-worthy claims   LM summary/claims checked vs source      JSONL + manifest
//! ```
//!
//! [`pipeline::Engine`] holds the loaded models and processes one
//! [`ingest::Article`] into an [`output::Record`]; [`pipeline::run`] drives a whole
//! folder on a rayon pool and writes records in input order (to a results folder that a
//! later run resumes, see [`batch`]). One broken article is one
//! error record with a stable [`ErrorKind`]; fatal problems are [`Error`]s.
//!
//! ```no_run
//! use brief::config::Config;
//! use brief::pipeline::{run, Engine, Output, RunOptions};
//!
//! let engine = Engine::load(&Config::default())?;
//! let report = run(&engine, &RunOptions {
//!     inputs: vec!["corpus/articles".into()],
//!     output: Output::Dir("out".into()),
//!     ..RunOptions::default()
//! })?;
//! println!("{} articles/s", report.manifest.docs_per_second);
//! # Ok::<(), brief::Error>(())
//! ```

pub mod batch;
pub mod bench;
pub mod config;
pub mod error;
pub mod eval;
pub mod extract;
pub mod ingest;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod text;

pub use error::{ArticleError, Error, ErrorKind, Result};
