//! Ingest: find article files under the inputs and read them into [`Article`] records.
//!
//! Formats: `.txt`, `.md`, `.html`/`.htm`, `.json` (one article or an array of them),
//! `.jsonl` (one per line), and `-` (JSONL on stdin). Discovery ([`discover`]) is cheap
//! and sorted, so runs are deterministic; reading ([`read_unit`]) happens later, in
//! parallel, one [`Unit`] at a time. A unit that cannot be read becomes a [`Failure`]
//! (an error record with a stable kind) and never stops the run.
//!
//! Submodules, one job each: `discover` (walk the inputs), `read` (size limit, read,
//! dispatch by format), `decode` (bytes to text), `markdown`, `html`, `nesting` (HTML
//! depth guard), `json` (JSON and JSONL), `record` (JSON field names to [`Article`]),
//! `sink` (plain-text builder).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{ArticleError, ErrorKind};

mod decode;
mod discover;
mod html;
mod json;
mod markdown;
mod nesting;
mod read;
mod record;
mod sink;

pub use discover::discover;
pub use json::read_jsonl;
pub use read::{read_bytes, read_unit};

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

impl Article {
    /// An article with only a body: the id is [`content_id`] of the body.
    pub fn from_body(source: impl Into<String>, body: String) -> Self {
        Article {
            id: content_id(&body),
            source: source.into(),
            title: None,
            byline: None,
            published: None,
            url: None,
            body,
        }
    }

    /// BLAKE3 (64 hex digits) of everything ingested for this article: id, headline,
    /// byline, date, URL and body (not the source: that is the article's identity).
    /// A resumed run reprocesses an article whose hash changed.
    pub fn content_hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"article\0");
        for field in [
            Some(self.id.as_str()),
            self.title.as_deref(),
            self.byline.as_deref(),
            self.published.as_deref(),
            self.url.as_deref(),
            Some(self.body.as_str()),
        ] {
            hash_field(&mut h, field);
        }
        h.finalize().to_hex().to_string()
    }
}

/// Feed one optional field to `h` unambiguously: a presence tag, then the length, then
/// the bytes (so no two different field lists hash the same byte stream).
fn hash_field(h: &mut blake3::Hasher, field: Option<&str>) {
    match field {
        None => {
            h.update(&[0]);
        }
        Some(s) => {
            h.update(&[1]);
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
    }
}

/// What a format converter pulled out of one document, before it becomes an [`Article`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Extracted {
    title: Option<String>,
    byline: Option<String>,
    published: Option<String>,
    url: Option<String>,
    body: String,
}

impl Extracted {
    /// The article, with `id` as its id or, if there is none, the body's [`content_id`].
    fn into_article(self, source: String, id: Option<String>) -> Article {
        Article {
            id: id.unwrap_or_else(|| content_id(&self.body)),
            source,
            title: self.title,
            byline: self.byline,
            published: self.published,
            url: self.url,
            body: self.body,
        }
    }
}

/// Limits and switches for discovery and reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOptions {
    /// Largest article accepted, in bytes: a whole file for `.txt`/`.md`/`.html`/`.json`,
    /// one line for `.jsonl` and stdin. Larger inputs fail with kind `too_large` without
    /// being read into memory. Default 16 MiB.
    pub max_article_bytes: u64,
    /// Follow symbolic links while walking folders (loops are detected and reported).
    /// Default `true`.
    pub follow_links: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_article_bytes: 16 * 1024 * 1024,
            follow_links: true,
        }
    }
}

/// File format, chosen from the file extension (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `.txt`, `.text`: the text as is.
    Txt,
    /// `.md`, `.markdown`: converted to plain text.
    Markdown,
    /// `.html`, `.htm`, `.xhtml`: main text extracted.
    Html,
    /// `.json`: one article object, or an array of them.
    Json,
    /// `.jsonl`, `.ndjson`: one article object per line.
    Jsonl,
}

impl Format {
    /// The format for a file extension (without the dot), or `None` if it is not one we read.
    pub fn from_extension(ext: &str) -> Option<Format> {
        let ext = ext.to_ascii_lowercase();
        Some(match ext.as_str() {
            "txt" | "text" => Format::Txt,
            "md" | "markdown" => Format::Markdown,
            "html" | "htm" | "xhtml" => Format::Html,
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::Jsonl,
            _ => return None,
        })
    }

    /// The format of a path, from its extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Format::from_extension)
    }
}

/// One thing to read: a file, or JSONL on standard input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unit {
    /// A file and the format it is read as.
    File {
        /// The path as given or walked (relative if the input was relative).
        path: PathBuf,
        /// How to read it.
        format: Format,
    },
    /// JSONL on standard input (the input `-`).
    Stdin,
}

impl Unit {
    /// The source string for records from this unit: the path, or `-` for stdin.
    pub fn source(&self) -> String {
        match self {
            Unit::File { path, .. } => path.to_string_lossy().into_owned(),
            Unit::Stdin => "-".to_string(),
        }
    }
}

/// Counts of entries passed over while walking folders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Hidden files and folders (name starts with `.`); a hidden folder counts once and
    /// its contents are not looked at.
    pub hidden: usize,
    /// Files whose extension is not a known [`Format`].
    pub unknown_extension: usize,
    /// Entries that are neither files nor folders: sockets, pipes, devices, and symbolic
    /// links when `follow_links` is off.
    pub other: usize,
}

