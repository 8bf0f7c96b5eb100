//! Models: loading and running transformer models. Nothing here knows about news.
//!
//! `testing`, `tiny` and `tiny_hf` write tiny random-weight models for tests and
//! benches; they exist only in the crate's own unit tests and with the `fixtures`
//! feature (which `cargo test` and `cargo bench` turn on), not in a normal build.

pub mod chat;
pub mod encoder;
pub mod files;
pub mod generator;
pub mod gguf;
pub mod gguf_tokenizer;
pub mod hf;
pub mod int8;
pub mod registry;
pub mod sampling;
pub mod t5;
#[cfg(any(test, feature = "fixtures"))]
pub mod testing;
#[cfg(any(test, feature = "fixtures"))]
pub mod tiny;
#[cfg(any(test, feature = "fixtures"))]
pub mod tiny_hf;
pub mod transformer;

pub use encoder::{BertEncoder, Embedder, Embeddings, EncoderOptions, Limits};
