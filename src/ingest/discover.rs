//! Discovery: turn command-line inputs into a deterministic list of [`Unit`]s.
//!
//! Decisions:
//! - An input that does not exist (or cannot even be looked at) is a fatal
//!   [`Error::Io`]: it is almost always a typo, and a run over the wrong folder should
//!   stop before it starts. Problems *inside* a folder walk (symlink loops, unreadable
//!   folders, broken links) are [`Failure`]s with kind `io` and the walk goes on.
//! - A file named explicitly is taken whatever its name: hidden or not, and read as
//!   text when its extension is unknown (so `brief run NOTES` works). A named pipe,
//!   socket or device named explicitly is refused before the run starts
//!   ([`Error::Input`]): opening a FIFO blocks until something writes to it, and a
//!   device may never end. Pipe JSONL into `brief run -` instead.
//! - Folder contents are walked recursively in file-name order. Hidden entries (name
//!   starting with `.`) are skipped and counted; a hidden folder counts once. Files
//!   with unknown extensions are skipped and counted. Pipes, sockets and devices are
//!   never opened: skipped and counted by kind.
//! - Folders holding brief's output are not read back: the run's own output folder
//!   (when it lies inside an input) and any folder with a `manifest.json` written by
//!   brief (it has `brief_version` and `config_hash`) are skipped and counted.
//! - `-` is JSONL on stdin; given more than once it is read once. Likewise a file
//!   reached twice (named twice, named and inside a folder also given, or through two
//!   spellings of one folder such as `in/` and `in/../in/`) is read once: one article,
//!   one record, under the path it was first reached by. Files are the same when their
//!   folders resolve to the same real folder and their names are equal (two symbolic
//!   links to one file stay two inputs).

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::{Discovered, Failure, Format, IngestOptions, Unit};
use crate::error::{Error, ErrorKind, Result};

/// Find what to read under `inputs` (folders, files, or `-` for stdin). See the module
/// docs for the rules; the errors are an input that does not exist and one that is a
/// pipe, socket or device.
pub fn discover(inputs: &[PathBuf], opts: &IngestOptions) -> Result<Discovered> {
    discover_excluding(inputs, opts, None)
}

/// [`discover`], passing over the folder `output` (a run's output folder) wherever it
/// lies under the inputs.
pub fn discover_excluding(
    inputs: &[PathBuf],
    opts: &IngestOptions,
    output: Option<&Path>,
) -> Result<Discovered> {
    // A folder that does not exist yet holds nothing to skip.
    let output = output.and_then(|o| fs::canonicalize(o).ok());
    let mut found = Discovered::default();
    for input in inputs {
        if input.as_os_str() == "-" {
            if !found.units.contains(&Unit::Stdin) {
                found.units.push(Unit::Stdin);
            }
            continue;
        }
        let meta = fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            walk(input, opts, output.as_deref(), &mut found);
        } else if let Some(kind) = special_kind(&meta.file_type()) {
            return Err(Error::Input {
                path: input.clone(),
                message: format!(
                    "is a {kind}, not a regular file: brief reads only files and folders \
                     (pipe JSONL into `brief run -` instead)"
                ),
            });
        } else {
            let format = Format::from_path(input).unwrap_or(Format::Txt);
            found.units.push(Unit::File {
                path: input.clone(),
                format,
            });
        }
    }
    dedup(&mut found.units);
    Ok(found)
}

/// Keep the first of units that are the same file (see the module docs).
fn dedup(units: &mut Vec<Unit>) {
    let mut real_dirs: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    let mut seen = HashSet::new();
    units.retain(|u| {
        let key = match u {
            Unit::Stdin => None,
            Unit::File { path, .. } => {
                let parent = path.parent().unwrap_or(Path::new(""));
                let real = real_dirs
                    .entry(parent.to_path_buf())
                    .or_insert_with(|| {
                        let dir = if parent.as_os_str().is_empty() {
                            Path::new(".")
                        } else {
                            parent
                        };
                        fs::canonicalize(dir).ok()
                    })
                    .clone();
                match (real, path.file_name()) {
                    (Some(dir), Some(name)) => Some(dir.join(name)),
                    _ => Some(path.clone()),
                }
            }
        };
        seen.insert(key)
    });
}

/// What a file type is when it is neither a regular file nor a folder nor a link.
fn special_kind(t: &fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("named pipe (FIFO)");
        }
        if t.is_socket() {
            return Some("socket");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("device");
        }
    }
    (!t.is_file() && !t.is_dir() && !t.is_symlink()).then_some("special file")
}

/// Whether `dir` holds a `manifest.json` that brief wrote (a run's output folder).
pub fn is_brief_output(dir: &Path) -> bool {
    let path = dir.join("manifest.json");
    // A regular file of reasonable size only: never block on or slurp something odd.
    let small_file = fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() < (16 << 20));
    small_file
        && fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|v| v.get("brief_version").is_some() && v.get("config_hash").is_some())
}

