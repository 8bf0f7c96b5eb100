//! `OUT/results.jsonl` as a durable log that a later run resumes: scanning what an
//! earlier (possibly killed) run left, repairing a torn last line, rewriting the kept
//! lines atomically, and appending one whole line per write.
//!
//! Why this is crash-safe: a line is written with a single `write` of the JSON plus
//! its newline on a file opened for append, so a process killed at any moment leaves
//! whole lines followed by at most one partial line at the end, which [`scan`] cuts
//! off. Rewrites go through a temporary file renamed over the old one, so the file is
//! always either the old or the new version, never a mix.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tempfile::NamedTempFile;

use crate::error::{Error, ErrorKind, Result};
use crate::output::Status;

/// Lines appended between two `fdatasync`s at most.
pub const SYNC_EVERY_LINES: usize = 256;
/// Time between two `fdatasync`s at most (when lines are being written).
pub const SYNC_EVERY: Duration = Duration::from_secs(5);

/// One complete, parsable line of an existing results file: what resuming needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The record's resume key: its `source`, or for a path that is not UTF-8 the key
    /// of its `source_bytes` ([`crate::ingest::source_key`]).
    pub source: String,
    /// The record's `content_hash` (absent in records of older versions).
    pub content_hash: Option<String>,
    /// The record's `config_hash`.
    pub config_hash: Option<String>,
    /// `ok` or `error`.
    pub status: Status,
    /// The error kind of an error record.
    pub kind: Option<ErrorKind>,
    /// Byte offset of the line in the file.
    pub offset: u64,
    /// Length in bytes, newline included.
    pub len: u64,
}

/// What [`scan`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The complete records, in file order.
    pub lines: Vec<Line>,
    /// Complete lines in the middle of the file that are not records (dropped by the
    /// next rewrite).
    pub unparsable: usize,
    /// Bytes cut off the end: a line torn by a crash.
    pub truncated: u64,
    /// Whether what was cut off was a whole line (newline included) that is not a
    /// record, rather than a line torn in the middle.
    pub truncated_whole_line: bool,
}

impl Scan {
    /// The warning for what [`scan`] cut off the end of `path`, if anything.
    pub fn truncation_warning(&self, path: &Path) -> Option<String> {
        (self.truncated > 0).then(|| {
            let what = if self.truncated_whole_line {
                "a last line that is not a brief record"
            } else {
                "an incomplete last line"
            };
            format!(
                "{}: removed {what} ({} bytes) left by an interrupted run; its article is processed again",
                path.display(),
                self.truncated
            )
        })
    }
}

/// How every record brief writes begins (`Record` serialises `schema_version` first).
const RECORD_START: &[u8] = b"{\"schema_version\":";

/// The fields of a record that resuming looks at (the rest is skipped unparsed).
#[derive(Deserialize)]
struct Key {
    source: String,
    #[serde(default)]
    source_bytes: Option<String>,
    status: Status,
    #[serde(default)]
    content_hash: Option<String>,
    #[serde(default)]
    config_hash: Option<String>,
    #[serde(default)]
    error: Option<KindOnly>,
}

#[derive(Deserialize)]
struct KindOnly {
    kind: ErrorKind,
}

/// The resume facts of one record line (`bytes` without its newline) found at
/// `offset` with length `len` (newline included); `None` when it is not a record.
pub fn parse_line(bytes: &[u8], offset: u64, len: u64) -> Option<Line> {
    let k = serde_json::from_slice::<Key>(bytes).ok()?;
    Some(Line {
        source: crate::ingest::source_key(&k.source, k.source_bytes.as_deref()),
        content_hash: k.content_hash,
        config_hash: k.config_hash,
        status: k.status,
        kind: k.error.map(|e| e.kind),
        offset,
        len,
    })
}

