//! Output: the per-article JSONL record, the ordered writer, the resumable results
//! file and the run manifest.

pub mod manifest;
pub mod record;
pub mod results;
pub mod resume;
pub mod writer;

pub use manifest::Manifest;
pub use record::{Record, Status, SCHEMA_VERSION};
pub use writer::{OrderedWriter, Sink};
