//! Test access to the real-text corpus copied into `tests/fixtures/corpus`.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

/// The seed article.
pub(crate) fn seed() -> String {
    let p = root().join("seed/moscow-pyongyang-history.txt");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every BBC article as (relative name, text), sorted by name.
pub(crate) fn bbc() -> Vec<(String, String)> {
    let dir = root().join("bbc/article");
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "txt") {
            let name = entry
                .path()
                .strip_prefix(&dir)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let text = std::fs::read_to_string(entry.path())
                .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
            out.push((name, text));
        }
    }
    assert_eq!(
        out.len(),
        100,
        "expected 100 BBC articles in {}",
        dir.display()
    );
    out
}

/// The seed plus every BBC article.
pub(crate) fn all() -> Vec<(String, String)> {
    let mut v = vec![("seed".to_string(), seed())];
    v.extend(bbc());
    v
}
