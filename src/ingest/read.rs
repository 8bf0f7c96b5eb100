//! Reading one [`Unit`]: size limit, bytes, decoding, and the per-format converter.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use super::decode::{check_not_empty, decode};
use super::json::{read_json, read_jsonl, JsonlItems};
use super::{
    attach_raw_source, html, markdown, Article, Extracted, Failure, Format, IngestOptions, Unit,
};
use crate::error::{ArticleError, ErrorKind};

/// What reading yields per article: the article, or why it could not be read.
type Item = Result<Article, Failure>;

/// Read one unit into articles. Never panics and never fails as a whole: each problem is
/// a [`Failure`] in the result (one per file, line or array element), so one bad input
/// is one error record.
///
/// Whole-file formats (`.txt`, `.md`, `.html`, `.json`) check the file size before
/// reading and fail with `too_large` above `max_article_bytes`; JSONL files and stdin are
/// streamed line by line with the limit applied per line.
pub fn read_unit(unit: &Unit, opts: &IngestOptions) -> Vec<Item> {
    stream_unit(unit, opts).collect()
}

/// [`read_unit`] as it goes: standard input and JSONL files yield each article as its
/// line is read (a run starts on the first lines of a pipe before the last arrive,
/// and holds one line at a time); other formats are read whole, as one file is one
/// article (or a bounded array of them).
pub fn stream_unit<'a>(
    unit: &'a Unit,
    opts: &'a IngestOptions,
) -> Box<dyn Iterator<Item = Item> + Send + 'a> {
    match unit {
        // Not `stdin().lock()`: the lock may not move between threads, the run's
        // reader does.
        Unit::Stdin => Box::new(JsonlItems::new(BufReader::new(io::stdin()), "-", opts)),
        Unit::File {
            path,
            format: Format::Jsonl,
        } => {
            let source = unit.source();
            let items: Box<dyn Iterator<Item = _> + Send> = match open(path) {
                Ok((file, _)) => Box::new(JsonlItems::new(
                    BufReader::with_capacity(64 * 1024, file),
                    &source,
                    opts,
                )),
                Err(e) => Box::new(std::iter::once(Err(Failure::from_error(&source, e)))),
            };
            match unit.raw_path() {
                Some(raw) => Box::new(items.map(move |mut item| {
                    attach_raw_source(&mut item, &source, raw);
                    item
                })),
                None => items,
            }
        }
        Unit::File { path, format } => Box::new(read_whole(unit, path, *format, opts).into_iter()),
    }
}

/// One file of a whole-file format, read whole.
fn read_whole(unit: &Unit, path: &Path, format: Format, opts: &IngestOptions) -> Vec<Item> {
    let source = unit.source();
    // The parsers are third-party code fed arbitrary input: contain a bug in one of
    // them to this file instead of losing the batch.
    let mut items =
        panic::catch_unwind(AssertUnwindSafe(|| read_file(path, format, &source, opts)))
            .unwrap_or_else(|payload| {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                vec![Err(Failure::new(
                    source.clone(),
                    ErrorKind::Internal,
                    format!("the {format:?} reader panicked: {what}"),
                ))]
            });
    if let Some(raw) = unit.raw_path() {
        for item in &mut items {
            attach_raw_source(item, &source, raw);
        }
    }
    items
}

fn read_file(
    path: &Path,
    format: Format,
    source: &str,
    opts: &IngestOptions,
) -> Vec<Result<Article, Failure>> {
    let fail = |e: ArticleError| vec![Err(Failure::from_error(source, e))];
    match read_bounded(path, opts.max_article_bytes) {
        Ok(bytes) => read_bytes(bytes, format, source, opts),
        Err(e) => fail(e),
    }
}

