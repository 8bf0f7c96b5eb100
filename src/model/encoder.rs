//! Sentence encoder (skeleton: replaced by the BERT implementation).

use crate::error::Result;

/// Row-major matrix of L2-normalised sentence embeddings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Embeddings {
    /// Width of each row.
    pub dim: usize,
    /// `len() * dim` values.
    pub data: Vec<f32>,
}

impl Embeddings {
    /// Number of rows.
    pub fn len(&self) -> usize {
        if self.dim == 0 {
            0
        } else {
            self.data.len() / self.dim
        }
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
    /// Dot product of rows `i` and `j` (cosine similarity, rows being unit length).
    pub fn dot(&self, i: usize, j: usize) -> f32 {
        self.row(i).iter().zip(self.row(j)).map(|(a, b)| a * b).sum()
    }
}

/// Anything that turns sentences into unit-length vectors. Shared across threads.
pub trait Embedder: Send + Sync {
    /// Embed a batch of texts; row `i` belongs to `texts[i]`.
    fn embed(&self, texts: &[&str]) -> Result<Embeddings>;
    /// Name and content hash prefix, e.g. `all-MiniLM-L6-v2@53aa5117`.
    fn id(&self) -> String;
}
