//! Discovery: turn command-line inputs into a deterministic list of [`Unit`]s.
//!
//! Decisions:
//! - An input that does not exist (or cannot even be looked at) is a fatal
//!   [`Error::Io`]: it is almost always a typo, and a run over the wrong folder should
//!   stop before it starts. Problems *inside* a folder walk (symlink loops, unreadable
//!   folders, broken links) are [`Failure`]s with kind `io` and the walk goes on.
//! - A file named explicitly is taken whatever its name: hidden or not, and read as
//!   text when its extension is unknown (so `brief run NOTES` works). Pipes and devices
//!   named explicitly are taken too (`brief run <(curl …)`).
//! - Folder contents are walked recursively in file-name order. Hidden entries (name
//!   starting with `.`) are skipped and counted; a hidden folder counts once. Files
//!   with unknown extensions are skipped and counted.
//! - `-` is JSONL on stdin; given more than once it is read once. Likewise a file
//!   reached twice by the same path (named twice, or named and inside a folder also
//!   given) is read once: one article, one record.

use std::cell::Cell;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::{Discovered, Failure, Format, IngestOptions, Unit};
use crate::error::{Error, ErrorKind, Result};

/// Find what to read under `inputs` (folders, files, or `-` for stdin). See the module
/// docs for the rules; the only error is an input that does not exist.
pub fn discover(inputs: &[PathBuf], opts: &IngestOptions) -> Result<Discovered> {
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
            walk(input, opts, &mut found);
        } else {
            let format = Format::from_path(input).unwrap_or(Format::Txt);
            found.units.push(Unit::File {
                path: input.clone(),
                format,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    found.units.retain(|u| seen.insert(u.clone()));
    Ok(found)
}

/// Walk one folder, appending units, counts and failures to `found`.
fn walk(root: &Path, opts: &IngestOptions, found: &mut Discovered) {
    let hidden = Cell::new(0usize);
    let entries = WalkDir::new(root)
        .follow_links(opts.follow_links)
        .sort_by_file_name()
        .into_iter()
        // The root itself is never "hidden": `brief run .` or `brief run .archive` is explicit.
        .filter_entry(|e| {
            let skip = e.depth() > 0 && is_hidden(e.file_name());
            if skip {
                hidden.set(hidden.get() + 1);
            }
            !skip
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
            found.skipped.other += 1;
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
    Failure::new(path.to_string_lossy(), ErrorKind::Io, message)
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