/// Refuse a `results.jsonl` at `path` that brief did not write ([`Error::Foreign`]);
/// a missing file is fine. Reads only its first line.
pub fn refuse_foreign(path: &Path) -> Result<()> {
    match File::open(path) {
        Ok(f) => check_ours(&f, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Read the results file at `path` (a missing file is an empty one). A last line
/// without its newline, or one that does not parse as a record, is what a crash
/// leaves: the file is truncated before it (and synced) so that appending continues
/// on a line boundary.
///
/// A file brief did not write (not empty, and its first line neither a record nor the
/// start of one) is refused with [`Error::Foreign`] and left untouched: `--force`
/// replaces it.
pub fn scan(path: &Path) -> Result<Scan> {
    let file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Scan::default()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::Foreign {
            path: path.to_path_buf(),
            message: "is not a regular file".into(),
        });
    }
    let file_len = meta.len();
    check_ours(&file, path)?;
    let mut reader = BufReader::with_capacity(1 << 20, &file);
    let mut scan = Scan::default();
    let mut buf = Vec::new();
    let mut offset = 0u64;
    // A complete line that did not parse; dropped, or cut off if nothing follows it.
    let mut bad_tail: Option<u64> = None;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(path, e))? as u64;
        if n == 0 {
            break;
        }
        if buf.last() != Some(&b'\n') {
            // Torn: the crash came in the middle of the last write.
            bad_tail.get_or_insert(offset);
            break;
        }
        match parse_line(&buf[..buf.len() - 1], offset, n) {
            Some(line) => {
                if bad_tail.take().is_some() {
                    scan.unparsable += 1;
                }
                scan.lines.push(line);
            }
            None => {
                if bad_tail.replace(offset).is_some() {
                    scan.unparsable += 1;
                }
            }
        }
        offset += n;
    }
    drop(reader);
    if let Some(cut) = bad_tail {
        scan.truncated_whole_line = offset > cut;
        file.set_len(cut).map_err(|e| Error::io(path, e))?;
        file.sync_all().map_err(|e| Error::io(path, e))?;
        scan.truncated = file_len - cut;
    }
    Ok(scan)
}

/// Refuse a results file that brief did not write: one whose first line (up to 64 KiB
/// of it) neither starts like a record nor is the beginning of one torn by a crash.
fn check_ours(file: &File, path: &Path) -> Result<()> {
    let mut head = Vec::new();
    let mut r = BufReader::new(file);
    r.by_ref()
        .take(64 * 1024)
        .read_until(b'\n', &mut head)
        .map_err(|e| Error::io(path, e))?;
    (&mut &*file)
        .seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(path, e))?;
    let n = head.len().min(RECORD_START.len());
    if head[..n] == RECORD_START[..n] {
        return Ok(());
    }
    Err(Error::Foreign {
        path: path.to_path_buf(),
        message: "is not a results file written by brief (its first line is not a brief \
                  record); refusing to overwrite it: move it away, or pass --force to replace it"
            .into(),
    })
}

/// Replace the file at `path` by the byte ranges `keep` (offset, length) of its
/// current content, in the order given, atomically (temporary file, fsync, rename,
/// fsync of the folder). Returns the offset of each kept range in the new file.
pub fn rewrite(path: &Path, keep: &[(u64, u64)]) -> Result<Vec<u64>> {
    let ranges: Vec<(usize, u64, u64)> = keep.iter().map(|&(o, l)| (0, o, l)).collect();
    write_ranges(path, &[path], &ranges)
}