/// Convert the bytes of one file (read already, within the size limit) of `format`
/// into articles: decoding, then the format's converter. Like [`read_unit`] it never
/// fails as a whole; unlike it, a panic in a converter is not caught here.
pub fn read_bytes(
    bytes: Vec<u8>,
    format: Format,
    source: &str,
    opts: &IngestOptions,
) -> Vec<Result<Article, Failure>> {
    let fail = |e: ArticleError| vec![Err(Failure::from_error(source, e))];
    if format == Format::Jsonl {
        // JSONL detects its own encoding per stream and limits each line.
        return read_jsonl(io::Cursor::new(bytes), source, opts);
    }
    let declared = match format {
        Format::Html => html::sniff_charset(&bytes),
        _ => None,
    };
    let text = match decode(bytes, declared) {
        Ok(text) => text,
        Err(e) => return fail(e),
    };
    let extracted = match format {
        Format::Json => return read_json(&text, source),
        Format::Txt => Extracted {
            body: text,
            ..Extracted::default()
        },
        Format::Markdown => markdown::to_text(&text),
        Format::Html => html::extract(&text),
        // Handled above, before decoding; correct if it were reached.
        Format::Jsonl => return read_jsonl(io::Cursor::new(text.as_bytes()), source, opts),
    };
    if let Err(mut e) = check_not_empty(&extracted.body) {
        e.message = match format {
            Format::Html => "no article text: the page has nothing outside scripts, navigation and other boilerplate".into(),
            Format::Markdown => "no article text: the document has only images, code or markup".into(),
            _ => e.message,
        };
        return fail(e);
    }
    vec![Ok(extracted.into_article(source.to_string(), None))]
}

/// Open a file that must be a regular file. Discovery passes over pipes, sockets and
/// devices; one swapped in after it is refused here, opened without blocking (on Unix
/// `O_NONBLOCK`, which is without effect on regular files) so a FIFO with no writer
/// cannot hang the run.
fn open(path: &Path) -> Result<(File, u64), ArticleError> {
    let io_err = |what: &str, e: io::Error| {
        ArticleError::new(ErrorKind::Io, format!("cannot {what} the file: {e}"))
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| io_err("open", e))?;
    // Metadata of the open handle: no race with the file being swapped after the check.
    let meta = file.metadata().map_err(|e| io_err("inspect", e))?;
    if meta.is_dir() {
        return Err(ArticleError::new(
            ErrorKind::Io,
            "expected a file, found a folder",
        ));
    }
    if !meta.is_file() {
        return Err(ArticleError::new(
            ErrorKind::Io,
            "not a regular file (a pipe, socket or device): not read",
        ));
    }
    Ok((file, meta.len()))
}

