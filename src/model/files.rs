//! Locating model files and identifying them by content hash.
//!
//! `models/fetch` writes a `<file>.sha256` sidecar next to every file it verified:
//!
//! ```text
//! <64 hex digits>  <file name>
//! size <bytes> mtime_ns <nanoseconds since the Unix epoch>
//! ```
//!
//! The hash is trusted only while the file's size and modification time still match the
//! second line, so a replaced or edited file is hashed again instead of misreported.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use serde_json::Value;

use super::gguf::load_error;
use crate::error::{Error, Result};

/// Environment variable that overrides where models are looked for.
pub const MODELS_ENV: &str = "BRIEF_MODELS";
/// Name of the models folder (in the working directory or the repository).
pub const MODELS_DIR_NAME: &str = "models";
/// Model configuration file inside a safetensors model directory.
pub const CONFIG_FILE: &str = "config.json";
/// Tokenizer file inside a safetensors model directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Weights file inside a safetensors model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Index of a sharded checkpoint (`weight_map`: tensor name → shard file).
pub const INDEX_FILE: &str = "model.safetensors.index.json";
/// Suffix of the checksum sidecar written by `models/fetch`.
pub const SIDECAR_SUFFIX: &str = ".sha256";

/// The folder holding the models.
///
/// `$BRIEF_MODELS` when set (and non-empty); else the first existing of `./models` and
/// `models/` in any ancestor of the running executable's folder (so
/// `target/release/brief` finds the repository's `models/` from any working directory);
/// else `./models`, which then produces a "run models/fetch" error when used.
pub fn models_dir() -> PathBuf {
    let exe = std::env::current_exe().ok();
    resolve_models_dir(
        std::env::var_os(MODELS_ENV),
        PathBuf::from(MODELS_DIR_NAME),
        exe.as_deref(),
    )
}

/// [`models_dir`] with its inputs made explicit (testable without touching the process
/// environment or working directory): `local` is the `./models` candidate.
fn resolve_models_dir(env: Option<OsString>, local: PathBuf, exe: Option<&Path>) -> PathBuf {
    if let Some(dir) = env.filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if local.is_dir() {
        return local;
    }
    if let Some(exe_dir) = exe.and_then(Path::parent) {
        for ancestor in exe_dir.ancestors() {
            let candidate = ancestor.join(MODELS_DIR_NAME);
            if candidate.is_dir() {
                return candidate;
            }
        }
    }
    local
}

/// Fail with [`Error::ModelMissing`] (whose message says to run `models/fetch`) unless
/// `path` exists.
pub fn require(path: &Path, name: &str) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(Error::ModelMissing {
            name: name.to_string(),
            path: path.to_path_buf(),
        })
    }
}

/// Path of the checksum sidecar for `path` (`<path>.sha256`).
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(SIDECAR_SUFFIX);
    PathBuf::from(name)
}

/// Lower-case hex sha256 of a file: read from its `models/fetch` sidecar when that still
/// describes the file (same name, size and mtime), else computed by streaming the file.
pub fn file_sha256(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if let Some(hex) = sidecar_hash(path, &meta) {
        return Ok(hex);
    }
    hash_file(path)
}

/// The hash recorded in the sidecar, if the sidecar exists, parses and matches `meta`.
fn sidecar_hash(path: &Path, meta: &Metadata) -> Option<String> {
    let text = std::fs::read_to_string(sidecar_path(path)).ok()?;
    let (hex, name, size, mtime_ns) = parse_sidecar(&text)?;
    let file_name = path.file_name()?.to_str()?;
    let actual_mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    (name == file_name && size == meta.len() && mtime_ns == actual_mtime.as_nanos())
        .then(|| hex.to_string())
}

/// Split a sidecar into (hex, file name, size, mtime in ns); `None` if malformed.
fn parse_sidecar(text: &str) -> Option<(&str, &str, u64, u128)> {
    let mut lines = text.lines();
    let (hex, name) = lines.next()?.split_once("  ")?;
    let valid_hex = hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !valid_hex {
        return None;
    }
    let mut fields = lines.next()?.split_ascii_whitespace();
    let size = match (fields.next()?, fields.next()?) {
        ("size", v) => v.parse().ok()?,
        _ => return None,
    };
    let mtime_ns = match (fields.next()?, fields.next()?) {
        ("mtime_ns", v) => v.parse().ok()?,
        _ => return None,
    };
    Some((hex, name, size, mtime_ns))
}

/// Stream a file through sha256.
fn hash_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Parse `dir/name` as JSON; a missing file or bad JSON is a load error.
pub fn read_json(dir: &Path, name: &str) -> Result<Value> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| load_error(dir, format!("cannot read {name}: {e}")))?;
    serde_json::from_str(&text)
        .map_err(|e| load_error(dir, format!("{name} is not valid JSON: {e}")))
}

