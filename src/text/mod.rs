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

/// Segment a text the way the pipeline does (after cleaning unless `raw`): the text
/// the spans index into, and the spans.
pub fn segment_text(body: &str, raw: bool) -> (String, Vec<Span>) {
    let text = if raw {
        body.to_string()
    } else {
        clean(body, None).text
    };
    let spans = segment(&text);
    (text, spans)
}
