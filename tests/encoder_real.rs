//! The real all-MiniLM-L6-v2 against a PyTorch reference. Needs `models/fetch` (or
//! `BRIEF_MODELS=DIR`); without the model every test prints a skip message and passes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use brief::model::files;
use brief::model::registry::DEFAULT_ENCODER as ENCODER_DIR;
use brief::model::{BertEncoder, Embedder, EncoderOptions};
use rayon::prelude::*;
use serde::Deserialize;

/// Written by transformers + torch (fp32, CPU): per-batch padding, truncation 256, mean
/// pooling over the attention mask, L2-normalised.
#[derive(Deserialize)]
struct Reference {
    sentences: Vec<String>,
    token_ids: Vec<Vec<u32>>,
    embeddings: Vec<Vec<f32>>,
    cosine: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoder/minilm-reference.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn model_dir() -> Option<PathBuf> {
    let dir = files::models_dir().join(ENCODER_DIR);
    if dir.join(files::WEIGHTS_FILE).exists() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: models/{ENCODER_DIR} not found — run models/fetch (looked in {})",
            dir.display()
        );
        None
    }
}

fn load(dir: &Path) -> BertEncoder {
    BertEncoder::load(dir, EncoderOptions::default()).unwrap()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn matches_the_pytorch_reference() {
    let Some(dir) = model_dir() else { return };
    let enc = load(&dir);
    let r = reference();
    let texts: Vec<&str> = r.sentences.iter().map(String::as_str).collect();

    assert_eq!(enc.id(), "all-MiniLM-L6-v2@53aa5117");
    assert_eq!(enc.dim(), 384);
    assert_eq!(enc.tokenize(&texts).unwrap(), r.token_ids);

    let emb = enc.embed(&texts).unwrap();
    assert_eq!(emb.len(), texts.len());
    for (i, want) in r.embeddings.iter().enumerate() {
        let d = max_abs_diff(emb.row(i), want);
        assert!(d <= 1e-4, "embedding {i} ({:?}) differs by {d}", texts[i]);
    }
    for (i, row) in r.cosine.iter().enumerate() {
        for (j, want) in row.iter().enumerate() {
            let got = emb.dot(i, j);
            assert!(
                (got - want).abs() <= 1e-4,
                "cosine({i},{j}) = {got}, want {want}"
            );
        }
    }
}

#[test]
fn batched_equals_one_at_a_time() {
    let Some(dir) = model_dir() else { return };
    let enc = load(&dir);
    let r = reference();
    let long = r.sentences.join(" ").repeat(8); // > 256 tokens: truncated
    let mut texts: Vec<&str> = r.sentences.iter().map(String::as_str).collect();
    texts.extend(["", &long]);
    let batched = enc.embed(&texts).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let single = enc.embed(&[text]).unwrap();
        let d = max_abs_diff(batched.row(i), single.row(0));
        assert!(d <= 1e-5, "row {i} differs by {d}");
    }
    assert_eq!(enc.tokenize(&[&long]).unwrap()[0].len(), 256);
}

/// Throughput on a folder of articles (first line = headline, skipped; one sentence or
/// paragraph per remaining non-empty line). Run with e.g.
/// `BRIEF_BENCH_CORPUS=/path/to/bbc/article RAYON_NUM_THREADS=2 cargo test --test
/// encoder_real -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark: needs BRIEF_BENCH_CORPUS and the real model"]
fn throughput() {
    let Some(dir) = model_dir() else { return };
    let Some(corpus) = std::env::var_os("BRIEF_BENCH_CORPUS") else {
        eprintln!("skipping: set BRIEF_BENCH_CORPUS to a folder of .txt articles");
        return;
    };
    let mut articles: Vec<Vec<String>> = Vec::new();
    let mut paths: Vec<PathBuf> = walk(Path::new(&corpus));
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<String> = text
            .lines()
            .skip(1)
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        articles.push(lines);
    }
    let all: Vec<&str> = articles.iter().flatten().map(String::as_str).collect();
    let enc = load(&dir);
    let tokens: usize = enc.tokenize(&all).unwrap().iter().map(Vec::len).sum();
    enc.embed(&all[..all.len().min(64)]).unwrap(); // warm-up
    let threads = rayon::current_num_threads();

    let t = Instant::now();
    let c = cpu_seconds();
    let emb = enc.embed(&all).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c;
    assert_eq!(emb.len(), all.len());
    eprintln!(
        "one call: {} sentences ({} tokens) in {secs:.2}s = {:.1} sentences/s, {:.0} tokens/s; \
         {cpu:.1} CPU-s = {:.1} sentences per CPU-second ({threads} threads)",
        all.len(),
        tokens,
        all.len() as f64 / secs,
        tokens as f64 / secs,
        all.len() as f64 / cpu
    );

    let t = Instant::now();
    let c = cpu_seconds();
    let rows: usize = articles
        .par_iter()
        .map(|a| {
            let texts: Vec<&str> = a.iter().map(String::as_str).collect();
            enc.embed(&texts).unwrap().len()
        })
        .sum();
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c;
    assert_eq!(rows, all.len());
    eprintln!(
        "per article, rayon: {} articles in {secs:.2}s = {:.1} sentences/s; \
         {:.1} sentences per CPU-second ({threads} threads)",
        articles.len(),
        all.len() as f64 / secs,
        all.len() as f64 / cpu
    );
}

/// User + system CPU time of this process (Linux `/proc`; NaN elsewhere). On a shared
/// machine, work per CPU-second is steadier than wall-clock rates.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return f64::NAN;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        // The kernel reports clock ticks, 100 per second on Linux.
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "txt"))
        .map(|e| e.into_path())
        .collect()
}