/// What [`discover`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    /// Units to read, in a deterministic order (inputs in the order given; folder
    /// contents sorted by file name).
    pub units: Vec<Unit>,
    /// What was passed over.
    pub skipped: Skipped,
    /// Entries that could not be walked (symlink loop, unreadable folder): error records.
    pub failures: Vec<Failure>,
}

/// A unit, line or array element that could not be read: becomes an error record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Stable id: [`content_id`] of `source`.
    pub id: String,
    /// Where: a path, `path:LINE`, `path#INDEX` or `-:LINE`.
    pub source: String,
    /// What went wrong, with a stable kind.
    pub error: ArticleError,
}

impl Failure {
    /// A failure for `source`; its id is derived from the source string.
    pub fn new(source: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        let source = source.into();
        Failure {
            id: content_id(&source),
            source,
            error: ArticleError::new(kind, message),
        }
    }

    /// A failure for `source` from an existing article error.
    pub fn from_error(source: impl Into<String>, error: ArticleError) -> Self {
        let source = source.into();
        Failure {
            id: content_id(&source),
            source,
            error,
        }
    }
}

impl Failure {
    /// BLAKE3 (64 hex digits) of the failure (kind and message): what "was ingested"
    /// when nothing could be. A fixed file then reads differently and is redone.
    pub fn content_hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"failure\0");
        hash_field(&mut h, Some(self.error.kind.as_str()));
        hash_field(&mut h, Some(&self.error.message));
        h.finalize().to_hex().to_string()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.error)
    }
}

impl std::error::Error for Failure {}

/// Stable content id: the first 16 hex characters (64 bits) of the BLAKE3 hash of
/// `body`'s UTF-8 bytes.
///
/// For articles it is computed over the *decoded* body as stored in [`Article::body`]
/// (after format conversion, before cleaning), so the same text saved as UTF-8 or UTF-16
/// gets the same id. Failures use it over their source string.
pub fn content_id(body: &str) -> String {
    let hash = blake3::hash(body.as_bytes());
    let mut hex = hash.to_hex().to_string();
    hex.truncate(16);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_id_is_stable_and_short() {
        // Pinned value: a change here changes every record id ever written.
        assert_eq!(content_id(""), "af1349b9f5f9a1a6");
        assert_eq!(content_id("hello"), content_id("hello"));
        assert_ne!(content_id("hello"), content_id("hello "));
        assert_eq!(content_id("x").len(), 16);
    }

    #[test]
    fn format_from_extension_is_case_insensitive() {
        assert_eq!(Format::from_path(Path::new("a/B.TXT")), Some(Format::Txt));
        assert_eq!(Format::from_path(Path::new("x.Md")), Some(Format::Markdown));
        assert_eq!(Format::from_path(Path::new("x.htm")), Some(Format::Html));
        assert_eq!(
            Format::from_path(Path::new("x.ndjson")),
            Some(Format::Jsonl)
        );
        assert_eq!(Format::from_path(Path::new("x.json")), Some(Format::Json));
        assert_eq!(Format::from_path(Path::new("x.pdf")), None);
        assert_eq!(Format::from_path(Path::new("README")), None);
    }

    #[test]
    fn content_hash_covers_every_ingested_field() {
        let a = Article::from_body("a.txt", "Body.".into());
        let h = a.content_hash();
        assert_eq!(h.len(), 64);
        assert_eq!(h, a.clone().content_hash(), "stable");
        // The source is the identity, not the content.
        let moved = Article {
            source: "b.txt".into(),
            ..a.clone()
        };
        assert_eq!(moved.content_hash(), h);
        let variants = [
            Article {
                body: "Body!".into(),
                ..a.clone()
            },
            Article {
                id: "x".into(),
                ..a.clone()
            },
            Article {
                title: Some("T".into()),
                ..a.clone()
            },
            Article {
                byline: Some("B".into()),
                ..a.clone()
            },
            Article {
                published: Some("2020".into()),
                ..a.clone()
            },
            Article {
                url: Some("u".into()),
                ..a.clone()
            },
            // An empty field is not an absent one.
            Article {
                title: Some(String::new()),
                ..a.clone()
            },
        ];
        let mut seen = std::collections::HashSet::from([h]);
        for v in variants {
            assert!(seen.insert(v.content_hash()), "{v:?}");
        }
        // Field boundaries are unambiguous.
        let ab = Article {
            title: Some("ab".into()),
            byline: Some("c".into()),
            ..a.clone()
        };
        let ac = Article {
            title: Some("a".into()),
            byline: Some("bc".into()),
            ..a.clone()
        };
        assert_ne!(ab.content_hash(), ac.content_hash());
        let f = Failure::new("a.txt", ErrorKind::Empty, "x");
        assert_ne!(
            f.content_hash(),
            Failure::new("a.txt", ErrorKind::Empty, "y").content_hash()
        );
        assert_ne!(
            f.content_hash(),
            Failure::new("a.txt", ErrorKind::Binary, "x").content_hash()
        );
    }

    #[test]
    fn failure_id_comes_from_source() {
        let a = Failure::new("a.txt", ErrorKind::Empty, "x");
        let b = Failure::new("a.txt", ErrorKind::Binary, "y");
        assert_eq!(a.id, b.id);
        assert_eq!(a.id, content_id("a.txt"));
        assert_eq!(a.to_string(), "a.txt: empty: x");
    }
}