/// Walk one folder, appending units, counts and failures to `found`.
fn walk(root: &Path, opts: &IngestOptions, output: Option<&Path>, found: &mut Discovered) {
    let hidden = Cell::new(0usize);
    let outputs = Cell::new(0usize);
    let entries = WalkDir::new(root)
        .follow_links(opts.follow_links)
        .sort_by_file_name()
        .into_iter()
        // The root itself is never "hidden": `brief run .` or `brief run .archive` is explicit.
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            if is_hidden(e.file_name()) {
                hidden.set(hidden.get() + 1);
                return false;
            }
            let is_output = e.file_type().is_dir()
                && (output.is_some_and(|o| fs::canonicalize(e.path()).is_ok_and(|p| p == o))
                    || is_brief_output(e.path()));
            if is_output {
                outputs.set(outputs.get() + 1);
            }
            !is_output
        });
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                found.failures.push(walk_failure(root, &err));
                continue;
            }
        };
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        if !file_type.is_file() {
            let skipped = &mut found.skipped;
            skipped.other += 1;
            match special_kind(&file_type) {
                Some("named pipe (FIFO)") => skipped.fifo += 1,
                Some("socket") => skipped.socket += 1,
                Some("device") => skipped.device += 1,
                _ if file_type.is_symlink() => skipped.symlink += 1,
                _ => {}
            }
            continue;
        }
        match Format::from_path(entry.path()) {
            Some(format) => found.units.push(Unit::File {
                path: entry.into_path(),
                format,
            }),
            None => found.skipped.unknown_extension += 1,
        }
    }
    found.skipped.hidden += hidden.get();
    found.skipped.output_folder += outputs.get();
}

