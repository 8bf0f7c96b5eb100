//! Word tokens as Google's `rouge-score` makes them with stemming on: one tokenizer
//! for ROUGE (`eval`) and for content-word overlap in grounding.

use super::porter;

/// Tokenises `text` as rouge-score does with stemming on: lowercase, split on anything
/// outside `[a-z0-9]` (so "café" gives "caf"), Porter-stem tokens longer than three
/// characters.
pub fn tokenize(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    words(&lower).map(stem_token).collect()
}

/// The share of `part`'s tokens that occur among `whole`'s (0 for no tokens): how
/// much of one text another one repeats.
pub fn share_in(part: &[String], whole: &[String]) -> f32 {
    if part.is_empty() {
        return 0.0;
    }
    part.iter().filter(|t| whole.contains(t)).count() as f32 / part.len() as f32
}

/// Maximal runs of `[a-z0-9]` in already lowercased text.
pub(crate) fn words(lower: &str) -> impl Iterator<Item = &str> {
    lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
}

/// A token as rouge-score keeps it: Porter-stemmed when longer than three characters.
pub(crate) fn stem_token(word: &str) -> String {
    // `word` is ASCII, so its byte length is its character count.
    if word.len() > 3 {
        porter::stem(word)
    } else {
        word.to_string()
    }
}
