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
//! `sink` (plain-text builder), `shard` (which articles a `--shard K/N` run takes),
//! `order` (a record's place in the input order, from its source).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{ArticleError, ErrorKind};

mod decode;
mod discover;
mod html;
mod json;
mod markdown;
mod nesting;
mod order;
mod read;
mod record;
pub mod shard;
mod sink;

pub use discover::{discover, discover_excluding};
pub use json::{read_jsonl, JsonlItems};
pub use order::{input_order, InputOrder};
pub use read::{read_bytes, read_unit, stream_unit};

/// One news article as read from its source, before cleaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Stable id: the record's own `id` if it has one, otherwise a content hash.
    pub id: String,
    /// Where it came from: a path, or `path:LINE` for a JSONL line (`-:LINE` for stdin).
    /// For a path that is not valid UTF-8, its lossy text (see [`Article::source_bytes`]).
    pub source: String,
    /// Only for a path that is not valid UTF-8: base64 of the source's real bytes (the
    /// path's bytes, then the `:LINE` or `#INDEX` suffix), so that `source` loses
    /// nothing. `None` for every UTF-8 source.
    pub source_bytes: Option<String>,
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
            source_bytes: None,
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

    /// What resuming knows the article by: [`source_key`] of its source.
    pub fn key(&self) -> String {
        source_key(&self.source, self.source_bytes.as_deref())
    }
}

/// The identity of a source for resuming and de-duplication: `source` itself when it is
/// UTF-8 (`source_bytes` absent), otherwise a NUL (which no path holds) and the base64
/// of its bytes, so two paths that differ only in bytes that are not UTF-8 never meet.
pub fn source_key(source: &str, source_bytes: Option<&str>) -> String {
    match source_bytes {
        None => source.to_string(),
        Some(b64) => format!("\0{b64}"),
    }
}

/// Standard base64 (padded) of `bytes`: the encoding of `source_bytes`.
pub fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
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
            source_bytes: None,
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
    /// A run's stop request: reading standard input or a JSONL file ends (without a
    /// record for the line in progress) once it is set. Default none.
    pub cancel: Option<crate::cancel::Cancel>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_article_bytes: 16 * 1024 * 1024,
            follow_links: true,
            cancel: None,
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
    /// The source string for records from this unit: the path, or `-` for stdin (a path
    /// that is not UTF-8 in its lossy form; see [`Unit::raw_path`]).
    pub fn source(&self) -> String {
        match self {
            Unit::File { path, .. } => path.to_string_lossy().into_owned(),
            Unit::Stdin => "-".to_string(),
        }
    }

    /// Whether the unit holds any number of articles, read one line at a time
    /// (standard input, a `.jsonl` file).
    pub fn is_stream(&self) -> bool {
        matches!(
            self,
            Unit::Stdin
                | Unit::File {
                    format: Format::Jsonl,
                    ..
                }
        )
    }

    /// The path's real bytes when they are not valid UTF-8 (on Unix, the bytes of the
    /// file name as the OS has them); `None` for UTF-8 paths and stdin.
    pub fn raw_path(&self) -> Option<&[u8]> {
        match self {
            Unit::File { path, .. } => raw_path(path),
            Unit::Stdin => None,
        }
    }
}

/// `path`'s bytes when it is not valid UTF-8.
fn raw_path(path: &Path) -> Option<&[u8]> {
    path.to_str()
        .is_none()
        .then_some(path.as_os_str().as_encoded_bytes())
}

/// The real bytes of an item's source read from a path that is not UTF-8: the path's
/// bytes, then the item's suffix (`:LINE`, `#INDEX`) after the lossy path text.
fn lossless_source(source: &str, lossy: &str, raw: &[u8]) -> Vec<u8> {
    let mut bytes = raw.to_vec();
    bytes.extend_from_slice(source.strip_prefix(lossy).unwrap_or("").as_bytes());
    bytes
}

