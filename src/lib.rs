//! brief: news articles in, grounded summaries and claims out.

pub mod error;
pub mod eval;
pub mod ingest;
pub mod model;
pub mod text;

pub use error::{ArticleError, Error, ErrorKind, Result};
pub mod config;
pub mod extract;
pub mod output;
pub mod pipeline;