/// Read a whole file, refusing (before reading) one larger than `max` bytes. The read is
/// capped at `max + 1` bytes too, for files that grow meanwhile and for pipes.
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ArticleError> {
    let (file, len) = open(path)?;
    let too_large = |len: u64, exact: bool| {
        ArticleError::new(
            ErrorKind::TooLarge,
            format!(
                "the file is {}{len} bytes; the limit is {max} bytes (--max-article-bytes)",
                if exact { "" } else { "more than " }
            ),
        )
    };
    if len > max {
        return Err(too_large(len, true));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ArticleError::new(ErrorKind::Io, format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(too_large(max, false));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::content_id;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ingest")
            .join(name)
    }

    fn unit(path: &Path) -> Unit {
        Unit::File {
            path: path.to_path_buf(),
            format: Format::from_path(path).unwrap_or(Format::Txt),
        }
    }

    fn read_one(path: &Path) -> Result<Article, Failure> {
        let mut out = read_unit(&unit(path), &IngestOptions::default());
        assert_eq!(out.len(), 1, "{out:?}");
        out.remove(0)
    }

    fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn kind_of(path: &Path) -> ErrorKind {
        read_one(path).expect_err("expected a failure").error.kind
    }

    #[test]
    fn txt_bbc_story_as_is() {
        let path = fixture("bbc-business-001.txt");
        let a = read_one(&path).unwrap();
        let raw = std::fs::read_to_string(&path).unwrap();
        assert_eq!(a.body, raw);
        assert!(a.body.starts_with("Ad sales boost Time Warner profit\n"));
        assert_eq!(a.source, path.to_string_lossy());
        assert_eq!(a.id, content_id(&raw));
        assert_eq!(
            (a.title, a.byline, a.published, a.url),
            (None, None, None, None)
        );
    }

    #[test]
    fn txt_seed_article() {
        let a = read_one(&fixture("moscow-pyongyang-history.txt")).unwrap();
        assert!(a
            .body
            .starts_with("There’s a history to Moscow-Pyongyang collaboration"));
        assert!(a.body.contains("Kim Jong- us"));
    }

    #[test]
    fn ids_are_stable_and_follow_the_decoded_body() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(fixture("bbc-business-001.txt")).unwrap();
        let a = write(dir.path(), "a.txt", &text);
        let b = write(dir.path(), "copy.txt", &text);
        let mut utf16 = b"\xfe\xff".to_vec();
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_be_bytes());
        }
        let c = write(dir.path(), "utf16.txt", utf16);
        let ids: Vec<String> = [&a, &a, &b, &c]
            .iter()
            .map(|p| read_one(p).unwrap().id)
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        let other = write(dir.path(), "other.txt", format!("{text}\nExtra line."));
        assert_ne!(read_one(&other).unwrap().id, ids[0]);
    }

    #[test]
    fn markdown_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "story.md",
            "# Ad sales boost *Time Warner* profit\n\nQuarterly profits at US media giant [TimeWarner](https://tw.example) jumped 76%.\n\n![chart](c.png)\n\nIts shares rose.\n",
        );
        let a = read_one(&path).unwrap();
        assert_eq!(
            a.title.as_deref(),
            Some("Ad sales boost Time Warner profit")
        );
        assert_eq!(
            a.body,
            "Quarterly profits at US media giant TimeWarner jumped 76%.\n\nIts shares rose."
        );
        assert_eq!(a.id, content_id(&a.body));
        let only_image = write(dir.path(), "img.md", "![only](an-image.png)\n");
        assert_eq!(kind_of(&only_image), ErrorKind::Empty);
    }

    #[test]
    fn html_file_with_declared_legacy_charset() {
        let dir = tempfile::tempdir().unwrap();
        let mut page = b"<html><head><meta charset=\"windows-1252\"><title>Caf\xe9 society</title></head>\
            <body><nav>Home | News</nav><article><h1>Caf\xe9 society</h1><p>Prices rose by 5\x80 a cup.</p></article></body></html>"
            .to_vec();
        let path = write(dir.path(), "page.HTML", &page);
        let a = read_one(&path).unwrap();
        assert_eq!(a.title.as_deref(), Some("Café society"));
        assert_eq!(a.body, "Café society\n\nPrices rose by 5€ a cup.");
        // Boilerplate only: empty.
        page = b"<html><body><nav>Home</nav><script>x()</script></body></html>".to_vec();
        let empty = write(dir.path(), "empty.htm", &page);
        let f = read_one(&empty).unwrap_err();
        assert_eq!(f.error.kind, ErrorKind::Empty);
        assert!(f.error.message.contains("boilerplate"));
    }

    #[test]
    fn json_files() {
        let dir = tempfile::tempdir().unwrap();
        let one = write(
            dir.path(),
            "one.json",
            r#"{"headline": "H", "text": "Body.", "authors": ["A", "B"], "date": "2005-02-01", "url": "https://u.example"}"#,
        );
        let a = read_one(&one).unwrap();
        assert_eq!(
            (
                a.title.as_deref(),
                a.byline.as_deref(),
                a.published.as_deref(),
                a.url.as_deref(),
                a.body.as_str()
            ),
            (
                Some("H"),
                Some("A, B"),
                Some("2005-02-01"),
                Some("https://u.example"),
                "Body."
            )
        );
        let arr = write(
            dir.path(),
            "arr.json",
            r#"[{"body": "One."}, {"body": "Two.", "guid": "g2"}]"#,
        );
        let out = read_unit(&unit(&arr), &IngestOptions::default());
        let got: Vec<(String, String)> = out
            .into_iter()
            .map(|r| r.unwrap())
            .map(|a| (a.source, a.id))
            .collect();
        let src = arr.to_string_lossy();
        assert_eq!(
            got,
            [
                (format!("{src}#0"), content_id("One.")),
                (format!("{src}#1"), "g2".to_string())
            ]
        );
        let numbers = write(dir.path(), "n.json", "[1, 2, 3]");
        assert_eq!(kind_of(&numbers), ErrorKind::Parse);
    }

    #[test]
    fn jsonl_file_streams_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "feed.jsonl",
            "{\"body\": \"A.\"}\n{oops}\n{\"body\": \"B.\"}\n",
        );
        let out = read_unit(&unit(&path), &IngestOptions::default());
        assert_eq!(out.len(), 3);
        assert_eq!(
            out[1].as_ref().unwrap_err().source,
            format!("{}:2", path.to_string_lossy())
        );
        assert_eq!(out[1].as_ref().unwrap_err().error.kind, ErrorKind::Parse);
        assert_eq!(out[2].as_ref().unwrap().body, "B.");
    }

    #[test]
    fn bom_variants_and_utf16() {
        let dir = tempfile::tempdir().unwrap();
        let text = "Grüße from Zürich — “quotes”.";
        let mut utf8_bom = b"\xef\xbb\xbf".to_vec();
        utf8_bom.extend_from_slice(text.as_bytes());
        let (mut le, mut be) = (b"\xff\xfe".to_vec(), b"\xfe\xff".to_vec());
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        for (name, bytes) in [("bom.txt", utf8_bom), ("le.txt", le), ("be.txt", be)] {
            let a = read_one(&write(dir.path(), name, bytes)).unwrap();
            assert_eq!(a.body, text, "{name}");
        }
    }

    #[test]
    fn bad_bytes_give_stable_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(dir.path(), "bad.txt", b"Fine start \xc3\x28 then junk");
        let f = read_one(&bad).unwrap_err();
        assert_eq!(f.error.kind, ErrorKind::Encoding);
        assert!(f.error.message.contains("offset 11"), "{}", f.error.message);
        assert_eq!(f.id, content_id(&f.source));
        let png = write(
            dir.path(),
            "photo.txt",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        );
        assert_eq!(kind_of(&png), ErrorKind::Binary);
        let nul = write(
            dir.path(),
            "nul.md",
            b"text\x00with\x00nuls\x01\x02\x03 and more bytes",
        );
        assert_eq!(kind_of(&nul), ErrorKind::Binary);
        assert_eq!(
            kind_of(&write(dir.path(), "empty.txt", b"")),
            ErrorKind::Empty
        );
        assert_eq!(
            kind_of(&write(dir.path(), "blank.html", b" \n\t \r\n")),
            ErrorKind::Empty
        );
    }

    #[test]
    fn too_large_is_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        // A sparse 64 GiB file: reading it would take minutes and all memory.
        let path = dir.path().join("huge.txt");
        let file = File::create(&path).unwrap();
        let size = 64u64 << 30;
        if file.set_len(size).is_err() {
            file.set_len(1 << 30).unwrap();
        }
        let start = Instant::now();
        let f = read_one(&path).unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(f.error.kind, ErrorKind::TooLarge);
        assert!(f.error.message.contains("16777216"), "{}", f.error.message);
        // The limit is the option's, and exactly the limit is allowed.
        let small = write(dir.path(), "small.txt", "x".repeat(100));
        let at = |max| {
            read_unit(
                &unit(&small),
                &IngestOptions {
                    max_article_bytes: max,
                    ..Default::default()
                },
            )
        };
        assert!(at(100)[0].is_ok());
        assert_eq!(
            at(99)[0].as_ref().unwrap_err().error.kind,
            ErrorKind::TooLarge
        );
    }

    #[test]
    fn vanished_file_and_folder_are_io() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone.txt");
        assert_eq!(kind_of(&gone), ErrorKind::Io);
        let folder = Unit::File {
            path: dir.path().to_path_buf(),
            format: Format::Txt,
        };
        let out = read_unit(&folder, &IngestOptions::default());
        assert_eq!(out[0].as_ref().unwrap_err().error.kind, ErrorKind::Io);
        let gone_jsonl = Unit::File {
            path: dir.path().join("gone.jsonl"),
            format: Format::Jsonl,
        };
        let out = read_unit(&gone_jsonl, &IngestOptions::default());
        assert_eq!(out[0].as_ref().unwrap_err().error.kind, ErrorKind::Io);
    }
}