/// Write the file at `path`, atomically as [`rewrite`] does, from byte ranges
/// `(source, offset, length)` of the files `sources`, in the order given. Returns the
/// offset of each range in the new file.
pub fn write_ranges(
    path: &Path,
    sources: &[&Path],
    ranges: &[(usize, u64, u64)],
) -> Result<Vec<u64>> {
    let dir = folder_of(path);
    let mut tmp = NamedTempFile::with_prefix_in(".brief-", &dir).map_err(|e| Error::io(&dir, e))?;
    let mut offsets = Vec::with_capacity(ranges.len());
    if !ranges.is_empty() {
        let mut open: Vec<Option<File>> = sources.iter().map(|_| None).collect();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        let mut at = 0u64;
        let mut buf = Vec::new();
        for &(src, offset, len) in ranges {
            let from = sources.get(src).copied().ok_or_else(|| {
                Error::Internal(format!("byte range of source {src} of {}", sources.len()))
            })?;
            let old = match &mut open[src] {
                Some(f) => f,
                slot => slot.insert(File::open(from).map_err(|e| Error::io(from, e))?),
            };
            old.seek(SeekFrom::Start(offset))
                .map_err(|e| Error::io(from, e))?;
            buf.clear();
            let got = old
                .take(len)
                .read_to_end(&mut buf)
                .map_err(|e| Error::io(from, e))?;
            if got as u64 != len {
                return Err(Error::io(
                    from,
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the results file shrank while it was being copied",
                    ),
                ));
            }
            out.write_all(&buf).map_err(|e| Error::io(path, e))?;
            offsets.push(at);
            at += len;
        }
        out.flush().map_err(|e| Error::io(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    publishable(tmp.as_file(), path)?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    sync_dir(&dir);
    Ok(offsets)
}

/// Rewrite the results file at `path` line by line, atomically: `replace` sees each
/// complete line (without its newline) and returns its new text, or `None` to keep it
/// as it is. The file is replaced only when a line changed; returns how many did.
pub fn rewrite_lines(
    path: &Path,
    mut replace: impl FnMut(&[u8]) -> Result<Option<Vec<u8>>>,
) -> Result<usize> {
    let dir = folder_of(path);
    let mut tmp = NamedTempFile::with_prefix_in(".brief-", &dir).map_err(|e| Error::io(&dir, e))?;
    let mut changed = 0;
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        let mut lines = LineReader::open(path)?;
        while let Some(line) = lines.next_line()? {
            let new = match line.bytes.strip_suffix(b"\n") {
                Some(body) if line.complete && !line.is_blank() => replace(body)?,
                _ => None,
            };
            match new {
                Some(mut text) => {
                    changed += 1;
                    text.push(b'\n');
                    out.write_all(&text)
                }
                None => out.write_all(line.bytes),
            }
            .map_err(|e| Error::io(path, e))?;
        }
        out.flush().map_err(|e| Error::io(path, e))?;
    }
    if changed > 0 {
        tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
        publishable(tmp.as_file(), path)?;
        tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
        sync_dir(&dir);
    }
    Ok(changed)
}

/// Longest line a reader of results files accepts: a record carries its article's
/// cleaned text (at most `--max-article-bytes`, 16 MiB by default) plus spans and
/// claims, so this leaves room for any record brief writes while bounding the memory a
/// foreign file can make a reader take.
pub const MAX_LINE_BYTES: u64 = 256 << 20;

/// One line of a results file, as [`LineReader::next_line`] returns it.
#[derive(Debug)]
pub struct RawLine<'a> {
    /// 1-based line number.
    pub number: usize,
    /// The bytes, newline included when there was one.
    pub bytes: &'a [u8],
    /// Whether the line ended with a newline (the last line of a file a run was
    /// killed while writing may not).
    pub complete: bool,
}

impl RawLine<'_> {
    /// Only whitespace (nothing to parse).
    pub fn is_blank(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }
}

/// Streams a results file line by line for the commands that read one (`eval`,
/// `report`), each line at most [`MAX_LINE_BYTES`].
pub struct LineReader {
    reader: BufReader<File>,
    path: PathBuf,
    buf: Vec<u8>,
    number: usize,
}

impl LineReader {
    /// Open `path` for reading.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(LineReader {
            reader: BufReader::with_capacity(1 << 20, file),
            path: path.to_path_buf(),
            buf: Vec::new(),
            number: 0,
        })
    }

    /// The next line, `None` at the end of the file. A line longer than
    /// [`MAX_LINE_BYTES`] is an [`Error::Foreign`]: brief never writes one.
    pub fn next_line(&mut self) -> Result<Option<RawLine<'_>>> {
        self.buf.clear();
        let got = (&mut self.reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| Error::io(&self.path, e))?;
        if got == 0 {
            return Ok(None);
        }
        self.number += 1;
        let complete = self.buf.ends_with(b"\n");
        if !complete && got as u64 >= MAX_LINE_BYTES {
            return Err(Error::Foreign {
                path: self.path.clone(),
                message: format!(
                    "line {}: the line is longer than {MAX_LINE_BYTES} bytes: not a brief record",
                    self.number
                ),
            });
        }
        Ok(Some(RawLine {
            number: self.number,
            bytes: &self.buf,
            complete,
        }))
    }
}

