//! Writes records as JSON lines in input order, whatever order workers finish in: to
//! standard output, or appended to `results.jsonl` (see [`super::results`]). Also
//! [`write_atomic`] for whole files such as the manifest.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use tempfile::NamedTempFile;

use crate::error::{Error, Result};
use crate::output::results::{publishable, Appender};
use crate::output::Record;

/// Where JSON lines go.
pub enum Sink {
    /// Standard output, streamed.
    Stdout(BufWriter<std::io::Stdout>),
    /// Appended to a results file, one write per line.
    Append(Appender),
}

impl Sink {
    /// Standard output.
    pub fn stdout() -> Self {
        Sink::Stdout(BufWriter::new(std::io::stdout()))
    }

    /// Append to the results file at `path` (created if missing; its folder must exist).
    pub fn append(path: &Path) -> Result<Self> {
        Ok(Sink::Append(Appender::open(path)?))
    }

    /// Write one line; for a file, its offset and length.
    fn write_line(&mut self, line: &[u8]) -> Result<Option<(u64, u64)>> {
        match self {
            Sink::Stdout(w) => w
                .write_all(line)
                .and_then(|_| w.write_all(b"\n"))
                .map(|_| None)
                .map_err(|e| Error::io("<stdout>", e)),
            Sink::Append(a) => a.append(line).map(Some),
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Stdout(mut w) => w.flush().map_err(|e| Error::io("<stdout>", e)),
            Sink::Append(mut a) => a.sync(),
        }
    }
}

/// A line the writer put in a results file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenLine {
    /// The record's resume key ([`Record::key`]: its source, for UTF-8 sources).
    pub source: String,
    /// Byte offset in the file.
    pub offset: u64,
    /// Length, newline included.
    pub len: u64,
}

/// Called on each record as it is written, in input order.
pub type Hook = Box<dyn FnMut(&mut Record) + Send>;

/// Reorders results by input index and writes each as one JSON line.
pub struct OrderedWriter {
    sink: Sink,
    next: usize,
    pending: BTreeMap<usize, Vec<Record>>,
    written: usize,
    lines: Vec<WrittenLine>,
    hook: Option<Hook>,
}

impl OrderedWriter {
    /// Write to `sink`; indices start at 0.
    pub fn new(sink: Sink) -> Self {
        OrderedWriter {
            sink,
            next: 0,
            pending: BTreeMap::new(),
            written: 0,
            lines: Vec::new(),
            hook: None,
        }
    }

    /// Let `hook` see (and change) every record just before it is written, in input
    /// order: the place for passes that need the records in order (`relate`).
    pub fn with_hook(mut self, hook: Hook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Accept the records of input item `index` (one item may yield several records, or
    /// none). Writes every record whose predecessors have all arrived.
    pub fn push(&mut self, index: usize, records: Vec<Record>) -> Result<()> {
        self.pending.insert(index, records);
        while let Some(records) = self.pending.remove(&self.next) {
            self.write_all(records)?;
            self.next += 1;
        }
        Ok(())
    }

    fn write_all(&mut self, records: Vec<Record>) -> Result<()> {
        for mut r in records {
            if let Some(hook) = &mut self.hook {
                hook(&mut r);
            }
            let line = serde_json::to_vec(&r).map_err(|e| {
                Error::io(
                    "<record>",
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                )
            })?;
            if let Some((offset, len)) = self.sink.write_line(&line)? {
                self.lines.push(WrittenLine {
                    source: r.key(),
                    offset,
                    len,
                });
            }
            self.written += 1;
        }
        Ok(())
    }

    /// Records written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Flush (and sync a file). Fails if an index never arrived. Returns the lines
    /// written to a results file (none for standard output).
    pub fn finish(self) -> Result<Vec<WrittenLine>> {
        if let Some(first) = self.pending.keys().next() {
            return Err(Error::Internal(format!(
                "result {} missing before {first}",
                self.next
            )));
        }
        self.sink.finish()?;
        Ok(self.lines)
    }

    /// For a run that stops early: write everything that arrived, even after a gap
    /// (still in index order), then flush. Nothing finished is lost.
    pub fn finish_partial(mut self) -> Result<Vec<WrittenLine>> {
        let pending = std::mem::take(&mut self.pending);
        for (_, records) in pending {
            self.write_all(records)?;
        }
        self.sink.finish()?;
        Ok(self.lines)
    }
}

/// Write `bytes` to `path` atomically (temporary file + rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = NamedTempFile::with_prefix_in(".brief-", dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    publishable(tmp.as_file(), path)?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ArticleError, ErrorKind};

    fn rec(id: &str) -> Record {
        Record::failed(
            id.into(),
            "x".into(),
            ArticleError::new(ErrorKind::Empty, "empty"),
        )
    }

    #[test]
    fn writes_in_index_order_and_reports_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let mut w = OrderedWriter::new(Sink::append(&path).unwrap());
        w.push(2, vec![rec("c")]).unwrap();
        w.push(1, vec![]).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "c waits for a");
        w.push(0, vec![rec("a"), rec("b")]).unwrap();
        assert_eq!(w.written(), 3);
        let lines = w.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let ids: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<Record>(l).unwrap().id)
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(lines.len(), 3);
        for l in &lines {
            let s = &text[l.offset as usize..(l.offset + l.len) as usize];
            assert!(s.ends_with('\n') && s.contains(&l.source));
        }
    }

    #[test]
    fn a_gap_is_an_error_unless_the_run_stopped_early() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let mut w = OrderedWriter::new(Sink::append(&path).unwrap());
        w.push(1, vec![rec("b")]).unwrap();
        assert!(w.finish().is_err());
        let mut w = OrderedWriter::new(Sink::append(&path).unwrap());
        w.push(3, vec![rec("d")]).unwrap();
        w.push(1, vec![rec("b")]).unwrap();
        assert_eq!(w.finish_partial().unwrap().len(), 2);
        let text = std::fs::read_to_string(&path).unwrap();
        let ids: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<Record>(l).unwrap().id)
            .collect();
        assert_eq!(ids, ["b", "d"]);
    }

    #[test]
    fn write_atomic_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        write_atomic(&p, b"1").unwrap();
        write_atomic(&p, b"2").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"2");
    }
}
