//! Text stages: cleaning and sentence segmentation. Pure functions over strings.
//!
//! [`clean()`] turns a raw article body into normalised text (plus headline, byline,
//! what was removed, and an [`OffsetMap`] back to the input); [`segment()`] splits
//! text into sentence [`Span`]s. Both are linear-time and never panic on any input.
//! [`tokenize()`] gives the stemmed word tokens ROUGE and grounding compare.

mod abbrev;
mod boilerplate;
mod boundary;
pub mod clean;
mod lines;
mod normalize;
pub mod offset_map;
pub mod porter;
pub mod segment;
mod spacing;
#[cfg(test)]
mod test_corpus;
pub mod tokens;

pub use clean::{clean, Cleaned, Removed, RemovedKind};
pub use offset_map::OffsetMap;
pub use segment::{segment, Span, MAX_SENTENCE_CHARS};
pub use tokens::tokenize;

/// Whether `s` ends as a sentence does (terminal punctuation, a closing quote or
/// bracket), not cut off or a heading.
pub fn ends_sentence(s: &str) -> bool {
    s.trim_end()
        .ends_with(['.', '!', '?', '"', '”', '’', '\'', ')', '…', '。'])
}

/// Whether `s` leaves a double quotation open (an odd number of `"`, or more `“`
/// than `”`).
pub fn open_quote(s: &str) -> bool {
    s.matches('"').count() % 2 == 1 || s.matches('“').count() > s.matches('”').count()
}
