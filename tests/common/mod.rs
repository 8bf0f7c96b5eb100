//! Shared helpers for the end-to-end tests: run the real binary, read its output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use brief::output::Record;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real models folder, if the default encoder has been fetched.
pub fn real_models() -> Option<PathBuf> {
    let dir = brief::model::files::models_dir();
    dir.join("all-MiniLM-L6-v2/model.safetensors")
        .exists()
        .then_some(dir)
}

/// Run `brief` with `args`, optional stdin, and return its output.
pub fn brief(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_brief"));
    cmd.args(args)
        .current_dir(root())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn brief");
    if let Some(input) = stdin {
        use std::io::Write;
        let mut s = child.stdin.take().expect("stdin");
        s.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("wait for brief")
}

/// Start `brief` with `args` in the background (no stdin, output captured).
pub fn spawn_brief(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_brief"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn brief")
}

/// Write the tiny test encoder under `dir` (as `all-MiniLM-L6-v2`); returns the
/// models folder to pass as `--models`.
pub fn tiny_models(dir: &Path) -> String {
    brief::model::testing::write_tiny_bert(&dir.join("all-MiniLM-L6-v2")).expect("tiny model");
    dir.display().to_string()
}

/// A tiny random-weight GGUF generator (qwen2 type) with room for real prompts.
pub fn tiny_generator(dir: &Path) -> String {
    use brief::model::tiny::{write_tiny_gguf, TinySpec};
    let path = dir.join("tiny-qwen2.gguf");
    let spec = TinySpec {
        context_length: 8192,
        ..TinySpec::new("qwen2", 7)
    };
    write_tiny_gguf(&path, &spec).expect("tiny gguf");
    path.display().to_string()
}

/// The names in folder `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

/// Read `OUT/manifest.json`.
pub fn read_manifest(out: &Path) -> brief::output::Manifest {
    let text = std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest parses")
}

/// Assert the exit code, showing stderr when it is not the expected one.
pub fn expect_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Parse JSON lines into typed records (fails the test on any malformed line).
pub fn records(jsonl: &str) -> Vec<Record> {
    jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<Record>(l).unwrap_or_else(|e| panic!("bad record {e}: {l}"))
        })
        .collect()
}

/// Read `OUT/results.jsonl`.
pub fn read_results(out: &Path) -> (String, Vec<Record>) {
    let s = std::fs::read_to_string(out.join("results.jsonl")).expect("results.jsonl");
    let r = records(&s);
    (s, r)
}

/// Validate every line against the JSON Schema in the repository.
pub fn validate_schema(jsonl: &str) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/record.schema.json")).expect("schema file"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    for line in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "schema violations {errors:?} in {line}");
    }
}
