//! brief: news articles in, grounded summaries and claims out — local transformer
//! models on the CPU, in parallel.
//!
//! Data flows one way through the stages, each a module that depends only on the
//! ones to its left (and on [`model`], which knows nothing about news):
//!
//! ```text
//! ingest ──► text ──────────► extract ─────────► generate ──────► ground ──────► output
//!   files     clean, segment    select, claims     LM summary       checked vs     JSONL +
//!   → Article  (+ offsets)       (+ encode)         and claims       the source     manifest
//! ```
//!
//! - [`ingest`]: discover inputs, decode and parse them into [`ingest::Article`]s;
//! - [`text`]: clean the body and cut it into sentences with byte offsets;
//! - [`extract`]: the extractive summary and check-worthy claims, over sentence
//!   embeddings; also the one claim builder;
//! - [`generate`]: a generative model writes a summary and atomic claims;
//! - [`ground`]: every generated sentence and claim checked against the article;
//! - [`output`]: records, the results file and its resume rules, the manifest;
//! - [`relate`]: near-duplicates and stories across the records of a batch, in input
//!   order, from compact fingerprints the records keep;
//! - [`model`]: where models are ([`model::registry`]) and how they run;
//! - [`pipeline`]: [`pipeline::Engine`] holds the loaded models and runs one article
//!   (or a group decoded together) through the stages into an [`output::Record`];
//! - [`run`]: a whole run — prepare, feed, drain, finish — on a pool of workers, in
//!   input order, resumable; [`bench`](mod@bench) measures it; [`eval`] scores its output;
//!   [`report`] makes it a page to read.
//!
//! One broken article is one error record with a stable [`ErrorKind`]; fatal
//! problems are [`Error`]s. The library prints nothing: warnings and progress go
//! back to the caller.
//!
//! ```no_run
//! use brief::config::Config;
//! use brief::pipeline::Engine;
//! use brief::run::{run, Output, RunOptions};
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

pub mod bench;
pub mod cancel;
pub mod config;
pub mod error;
pub mod eval;
pub mod extract;
pub mod generate;
pub mod ground;
pub mod ingest;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod relate;
pub mod report;
pub mod run;
pub mod text;

pub use cancel::Cancel;
pub use error::{ArticleError, Error, ErrorKind, Result};
