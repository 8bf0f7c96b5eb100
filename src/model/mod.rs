//! Models: loading and running transformer models. Nothing here knows about news.

pub mod encoder;

pub use encoder::{Embedder, Embeddings};
