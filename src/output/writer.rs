//! Writes records as JSON lines in input order, whatever order workers finish in, and
//! writes files atomically: a temporary file in the destination folder renamed into
//! place at the end, so a crash never leaves a truncated `results.jsonl`.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Error, Result};
use crate::output::Record;

/// Give a finished temporary file ordinary permissions (tempfile creates it 0600,
/// which would make results unreadable to other users of a shared machine).
fn publishable(file: &std::fs::File, path: &Path) -> Result<()> {
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

/// Where JSON lines go.
pub enum Sink {
    /// Standard output, streamed.
    Stdout(BufWriter<std::io::Stdout>),
    /// A file written atomically on [`OrderedWriter::finish`].
    File {
        /// Final path.
        path: PathBuf,
        /// Temporary file beside it.
        tmp: BufWriter<NamedTempFile>,
    },
}

impl Sink {
    /// Standard output.
    pub fn stdout() -> Self {
        Sink::Stdout(BufWriter::new(std::io::stdout()))
    }

    /// A file at `path`, created atomically; its folder must exist.
    pub fn file(path: &Path) -> Result<Self> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = NamedTempFile::with_prefix_in(".brief-", dir).map_err(|e| Error::io(dir, e))?;
        Ok(Sink::File {
            path: path.to_path_buf(),
            tmp: BufWriter::new(tmp),
        })
    }

    fn write_line(&mut self, line: &[u8]) -> Result<()> {
        let (w, path): (&mut dyn Write, &Path) = match self {
            Sink::Stdout(w) => (w, Path::new("<stdout>")),
            Sink::File { path, tmp } => (tmp, path.as_path()),
        };
        w.write_all(line)
            .and_then(|_| w.write_all(b"\n"))
            .map_err(|e| Error::io(path, e))
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Stdout(mut w) => w.flush().map_err(|e| Error::io("<stdout>", e)),
            Sink::File { path, tmp } => {
                let tmp = tmp
                    .into_inner()
                    .map_err(|e| Error::io(&path, e.into_error()))?;
                tmp.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
                publishable(tmp.as_file(), &path)?;
                tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
                Ok(())
            }
        }
    }
}

/// Reorders results by input index and writes each as one JSON line.
pub struct OrderedWriter {
    sink: Sink,
    next: usize,
    pending: BTreeMap<usize, Vec<Record>>,
    written: usize,
}

impl OrderedWriter {
    /// Write to `sink`; indices start at 0.
    pub fn new(sink: Sink) -> Self {
        OrderedWriter {
            sink,
            next: 0,
            pending: BTreeMap::new(),
            written: 0,
        }
    }

    /// Accept the records of input item `index` (one item may yield several records, or
    /// none). Writes every record whose predecessors have all arrived.
    pub fn push(&mut self, index: usize, records: Vec<Record>) -> Result<()> {
        self.pending.insert(index, records);
        while let Some(records) = self.pending.remove(&self.next) {
            for r in &records {
                let line = serde_json::to_vec(r).map_err(|e| {
                    Error::io(
                        "<record>",
                        std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                    )
                })?;
                self.sink.write_line(&line)?;
                self.written += 1;
            }
            self.next += 1;
        }
        Ok(())
    }

    /// Records written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Flush, and move the file into place. Fails if an index never arrived.
    pub fn finish(self) -> Result<usize> {
        if let Some(first) = self.pending.keys().next() {
            return Err(Error::Config(format!(
                "internal: result {} missing before {first}",
                self.next
            )));
        }
        let n = self.written;
        self.sink.finish()?;
        Ok(n)
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
    fn writes_in_index_order_and_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let mut w = OrderedWriter::new(Sink::file(&path).unwrap());
        w.push(2, vec![rec("c")]).unwrap();
        w.push(1, vec![]).unwrap();
        assert!(!path.exists(), "final file appears only on finish");
        w.push(0, vec![rec("a"), rec("b")]).unwrap();
        assert_eq!(w.finish().unwrap(), 3);
        let ids: Vec<String> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Record>(l).unwrap().id)
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        // Only the final file is left: no temporary files.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_gap_is_an_error_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let mut w = OrderedWriter::new(Sink::file(&path).unwrap());
        w.push(1, vec![rec("b")]).unwrap();
        assert!(w.finish().is_err());
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
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
