//! Text stages: cleaning and sentence segmentation. Pure functions over strings.

pub mod clean;
pub mod segment;

pub use clean::{clean, Cleaned};
pub use segment::{segment, Span};
