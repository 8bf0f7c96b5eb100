//! criterion benches of the hot paths, so regressions show: cleaning and segmenting
//! an article, one encoder batch, one decode step. Tiny in-process models always;
//! the real ones too when the models folder (`BRIEF_MODELS`, else `./models`) has them.
//!
//! `cargo bench --bench hot_paths` (set `RAYON_NUM_THREADS=1 CANDLE_NUM_THREADS=1`
//! to measure one worker, as `brief` runs its models).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use brief::model::encoder::{BertEncoder, EncoderOptions};
use brief::model::gguf::GgufFile;
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

/// One decode step (a single token through the model with a 300-token context), the
/// unit of generation cost. Quantized weights: the format decode runs on.
fn decode_step(c: &mut Criterion, name: &str, path: &Path) {
    let gguf = GgufFile::open(path).expect("gguf");
    let model = Transformer::load(&gguf, WeightFormat::Quantized).expect("model");
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
    for (short, dir, file) in brief::extract::abstractive::KNOWN_GENERATORS {
        let real = models.join(dir).join(file);
        if real.exists() {
            decode_step(c, short, &real);
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = text_paths, encoder, generator
}
criterion_main!(benches);
