//! Models: loading and running transformer models. Nothing here knows about news.

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
pub mod testing;
pub mod tiny;
pub mod tiny_hf;
pub mod transformer;

pub use encoder::{BertEncoder, Embedder, Embeddings, EncoderOptions};