/// The results file opened for appending whole lines.
#[derive(Debug)]
pub struct Appender {
    file: File,
    path: PathBuf,
    len: u64,
    unsynced: usize,
    last_sync: Instant,
    buf: Vec<u8>,
}

impl Appender {
    /// Open (creating it if needed) `path` for appending.
    pub fn open(path: &Path) -> Result<Self> {
        let existed = path.exists();
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        if !existed {
            // The new name must survive a power cut as well as the lines synced into it.
            sync_dir(&folder_of(path));
        }
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok(Appender {
            file,
            path: path.to_path_buf(),
            len,
            unsynced: 0,
            last_sync: Instant::now(),
            buf: Vec::new(),
        })
    }

    /// Append `line` and a newline with one write; returns the line's offset and length
    /// (newline included). Syncs to disk every [`SYNC_EVERY_LINES`] lines or
    /// [`SYNC_EVERY`], whichever comes first.
    pub fn append(&mut self, line: &[u8]) -> Result<(u64, u64)> {
        self.buf.clear();
        self.buf.extend_from_slice(line);
        self.buf.push(b'\n');
        self.file
            .write_all(&self.buf)
            .map_err(|e| Error::io(&self.path, e))?;
        let at = self.len;
        let n = self.buf.len() as u64;
        self.len += n;
        self.unsynced += 1;
        if self.unsynced >= SYNC_EVERY_LINES || self.last_sync.elapsed() >= SYNC_EVERY {
            self.sync()?;
        }
        Ok((at, n))
    }

    /// Flush what was appended to disk (`fdatasync`).
    pub fn sync(&mut self) -> Result<()> {
        if self.unsynced > 0 {
            self.file
                .sync_data()
                .map_err(|e| Error::io(&self.path, e))?;
        }
        self.unsynced = 0;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn folder_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Give a finished temporary file ordinary permissions (tempfile creates it 0600,
/// which would make results unreadable to other users of a shared machine).
pub(crate) fn publishable(file: &File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// Make a rename durable (best effort: not every platform can open a folder).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ArticleError;
    use crate::output::Record;

    fn line(source: &str) -> Vec<u8> {
        let mut r = Record::failed(
            "id".into(),
            source.into(),
            ArticleError::new(ErrorKind::Parse, "bad"),
        );
        r.content_hash = Some("c".repeat(64));
        r.config_hash = Some("f".repeat(64));
        serde_json::to_vec(&r).unwrap()
    }

    #[test]
    fn line_reader_numbers_lines_and_flags_a_torn_last_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        std::fs::write(&path, b"{\"a\":1}\n  \n{\"b\"").unwrap();
        let mut r = LineReader::open(&path).unwrap();
        let mut seen = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            seen.push((l.number, l.is_blank(), l.complete, l.bytes.len()));
        }
        assert_eq!(
            seen,
            [
                (1, false, true, 8),
                (2, true, true, 3),
                (3, false, false, 4)
            ]
        );
        assert!(LineReader::open(&dir.path().join("none")).is_err());
    }

    fn sources(scan: &Scan) -> Vec<&str> {
        scan.lines.iter().map(|l| l.source.as_str()).collect()
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(scan(&dir.path().join("r.jsonl")).unwrap(), Scan::default());
    }

    #[test]
    fn append_then_scan_round_trips_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let mut a = Appender::open(&path).unwrap();
        let first = a.append(&line("a")).unwrap();
        let second = a.append(&line("b")).unwrap();
        a.sync().unwrap();
        assert_eq!(first.0, 0);
        assert_eq!(second.0, first.1);
        let s = scan(&path).unwrap();
        assert_eq!(sources(&s), ["a", "b"]);
        assert_eq!((s.lines[1].offset, s.lines[1].len), second);
        assert_eq!(s.lines[0].kind, Some(ErrorKind::Parse));
        assert_eq!(s.lines[0].content_hash.as_deref(), Some(&*"c".repeat(64)));
        assert_eq!((s.truncated, s.unparsable), (0, 0));
        // Reopening appends after what is there.
        let mut a = Appender::open(&path).unwrap();
        assert_eq!(a.append(&line("c")).unwrap().0, first.1 + second.1);
    }

