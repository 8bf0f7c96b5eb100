//! Ingest: find article files under the inputs and read them into [`Article`] records.
//!
//! Formats: `.txt`, `.md`, `.html`/`.htm`, `.json` (one article), `.jsonl` (one per line),
//! and `-` (JSONL on stdin). Discovery is cheap and sorted, so runs are deterministic;
//! reading happens later, in parallel, one [`Unit`] at a time.

/// One news article as read from its source, before cleaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Stable id: the record's own `id` if it has one, otherwise a content hash.
    pub id: String,
    /// Where it came from: a path, or `path:LINE` for a JSONL line (`-:LINE` for stdin).
    pub source: String,
    /// Headline, when the format carries one (JSON field, HTML `<title>`/`<h1>`).
    pub title: Option<String>,
    /// Byline, when the format carries one.
    pub byline: Option<String>,
    /// Publication date as given.
    pub published: Option<String>,
    /// Canonical URL as given.
    pub url: Option<String>,
    /// The article text (decoded, otherwise raw: cleaning happens in `text::clean`).
    pub body: String,
}
