//! Evaluation: ROUGE scores identical to Google's `rouge-score` 0.1.2 (with stemming),
//! bootstrap confidence intervals, and the lead-n baseline.

pub mod evaluate;
mod lcs;
pub mod rouge;
pub mod stats;

pub use crate::text::tokens::tokenize;
pub use rouge::{score, RougeScores, Score};
pub use stats::{bootstrap_mean, Interval};

/// The lead-n baseline: the first `n` sentences, one per line (the ROUGE-Lsum
/// convention). Line breaks inside a sentence become spaces so each sentence stays
/// one Lsum sentence; this changes no ROUGE-1/2/L token.
pub fn lead_n(sentences: &[&str], n: usize) -> String {
    sentences
        .iter()
        .take(n)
        .map(|s| s.replace(['\r', '\n'], " "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::lead_n;

    #[test]
    fn lead_n_takes_first_sentences() {
        let s = ["One.", "Two\nlines.", "Three."];
        assert_eq!(lead_n(&s, 2), "One.\nTwo lines.");
        assert_eq!(lead_n(&s, 10), "One.\nTwo lines.\nThree.");
        assert_eq!(lead_n(&s, 0), "");
        assert_eq!(lead_n(&[], 3), "");
    }
}
