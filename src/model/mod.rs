//! Models: loading and running transformer models. Nothing here knows about news.

pub mod encoder;
pub mod files;
pub mod testing;

pub use encoder::{BertEncoder, Embedder, Embeddings, EncoderOptions};
