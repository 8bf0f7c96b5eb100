//! The input order of a record, recomputed from its source alone: what `brief merge`
//! sorts shard outputs by so the merged file is in the order a single run over the
//! same inputs writes.
//!
//! A run writes records in discovery order ([`super::discover`]): inputs in the order
//! given (a file reached twice counts under the first input that reaches it), each
//! folder walked depth first in file-name order, then the items of a unit (`:LINE` of
//! a JSONL file or of stdin, `#INDEX` of a JSON array) in order. Comparing the path's
//! components below its input byte by byte reproduces a sorted depth-first walk, so no
//! file needs to exist when the key is computed. The one difference: failures of the
//! folder walk itself (a symlink loop, an unreadable folder), which a run writes first,
//! sort here among the files by their path.

use std::path::{Component, Path, PathBuf};

use super::Format;

/// Sort key of a record in the input order (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputOrder {
    /// Index of the first input that holds the source (`usize::MAX` for none).
    input: usize,
    /// The path's components below that input, as bytes.
    components: Vec<Vec<u8>>,
    /// The item within the file: `LINE` or `INDEX` (0 for a whole file).
    item: u64,
}

/// The [`InputOrder`] of the record whose resume key is `key` ([`super::source_key`])
/// among `inputs` (as given to the run).
pub fn input_order(inputs: &[PathBuf], key: &str) -> InputOrder {
    let bytes = match key.strip_prefix('\0') {
        // A path that is not UTF-8: its real bytes.
        Some(b64) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_else(|_| b64.as_bytes().to_vec())
        }
        None => key.as_bytes().to_vec(),
    };
    let (path, item) = split_item(&bytes);
    let path = Path::new(os_str(path));
    let found = inputs.iter().enumerate().find_map(|(i, input)| {
        if input.as_os_str() == "-" {
            return (path.as_os_str() == "-").then_some((i, Vec::new()));
        }
        path.strip_prefix(input)
            .ok()
            .map(|rest| (i, components(rest)))
    });
    let (input, components) = found.unwrap_or_else(|| (usize::MAX, components(path)));
    InputOrder {
        input,
        components,
        item,
    }
}

/// A source's path and item number: `path:LINE` for JSONL and stdin, `path#INDEX` for
/// a JSON array; a plain path is item 0.
fn split_item(source: &[u8]) -> (&[u8], u64) {
    for sep in [b':', b'#'] {
        let Some(at) = source.iter().rposition(|&b| b == sep) else {
            continue;
        };
        let (path, digits) = (&source[..at], &source[at + 1..]);
        let Some(n) = std::str::from_utf8(digits)
            .ok()
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u64>().ok())
        else {
            continue;
        };
        let format = Format::from_path(Path::new(os_str(path)));
        let items = match sep {
            b':' => path == b"-" || format == Some(Format::Jsonl),
            _ => format == Some(Format::Json),
        };
        if items {
            return (path, n);
        }
    }
    (source, 0)
}

fn components(path: &Path) -> Vec<Vec<u8>> {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().as_encoded_bytes().to_vec())
        .collect()
}

#[cfg(unix)]
fn os_str(bytes: &[u8]) -> &std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes)
}

#[cfg(not(unix))]
fn os_str(bytes: &[u8]) -> &std::ffi::OsStr {
    std::str::from_utf8(bytes).unwrap_or("").as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{discover, read_unit, IngestOptions};

    #[test]
    fn sorting_by_the_key_gives_the_order_of_a_run() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        // `a/` sorts before `a.txt` in a walk, after it as a string; line 10 after 9.
        write("in/a.txt", "A.");
        write("in/a/b.txt", "B.");
        write("in/a-b.md", "C.");
        write("in/z.jsonl", &"{\"body\": \"x.\"}\n".repeat(11));
        write("in/arr.json", "[{\"body\": \"p.\"}, {\"body\": \"q.\"}]");
        write("in/n:1.txt", "colon in a name.");
        write("other/first.txt", "F.");
        let inputs = vec![
            root.join("other/first.txt"),
            root.join("in/"),
            root.join("in/../in"),
            PathBuf::from("-"),
        ];
        let opts = IngestOptions::default();
        let found = discover(&inputs, &opts).unwrap();
        let mut expected: Vec<String> = found
            .units
            .iter()
            .filter(|u| !matches!(u, crate::ingest::Unit::Stdin))
            .flat_map(|u| read_unit(u, &opts))
            .map(|item| item.map_or_else(|f| f.key(), |a| a.key()))
            .collect();
        expected.extend(["-:2", "-:10"].map(String::from));
        assert!(expected.len() > 15, "{expected:?}");
        let mut sorted = expected.clone();
        sorted.reverse();
        sorted.sort_by_key(|k| input_order(&inputs, k));
        assert_eq!(sorted, expected);
    }

    #[test]
    fn items_only_for_formats_that_have_them() {
        assert_eq!(split_item(b"x.jsonl:12"), (&b"x.jsonl"[..], 12));
        assert_eq!(split_item(b"-:3"), (&b"-"[..], 3));
        assert_eq!(split_item(b"x.json#2"), (&b"x.json"[..], 2));
        assert_eq!(split_item(b"x.txt:12"), (&b"x.txt:12"[..], 0));
        assert_eq!(split_item(b"x.jsonl#2"), (&b"x.jsonl#2"[..], 0));
        assert_eq!(split_item(b"x.jsonl:"), (&b"x.jsonl:"[..], 0));
    }
}