/// The safetensors files holding the weights: `model.safetensors`, else the shards
/// named by `model.safetensors.index.json`, in a stable order.
pub fn weight_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let single = dir.join(WEIGHTS_FILE);
    if single.is_file() {
        return Ok(vec![single]);
    }
    if !dir.join(INDEX_FILE).is_file() {
        return Err(load_error(
            dir,
            format!("no {WEIGHTS_FILE} and no {INDEX_FILE} (only safetensors weights are read)"),
        ));
    }
    let index = read_json(dir, INDEX_FILE)?;
    let map = index
        .get("weight_map")
        .and_then(Value::as_object)
        .ok_or_else(|| load_error(dir, format!("{INDEX_FILE} has no `weight_map` object")))?;
    let mut names: Vec<&str> = map
        .values()
        .map(|v| {
            v.as_str().ok_or_else(|| {
                load_error(dir, format!("{INDEX_FILE}: shard names must be strings"))
            })
        })
        .collect::<Result<_>>()?;
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Err(load_error(dir, format!("{INDEX_FILE} lists no shards")));
    }
    names
        .into_iter()
        .map(|name| {
            // Shards live in the directory itself: no separators, no `..`.
            let plain = Path::new(name).file_name().is_some_and(|f| f == name) && name != "..";
            let path = dir.join(name);
            if !plain {
                Err(load_error(
                    dir,
                    format!("{INDEX_FILE}: bad shard name {name:?}"),
                ))
            } else if !path.is_file() {
                Err(load_error(dir, format!("missing shard {name}")))
            } else {
                Ok(path)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::registry::DEFAULT_ENCODER;

    const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn write_sidecar(path: &Path, hex: &str) {
        let meta = std::fs::metadata(path).unwrap();
        let mtime = meta.modified().unwrap().duration_since(UNIX_EPOCH).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = format!(
            "{hex}  {name}\nsize {} mtime_ns {}\n",
            meta.len(),
            mtime.as_nanos()
        );
        std::fs::write(sidecar_path(path), text).unwrap();
    }

    #[test]
    fn hashes_a_file_without_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(file_sha256(&path).unwrap(), ABC_SHA256);
    }

    #[test]
    fn hashes_files_larger_than_the_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let data: Vec<u8> = (0..(3 << 20) + 7).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let expected: String = Sha256::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(file_sha256(&path).unwrap(), expected);
    }

    #[test]
    fn trusts_a_matching_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        std::fs::write(&path, b"abc").unwrap();
        // A recorded hash that differs from the content proves the file was not re-read.
        let recorded = "0".repeat(64);
        write_sidecar(&path, &recorded);
        assert_eq!(file_sha256(&path).unwrap(), recorded);
    }

    #[test]
    fn ignores_a_stale_or_foreign_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        std::fs::write(&path, b"abc").unwrap();
        write_sidecar(&path, &"0".repeat(64));
        // Same size, different mtime: the sidecar no longer describes the file.
        let file = File::options().write(true).open(&path).unwrap();
        file.set_modified(UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
            .unwrap();
        drop(file);
        assert_eq!(file_sha256(&path).unwrap(), ABC_SHA256);

        // A sidecar for another file name is not trusted either.
        let other = dir.path().join("other.bin");
        std::fs::write(&other, b"abc").unwrap();
        write_sidecar(&other, &"0".repeat(64));
        std::fs::rename(sidecar_path(&other), sidecar_path(&path)).unwrap();
        assert_eq!(file_sha256(&path).unwrap(), ABC_SHA256);
    }

    #[test]
    fn rejects_malformed_sidecars() {
        let good = format!("{}  w.bin\nsize 3 mtime_ns 5\n", "a".repeat(64));
        assert_eq!(
            parse_sidecar(&good),
            Some(("a".repeat(64).as_str(), "w.bin", 3, 5))
        );
        for bad in [
            "",
            "abc  w.bin\nsize 3 mtime_ns 5",
            &format!("{}  w.bin", "a".repeat(64)),
            &format!("{}  w.bin\nsize x mtime_ns 5", "a".repeat(64)),
            &format!("{}  w.bin\nmtime_ns 5 size 3", "a".repeat(64)),
            &format!("{} w.bin\nsize 3 mtime_ns 5", "a".repeat(64)),
            &format!("{}  w.bin\nsize 3 mtime_ns 5", "A".repeat(64)),
        ] {
            assert_eq!(parse_sidecar(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = file_sha256(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }

    #[test]
    fn require_reports_model_missing_with_fetch_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DEFAULT_ENCODER);
        let err = require(&path, DEFAULT_ENCODER).unwrap_err();
        match &err {
            Error::ModelMissing { name, path: p } => {
                assert_eq!(name, DEFAULT_ENCODER);
                assert_eq!(p, &path);
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(err.to_string().contains("models/fetch"), "{err}");
        std::fs::create_dir(&path).unwrap();
        require(&path, DEFAULT_ENCODER).unwrap();
    }

    #[test]
    fn models_dir_prefers_env_then_local_then_exe_ancestors() {
        let repo = tempfile::tempdir().unwrap();
        let repo = repo.path();
        let cwd = tempfile::tempdir().unwrap();
        let local = cwd.path().join(MODELS_DIR_NAME);
        let exe = repo.join("target/release/brief");
        std::fs::create_dir_all(repo.join("target/release")).unwrap();

        assert_eq!(
            resolve_models_dir(Some("/x/y".into()), local.clone(), Some(&exe)),
            PathBuf::from("/x/y")
        );
        // Nothing exists yet: fall back to `./models` (unless a real ancestor of the
        // temp dir happens to hold a models/ folder).
        if !repo.ancestors().any(|a| a.join(MODELS_DIR_NAME).is_dir()) {
            assert_eq!(resolve_models_dir(None, local.clone(), Some(&exe)), local);
        }
        std::fs::create_dir(repo.join(MODELS_DIR_NAME)).unwrap();
        // An empty variable counts as unset.
        assert_eq!(
            resolve_models_dir(Some(OsString::new()), local.clone(), Some(&exe)),
            repo.join(MODELS_DIR_NAME)
        );
        std::fs::create_dir(&local).unwrap();
        assert_eq!(resolve_models_dir(None, local.clone(), Some(&exe)), local);
    }
}