fn is_hidden(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn walk_failure(root: &Path, err: &walkdir::Error) -> Failure {
    let path = err.path().unwrap_or(root);
    let message = match (err.loop_ancestor(), err.io_error()) {
        (Some(ancestor), _) => format!(
            "symbolic link loop: {} points back to {}",
            path.display(),
            ancestor.display()
        ),
        (None, Some(io)) => format!("cannot read: {io}"),
        (None, None) => err.to_string(),
    };
    let mut failure = Failure::new(path.to_string_lossy(), ErrorKind::Io, message);
    if let Some(raw) = super::raw_path(path) {
        failure.attach_raw_source(&path.to_string_lossy(), raw);
    }
    failure
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(path: &Path, text: &str) {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(path, text).unwrap();
    }

    fn paths(found: &Discovered, root: &Path) -> Vec<String> {
        found
            .units
            .iter()
            .map(|u| match u {
                Unit::File { path, .. } => path
                    .strip_prefix(root)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .replace('\\', "/"),
                Unit::Stdin => "-".to_string(),
            })
            .collect()
    }

    #[test]
    fn a_file_reached_twice_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        write(&a, "x");
        write(&dir.path().join("b.txt"), "y");
        let inputs = [a.clone(), dir.path().to_path_buf(), a.clone()];
        let found = discover(&inputs, &IngestOptions::default()).unwrap();
        assert_eq!(paths(&found, dir.path()), ["a.txt", "b.txt"]);
    }

    #[test]
    fn walks_sorted_and_counts_skips() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in [
            "b.txt",
            "a.md",
            "c/e.htm",
            "c/d.html",
            "z.JSON",
            "y.jsonl",
            "notes.docx",
            "img.png",
            ".hidden.txt",
            ".git/config.txt",
            ".git/objects/x.txt",
            "c/.DS_Store",
        ] {
            write(&root.join(name), "x");
        }
        let found = discover(&[root.to_path_buf()], &IngestOptions::default()).unwrap();
        assert_eq!(
            paths(&found, root),
            ["a.md", "b.txt", "c/d.html", "c/e.htm", "y.jsonl", "z.JSON"]
        );
        assert_eq!(found.skipped.hidden, 3, "{:?}", found.skipped);
        assert_eq!(found.skipped.unknown_extension, 2);
        assert!(found.failures.is_empty());
        let formats: Vec<Format> = found
            .units
            .iter()
            .filter_map(|u| match u {
                Unit::File { format, .. } => Some(*format),
                Unit::Stdin => None,
            })
            .collect();
        use Format::*;
        assert_eq!(formats, [Markdown, Txt, Html, Html, Jsonl, Json]);
        // Same tree, same answer.
        assert_eq!(
            found,
            discover(&[root.to_path_buf()], &IngestOptions::default()).unwrap()
        );
        // Walked paths keep the input as their prefix.
        assert!(found
            .units
            .iter()
            .all(|u| matches!(u, Unit::File { path, .. } if path.starts_with(root))));
    }

    #[test]
    fn explicit_files_stdin_and_input_order() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("NOTES");
        let hidden = dir.path().join(".draft.md");
        write(&notes, "x");
        write(&hidden, "x");
        let found = discover(
            &[
                notes.clone(),
                PathBuf::from("-"),
                hidden.clone(),
                PathBuf::from("-"),
            ],
            &IngestOptions::default(),
        )
        .unwrap();
        assert_eq!(
            found.units,
            [
                Unit::File {
                    path: notes,
                    format: Format::Txt
                },
                Unit::Stdin,
                Unit::File {
                    path: hidden,
                    format: Format::Markdown
                },
            ]
        );
        assert_eq!(found.skipped, Default::default());
    }

    #[test]
    fn one_folder_under_two_spellings_is_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("in");
        write(&root.join("a.txt"), "x");
        write(&root.join("sub/b.txt"), "y");
        let again = root.join("..").join("in").join(".");
        let found = discover(&[root.clone(), again], &IngestOptions::default()).unwrap();
        assert_eq!(paths(&found, &root), ["a.txt", "sub/b.txt"]);
    }

    #[test]
    fn output_folders_are_not_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("a.txt"), "x");
        // This run's output folder (no manifest yet), another run's, and a folder
        // whose manifest.json is not brief's.
        write(&root.join("out/results.jsonl"), "{}\n");
        write(
            &root.join("old/manifest.json"),
            r#"{"brief_version": "0.1.0", "config_hash": "ab"}"#,
        );
        write(&root.join("old/results.jsonl"), "{}\n");
        write(&root.join("data/manifest.json"), r#"{"name": "x"}"#);
        write(&root.join("data/b.txt"), "y");
        let out = root.join("out");
        let found =
            discover_excluding(&[root.to_path_buf()], &IngestOptions::default(), Some(&out))
                .unwrap();
        // A manifest.json that is not brief's is an ordinary JSON input.
        assert_eq!(
            paths(&found, root),
            ["a.txt", "data/b.txt", "data/manifest.json"]
        );
        assert_eq!(found.skipped.output_folder, 2);
        assert!(is_brief_output(&root.join("old")) && !is_brief_output(&root.join("data")));
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_counted_by_kind_and_refused_when_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("a.txt"), "x");
        let fifo = root.join("f.txt");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let _sock = std::os::unix::net::UnixListener::bind(root.join("s.txt")).unwrap();
        let found = discover(&[root.to_path_buf()], &IngestOptions::default()).unwrap();
        assert_eq!(paths(&found, root), ["a.txt"]);
        assert_eq!(
            (
                found.skipped.other,
                found.skipped.fifo,
                found.skipped.socket
            ),
            (2, 1, 1)
        );
        match discover(std::slice::from_ref(&fifo), &IngestOptions::default()) {
            Err(Error::Input { path, message }) => {
                assert_eq!(path, fifo);
                assert!(message.contains("named pipe"), "{message}");
            }
            other => panic!("expected Error::Input, got {other:?}"),
        }
        let dev = PathBuf::from("/dev/null");
        assert!(matches!(
            discover(&[dev], &IngestOptions::default()),
            Err(Error::Input { .. })
        ));
    }

    #[test]
    fn hidden_root_folder_is_walked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".archive");
        write(&root.join("a.txt"), "x");
        let found = discover(std::slice::from_ref(&root), &IngestOptions::default()).unwrap();
        assert_eq!(paths(&found, &root), ["a.txt"]);
    }

    #[test]
    fn missing_input_is_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-folder");
        match discover(std::slice::from_ref(&missing), &IngestOptions::default()) {
            Err(Error::Io { path, source }) => {
                assert_eq!(path, missing);
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("expected Error::Io, got {other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_a_failure_and_the_walk_goes_on() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("a.txt"), "x");
        write(&root.join("sub/b.txt"), "x");
        symlink(root, root.join("sub/loop")).unwrap();
        write(&root.join("sub/z.txt"), "x");
        symlink(root.join("a.txt"), root.join("sub/link.txt")).unwrap();
        symlink(root.join("gone.txt"), root.join("sub/dangling.txt")).unwrap();

        let found = discover(&[root.to_path_buf()], &IngestOptions::default()).unwrap();
        assert_eq!(
            paths(&found, root),
            ["a.txt", "sub/b.txt", "sub/link.txt", "sub/z.txt"]
        );
        assert_eq!(found.failures.len(), 2, "{:?}", found.failures);
        assert!(found.failures.iter().all(|f| f.error.kind == ErrorKind::Io));
        let looped = found
            .failures
            .iter()
            .find(|f| f.source.ends_with("loop"))
            .unwrap();
        assert!(
            looped.error.message.contains("loop"),
            "{}",
            looped.error.message
        );
        assert!(found
            .failures
            .iter()
            .any(|f| f.source.ends_with("dangling.txt")));

        // Not following links: links are passed over, and nothing loops.
        let opts = IngestOptions {
            follow_links: false,
            ..IngestOptions::default()
        };
        let found = discover(&[root.to_path_buf()], &opts).unwrap();
        assert_eq!(paths(&found, root), ["a.txt", "sub/b.txt", "sub/z.txt"]);
        assert_eq!(found.skipped.other, 3);
        assert!(found.failures.is_empty());
    }
}