    #[test]
    fn torn_last_line_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let mut bytes = line("a");
        bytes.push(b'\n');
        let good = bytes.len() as u64;
        let b = line("b");
        bytes.extend_from_slice(&b[..b.len() / 2]);
        std::fs::write(&path, &bytes).unwrap();
        let s = scan(&path).unwrap();
        assert_eq!(sources(&s), ["a"]);
        assert_eq!(s.truncated, bytes.len() as u64 - good);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good);
        // A complete but unparsable last line (e.g. a torn line that ended in a newline
        // byte of its own text) is cut off too; one in the middle is only counted.
        let mut bytes = line("a");
        bytes.extend_from_slice(b"\n{\"source\": \"x\", trunc\n");
        bytes.extend_from_slice(&line("b"));
        bytes.extend_from_slice(b"\nnot json\n");
        std::fs::write(&path, &bytes).unwrap();
        let s = scan(&path).unwrap();
        assert_eq!(sources(&s), ["a", "b"]);
        assert_eq!(s.unparsable, 1);
        assert_eq!(s.truncated, "not json\n".len() as u64);
        // The JSON without its newline is torn as well: the newline is part of the write.
        let mut bytes = line("a");
        bytes.push(b'\n');
        bytes.extend_from_slice(&line("b"));
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(sources(&scan(&path).unwrap()), ["a"]);
    }

    #[test]
    fn rewrite_keeps_ranges_in_order_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let mut a = Appender::open(&path).unwrap();
        let ranges: Vec<(u64, u64)> = ["a", "b", "c"]
            .iter()
            .map(|s| a.append(&line(s)).unwrap())
            .collect();
        let offsets = rewrite(&path, &[ranges[2], ranges[0]]).unwrap();
        let s = scan(&path).unwrap();
        assert_eq!(sources(&s), ["c", "a"]);
        assert_eq!(offsets, [0, ranges[2].1]);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        rewrite(&path, &[]).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[test]
    fn a_foreign_file_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        for foreign in ["id,name\n1,x\n", "{\"id\": 1}\n", "hello"] {
            std::fs::write(&path, foreign).unwrap();
            match scan(&path) {
                Err(Error::Foreign { message, .. }) => {
                    assert!(message.contains("--force"), "{message}")
                }
                other => panic!("expected Error::Foreign, got {other:?}"),
            }
            assert_eq!(std::fs::read_to_string(&path).unwrap(), foreign);
        }
        // A first line torn inside its first bytes is still ours.
        std::fs::write(&path, "{\"schema_ver").unwrap();
        let s = scan(&path).unwrap();
        assert_eq!((s.lines.len(), s.truncated), (0, 12));
        assert!(!s.truncated_whole_line);
        assert!(s
            .truncation_warning(&path)
            .unwrap()
            .contains("an incomplete last line"));
        // A complete last line that is not a record is not "incomplete".
        let mut bytes = line("a");
        bytes.extend_from_slice(b"\nnot json\n");
        std::fs::write(&path, &bytes).unwrap();
        let s = scan(&path).unwrap();
        assert!(s.truncated_whole_line);
        let w = s.truncation_warning(&path).unwrap();
        assert!(w.contains("a last line that is not a brief record"), "{w}");
    }

    #[test]
    fn records_without_hashes_still_scan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(
            &path,
            "{\"schema_version\":1,\"id\":\"x\",\"source\":\"s\",\"status\":\"ok\"}\n",
        )
        .unwrap();
        let s = scan(&path).unwrap();
        assert_eq!(s.lines[0].content_hash, None);
        assert_eq!(s.lines[0].status, Status::Ok);
    }
}
