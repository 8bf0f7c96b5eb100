//! Sentence segmentation with byte offsets into the cleaned text.
//! (skeleton: replaced by the real implementation)

use serde::{Deserialize, Serialize};

/// A sentence as a half-open byte range `[start, end)` into the cleaned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// Split `text` into sentences.
pub fn segment(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices(". ") {
        out.push(Span { start, end: i + 1 });
        start = i + 2;
    }
    if start < text.len() {
        out.push(Span { start, end: text.len() });
    }
    out
}
