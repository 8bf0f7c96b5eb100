//! criterion benches of the hot paths, so regressions show: cleaning and segmenting
//! an article, one encoder batch, the int8 matrix product at decode and prefill
//! batch sizes, one decode step. Tiny in-process models always;
//! the real ones too when the models folder (`BRIEF_MODELS`, else `./models`) has them.
//!
//! `cargo bench --bench hot_paths` (set `RAYON_NUM_THREADS=1 CANDLE_NUM_THREADS=1`
//! to measure one worker, as `brief` runs its models).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use brief::model::encoder::{BertEncoder, EncoderOptions};
use brief::model::gguf::GgufFile;
use brief::model::int8::Int8Matrix;
use brief::model::transformer::{Transformer, WeightFormat};
use brief::model::Embedder;
use brief::text::{clean, segment};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn article(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).expect("article in the repository")
}

fn text_paths(c: &mut Criterion) {
    let mut g = c.benchmark_group("text");
    for (name, rel) in [
        ("bbc", "corpus/articles/bbc/tech/001.txt"),
        ("seed", "corpus/articles/seed/moscow-pyongyang-history.txt"),
    ] {
        let body = article(rel);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(format!("clean/{name}"), |b| {
            b.iter(|| clean(black_box(&body), None))
        });
        let text = clean(&body, None).text;
        g.bench_function(format!("segment/{name}"), |b| {
            b.iter(|| segment(black_box(&text)))
        });
    }
    g.finish();
}

/// The sentences of a BBC story, as the encoder gets them.
fn bbc_sentences() -> Vec<String> {
    let text = clean(&article("corpus/articles/bbc/tech/001.txt"), None).text;
    segment(&text)
        .iter()
        .map(|s| text[s.start..s.end].to_string())
        .collect()
}

fn encode_batch(c: &mut Criterion, name: &str, dir: &Path) {
    let encoder = BertEncoder::load(dir, EncoderOptions::default()).expect("encoder");
    let sentences = bbc_sentences();
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("encoder");
    g.throughput(Throughput::Elements(refs.len() as u64));
    g.bench_function(format!("bbc-article/{name}"), |b| {
        b.iter(|| encoder.embed(black_box(&refs)).expect("embed"))
    });
    g.finish();
}

fn encoder(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("all-MiniLM-L6-v2");
    brief::model::testing::write_tiny_bert(&dir).expect("tiny bert");
    encode_batch(c, "tiny", &dir);
    let real = brief::model::files::models_dir().join("all-MiniLM-L6-v2");
    if real.join("model.safetensors").exists() {
        encode_batch(c, "all-MiniLM-L6-v2", &real);
    }
}

/// The int8 product on Qwen2.5-0.5B's FFN shape (4864 × 896) for 1 row (one decode
/// step), 8 rows (a decode step of a group of articles) and 64 rows (prefill):
/// multiply-accumulates per second show whether it is bound by memory or arithmetic.
fn int8_matmul(c: &mut Criterion) {
    let (n, k) = (4864, 896);
    let fill = |len: usize, seed: usize| -> Vec<f32> {
        (0..len)
            .map(|i| ((i * seed) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    };
    let w = Int8Matrix::quantize(&fill(n * k, 7919), n, k);
    let mut g = c.benchmark_group("int8-matmul");
    for m in [1, 8, 64] {
        let x = fill(m * k, 104729);
        g.throughput(Throughput::Elements((m * n * k) as u64));
        g.bench_function(format!("4864x896/rows-{m}"), |b| {
            b.iter(|| w.matmul(black_box(&x), m))
        });
    }
    g.finish();
}

/// One decode step (a single token through the model with a 300-token context), the
/// unit of generation cost, in the format generators load with.
fn decode_step(c: &mut Criterion, name: &str, path: &Path) {
    let gguf = GgufFile::open(path).expect("gguf");
    let model = Transformer::load(&gguf, WeightFormat::Int8).expect("model");
    let context = model.config().context_length.min(300);
    let prompt: Vec<u32> = (0..context as u32).map(|i| 3 + i % 200).collect();
    let mut cache = model.new_cache(context + 8).expect("cache");
    model.forward(&prompt, &mut cache).expect("prefill");
    let limit = context + 8;
    c.bench_function(&format!("decode-step/{name}"), |b| {
        b.iter_batched(
            || cache.fork(1, limit).expect("fork"),
            |mut kv| model.forward(black_box(&[42]), &mut kv).expect("step"),
            BatchSize::SmallInput,
        )
    });
}

fn generator(c: &mut Criterion) {
    use brief::model::tiny::{write_tiny_gguf, TinySpec};
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("tiny.gguf");
    let spec = TinySpec {
        context_length: 512,
        ..TinySpec::new("llama", 1)
    };
    write_tiny_gguf(&path, &spec).expect("tiny gguf");
    decode_step(c, "tiny", &path);
    let models = brief::model::files::models_dir();
    for k in brief::model::registry::KNOWN_GENERATORS {
        let real = models.join(k.dir).join(k.file);
        if real.exists() {
            decode_step(c, k.name, &real);
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = text_paths, encoder, int8_matmul, generator
}
criterion_main!(benches);