/// Give an item read from a path that is not UTF-8 (`lossy` is its lossy text, `raw`
/// its bytes) its lossless source as `source_bytes`, and a failure an id from those
/// bytes (their lossy sources may be equal).
pub(crate) fn attach_raw_source(item: &mut Result<Article, Failure>, lossy: &str, raw: &[u8]) {
    match item {
        Ok(a) => {
            a.source_bytes = Some(base64_of(&lossless_source(&a.source, lossy, raw)));
        }
        Err(f) => f.attach_raw_source(lossy, raw),
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
    /// links when `follow_links` is off. Never opened (a FIFO would block the run).
    pub other: usize,
    /// Of `other`: named pipes (FIFOs).
    pub fifo: usize,
    /// Of `other`: Unix sockets.
    pub socket: usize,
    /// Of `other`: character and block devices.
    pub device: usize,
    /// Of `other`: symbolic links not followed (`follow_links` off).
    pub symlink: usize,
    /// Folders holding another run's output (a `manifest.json` written by brief), and
    /// this run's own output folder: never read back as articles.
    pub output_folder: usize,
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
    /// Where: a path, `path:LINE`, `path#INDEX` or `-:LINE` (lossy for a path that is
    /// not UTF-8).
    pub source: String,
    /// As [`Article::source_bytes`].
    pub source_bytes: Option<String>,
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
            source_bytes: None,
            error: ArticleError::new(kind, message),
        }
    }

    /// A failure for `source` from an existing article error.
    pub fn from_error(source: impl Into<String>, error: ArticleError) -> Self {
        let source = source.into();
        Failure {
            id: content_id(&source),
            source,
            source_bytes: None,
            error,
        }
    }
}

impl Failure {
    /// See [`attach_raw_source`].
    pub(crate) fn attach_raw_source(&mut self, lossy: &str, raw: &[u8]) {
        let bytes = lossless_source(&self.source, lossy, raw);
        self.source_bytes = Some(base64_of(&bytes));
        self.id = content_id_of_bytes(&bytes);
    }

    /// What resuming knows the failure by: [`source_key`] of its source.
    pub fn key(&self) -> String {
        source_key(&self.source, self.source_bytes.as_deref())
    }

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
    content_id_of_bytes(body.as_bytes())
}

/// [`content_id`] of raw bytes (the id of a failure whose path is not UTF-8).
pub fn content_id_of_bytes(bytes: &[u8]) -> String {
    let hash = blake3::hash(bytes);
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

    #[cfg(unix)]
    #[test]
    fn paths_that_are_not_utf8_keep_their_bytes() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let mut keys = Vec::new();
        let mut ids = Vec::new();
        for name in [&b"caf\xe9.jsonl"[..], b"caf\xe8.jsonl"] {
            let path = dir.path().join(OsStr::from_bytes(name));
            std::fs::write(&path, "{\"body\": \"Text.\"}\n{oops}\n").unwrap();
            let unit = Unit::File {
                path: path.clone(),
                format: Format::Jsonl,
            };
            assert_eq!(unit.raw_path(), Some(path.as_os_str().as_bytes()));
            let items = read_unit(&unit, &IngestOptions::default());
            let a = items[0].as_ref().unwrap();
            let f = items[1].as_ref().unwrap_err();
            let mut want = path.as_os_str().as_bytes().to_vec();
            want.extend_from_slice(b":1");
            assert_eq!(a.source_bytes, Some(base64_of(&want)));
            assert!(a.source.ends_with(".jsonl:1") && a.source.contains('\u{fffd}'));
            assert_eq!(a.key(), format!("\0{}", base64_of(&want)));
            keys.push(a.key());
            keys.push(f.key());
            ids.push(f.id.clone());
        }
        // The lossy sources are equal; keys and failure ids are not.
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 4);
        assert_ne!(ids[0], ids[1]);
        // UTF-8 paths are untouched: no bytes, the key is the source, the id as before.
        let plain = dir.path().join("plain.txt");
        std::fs::write(&plain, "").unwrap();
        let unit = Unit::File {
            path: plain,
            format: Format::Txt,
        };
        assert_eq!(unit.raw_path(), None);
        let f = read_unit(&unit, &IngestOptions::default())
            .remove(0)
            .unwrap_err();
        assert_eq!(f.source_bytes, None);
        assert_eq!(f.key(), f.source);
        assert_eq!(f.id, content_id(&f.source));
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
