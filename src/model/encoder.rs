//! Sentence encoder: a BERT model (default all-MiniLM-L6-v2) on the CPU, mean-pooled over
//! the attention mask and L2-normalised, like sentence-transformers.
//!
//! Texts are tokenised together, sorted by length and run in batches under a token budget,
//! so short sentences are never padded to the length of long ones.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Encoding, Tokenizer, TruncationParams};

use crate::cancel::Cancel;
use crate::error::{ArticleError, Error, ErrorKind, Result};
use crate::model::files::{self, CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE};

/// Row-major matrix of L2-normalised sentence embeddings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Embeddings {
    /// Width of each row.
    pub dim: usize,
    /// `len() * dim` values.
    pub data: Vec<f32>,
}

impl Embeddings {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
    /// A copy of rows `range` (clamped to the rows there are).
    pub fn rows(&self, range: std::ops::Range<usize>) -> Embeddings {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        Embeddings {
            dim: self.dim,
            data: self.data[start * self.dim..end * self.dim].to_vec(),
        }
    }
    /// Dot product of rows `i` and `j` (cosine similarity, rows being unit length).
    pub fn dot(&self, i: usize, j: usize) -> f32 {
        dot(self.row(i), self.row(j))
    }
    /// Dot product of row `i` with any vector of the same width.
    pub fn dot_with(&self, i: usize, v: &[f32]) -> f32 {
        dot(self.row(i), v)
    }
}

/// Dot product (cosine similarity for unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Bounds on one [`Embedder::embed_within`] call: what one article may cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits<'a> {
    /// Refuse with `too_large` when the texts come to more model tokens than this
    /// (after truncation, special tokens included), before any is run; `None`: no bound.
    pub max_tokens: Option<usize>,
    /// Checked between batches: once set, the call ends with [`Error::interrupted`].
    pub cancel: Option<&'a Cancel>,
}

impl Limits<'_> {
    fn check_cancel(&self) -> Result<()> {
        self.cancel.map_or(Ok(()), Cancel::check)
    }

    /// Err(`too_large`) when `tokens` is over the bound.
    fn check_tokens(&self, tokens: usize) -> Result<()> {
        match self.max_tokens {
            Some(max) if tokens > max => Err(Error::Article(ArticleError::new(
                ErrorKind::TooLarge,
                format!(
                    "the article comes to {tokens} encoder tokens; the limit is {max} \
                     (--max-article-tokens)"
                ),
            ))),
            _ => Ok(()),
        }
    }
}

/// Anything that turns sentences into unit-length vectors. Shared across threads.
pub trait Embedder: Send + Sync {
    /// Embed a batch of texts; row `i` belongs to `texts[i]`.
    fn embed(&self, texts: &[&str]) -> Result<Embeddings> {
        self.embed_within(texts, Limits::default())
    }
    /// [`Self::embed`] within `limits` (an embedder whose cost cannot run away may
    /// ignore them).
    fn embed_within(&self, texts: &[&str], limits: Limits<'_>) -> Result<Embeddings>;
    /// Name and content hash prefix, e.g. `all-MiniLM-L6-v2@53aa5117`.
    fn id(&self) -> String;
}

/// How the encoder tokenises and batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderOptions {
    /// Truncate each text to this many tokens, `[CLS]` and `[SEP]` included (capped at
    /// the model's `max_position_embeddings`). Default 256.
    pub max_tokens: usize,
    /// Token budget per forward pass: rows × longest row ≤ this (a longer single text
    /// still runs alone). Bounds memory and keeps matrix products a cache-friendly size.
    /// Default 4096.
    pub batch_tokens: usize,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions {
            max_tokens: 256,
            batch_tokens: 4096,
        }
    }
}

/// Stage name used in [`Error::Inference`].
const STAGE: &str = "encoder";
/// Lower bound for the L2 norm, as in `torch.nn.functional.normalize`.
const NORM_EPS: f64 = 1e-12;

/// A BERT sentence encoder loaded from a directory holding `config.json`,
/// `tokenizer.json` and `model.safetensors`. Load once and share via `Arc`.
pub struct BertEncoder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    dim: usize,
    max_tokens: usize,
    batch_tokens: usize,
    pad_id: u32,
    id: String,
}

// The pipeline shares one encoder between rayon workers.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<BertEncoder>();
};

impl BertEncoder {
    /// Load the model in `dir`. Missing files give [`Error::ModelMissing`]; unreadable or
    /// inconsistent ones give [`Error::ModelLoad`]; bad options give [`Error::Config`].
    pub fn load(dir: &Path, opts: EncoderOptions) -> Result<Self> {
        if opts.max_tokens < 2 || opts.batch_tokens == 0 {
            return Err(Error::Config(format!(
                "encoder needs max_tokens >= 2 and batch_tokens >= 1 (got {} and {})",
                opts.max_tokens, opts.batch_tokens
            )));
        }
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| super::registry::DEFAULT_ENCODER.to_string());
        files::require(dir, &name)?;
        let config_path = dir.join(CONFIG_FILE);
        let tokenizer_path = dir.join(TOKENIZER_FILE);
        let weights_path = dir.join(WEIGHTS_FILE);
        for path in [&config_path, &tokenizer_path, &weights_path] {
            files::require(path, &name)?;
        }

        let config = read_config(&config_path)?;
        let max_tokens = opts.max_tokens.min(config.max_position_embeddings);
        let tokenizer = read_tokenizer(&tokenizer_path, max_tokens)?;
        let vocab = tokenizer.get_vocab_size(true);
        if vocab > config.vocab_size || config.pad_token_id >= config.vocab_size {
            return Err(load_error(
                &tokenizer_path,
                format!(
                    "tokenizer has {vocab} tokens (pad id {}) but the model only {}",
                    config.pad_token_id, config.vocab_size
                ),
            ));
        }
        let pad_id = u32::try_from(config.pad_token_id)
            .map_err(|_| load_error(&config_path, "pad_token_id out of range"))?;

        let device = Device::Cpu;
        // SAFETY: the weights are memory-mapped; candle copies every tensor out of the map
        // while loading, and models/ files are only ever replaced by rename (models/fetch),
        // never modified in place.
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[&weights_path], DType::F32, &device) }
                .map_err(|e| load_error(&weights_path, e))?;
        // BertModel::load itself accepts names with or without a `bert.` prefix.
        let model = BertModel::load(vb, &config).map_err(|e| load_error(&weights_path, e))?;

        let hash = files::file_sha256(&weights_path)?;
        let id = format!("{name}@{}", hash.get(..8).unwrap_or(&hash));
        Ok(BertEncoder {
            model,
            tokenizer,
            device,
            dim: config.hidden_size,
            max_tokens,
            batch_tokens: opts.batch_tokens,
            pad_id,
            id,
        })
    }

    /// Width of the embeddings.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Effective truncation length in tokens (special tokens included).
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Token ids the model sees for each text (special tokens included, truncated, not
    /// padded).
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        Ok(self
            .encode(texts)?
            .iter()
            .map(|e| e.get_ids().to_vec())
            .collect())
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Encoding>> {
        self.tokenizer
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    /// Token ids and type ids of each text, tokenised [`ENCODE_CHUNK`] texts at a time:
    /// the tokenizer's full encodings (tokens as strings, offsets, and the overflow
    /// beyond `max_tokens`) are dropped chunk by chunk, so memory follows the truncated
    /// ids, not the raw text (2 MB of random punctuation took 662 MB before).
    fn token_ids(&self, texts: &[&str], limits: &Limits<'_>) -> Result<Vec<Tokens>> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(ENCODE_CHUNK) {
            limits.check_cancel()?;
            out.extend(self.encode(chunk)?.iter().map(|e| Tokens {
                ids: e.get_ids().to_vec(),
                type_ids: e.get_type_ids().to_vec(),
            }));
        }
        Ok(out)
    }

    /// Run one batch (indices into `encodings`, ascending length) and write each pooled,
    /// normalised row to its place in `out`.
    fn run_batch(&self, encodings: &[Tokens], batch: &[usize], out: &mut [f32]) -> Result<()> {
        let rows = batch.len();
        let width = batch.iter().map(|&i| encodings[i].len()).max().unwrap_or(0);
        let mut ids = vec![self.pad_id; rows * width];
        let mut type_ids = vec![0u32; rows * width];
        let mut mask = vec![0f32; rows * width];
        for (r, &i) in batch.iter().enumerate() {
            let enc = &encodings[i];
            let n = enc.len();
            let at = r * width;
            ids[at..at + n].copy_from_slice(&enc.ids);
            type_ids[at..at + n].copy_from_slice(&enc.type_ids);
            mask[at..at + n].fill(1.0);
        }
        let pooled = self
            .forward_pool(ids, type_ids, mask, rows, width)
            .map_err(Error::inference(STAGE))?;
        let dim = self.dim;
        for (r, &i) in batch.iter().enumerate() {
            out[i * dim..(i + 1) * dim].copy_from_slice(&pooled[r * dim..(r + 1) * dim]);
        }
        Ok(())
    }

    /// BERT forward, mean pooling over the mask, L2 normalisation; `rows * dim` values.
    fn forward_pool(
        &self,
        ids: Vec<u32>,
        type_ids: Vec<u32>,
        mask: Vec<f32>,
        rows: usize,
        width: usize,
    ) -> candle_core::Result<Vec<f32>> {
        let ids = Tensor::from_vec(ids, (rows, width), &self.device)?;
        let type_ids = Tensor::from_vec(type_ids, (rows, width), &self.device)?;
        let mask = Tensor::from_vec(mask, (rows, width), &self.device)?;
        // BertModel turns the mask into -inf-like biases on padded keys, so padding does
        // not leak into real tokens; pooling then ignores padded positions too.
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
        let summed = hidden.broadcast_mul(&mask.unsqueeze(2)?)?.sum(1)?;
        let counts = mask.sum_keepdim(1)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.maximum(NORM_EPS)?;
        mean.broadcast_div(&norms)?.flatten_all()?.to_vec1()
    }
}

impl Embedder for BertEncoder {
    /// Embed `texts`; an empty slice gives empty embeddings, an empty string a valid row
    /// (`[CLS] [SEP]`). A text the tokenizer turns into no tokens at all (only possible
    /// with a tokenizer that adds no special tokens) gets an all-zero row.
    /// The token bound is checked after tokenising (cheap next to the model: the
    /// model's cost follows the tokens), the cancel flag before each chunk of texts
    /// tokenised and each batch run.
    fn embed_within(&self, texts: &[&str], limits: Limits<'_>) -> Result<Embeddings> {
        let mut data = vec![0f32; texts.len() * self.dim];
        if !texts.is_empty() {
            let encodings = self.token_ids(texts, &limits)?;
            let lens: Vec<usize> = encodings.iter().map(Tokens::len).collect();
            limits.check_tokens(lens.iter().sum())?;
            for batch in plan_batches(&lens, self.batch_tokens) {
                limits.check_cancel()?;
                self.run_batch(&encodings, &batch, &mut data)?;
            }
        }
        Ok(Embeddings {
            dim: self.dim,
            data,
        })
    }

    fn id(&self) -> String {
        self.id.clone()
    }
}

/// Texts tokenised at once by [`BertEncoder::embed`] (bounds the tokenizer's memory).
const ENCODE_CHUNK: usize = 1024;

/// What the model needs of one tokenised text.
struct Tokens {
    ids: Vec<u32>,
    type_ids: Vec<u32>,
}

impl Tokens {
    fn len(&self) -> usize {
        self.ids.len()
    }
}

/// Fixed cost of one forward pass, in tokens: every pass streams all weights through the
/// matrix products (packing them for gemm) whatever the batch holds. Measured on
/// all-MiniLM-L6-v2: a batch of one 27-token sentence costs about as much as 45 tokens in
/// a large batch.
const BATCH_OVERHEAD_TOKENS: usize = 24;

/// Group indices of non-empty rows into batches, rows sorted by length, so that
/// rows × longest ≤ `budget` (a row longer than the budget runs alone) and the total cost,
/// padded tokens plus [`BATCH_OVERHEAD_TOKENS`] per batch, is minimal.
///
/// Dynamic programming over the sorted rows (an optimal batching of sorted rows only cuts
/// them into runs); O(rows × budget / shortest length).
fn plan_batches(lens: &[usize], budget: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lens.len()).filter(|&i| lens[i] > 0).collect();
    order.sort_by_key(|&i| lens[i]);
    let n = order.len();
    // best[j]: least cost of the first j sorted rows; start[j]: where its last batch begins.
    let mut best = vec![usize::MAX; n + 1];
    let mut start = vec![0usize; n + 1];
    best[0] = 0;
    for j in 1..=n {
        let longest = lens[order[j - 1]];
        for i in (0..j).rev() {
            let rows = j - i;
            if rows > 1 && rows * longest > budget {
                break;
            }
            let cost = best[i]
                .saturating_add(rows * longest)
                .saturating_add(BATCH_OVERHEAD_TOKENS);
            if cost < best[j] {
                best[j] = cost;
                start[j] = i;
            }
        }
    }
    let mut batches = Vec::new();
    let mut j = n;
    while j > 0 {
        let i = start[j];
        batches.push(order[i..j].to_vec());
        j = i;
    }
    batches.reverse();
    batches
}

fn load_error(path: &Path, message: impl ToString) -> Error {
    Error::ModelLoad {
        path: PathBuf::from(path),
        message: message.to_string(),
    }
}

/// Parse and sanity-check a BERT `config.json`.
fn read_config(path: &Path) -> Result<Config> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let config: Config = serde_json::from_slice(&bytes).map_err(|e| load_error(path, e))?;
    if let Some(kind) = config.model_type.as_deref() {
        // RoBERTa-style models share the layout but offset their positions: loading one
        // as BERT would silently produce wrong vectors.
        if kind != "bert" {
            return Err(load_error(
                path,
                format!("unsupported model_type `{kind}` (expected `bert`)"),
            ));
        }
    }
    let heads = config.num_attention_heads;
    if config.hidden_size == 0 || heads == 0 || !config.hidden_size.is_multiple_of(heads) {
        return Err(load_error(
            path,
            format!(
                "hidden_size {} is not a positive multiple of num_attention_heads {heads}",
                config.hidden_size
            ),
        ));
    }
    if config.max_position_embeddings < 2 {
        return Err(load_error(path, "max_position_embeddings must be >= 2"));
    }
    Ok(config)
}

/// Load `tokenizer.json`, replacing its own padding/truncation: padding is done per batch
/// here (a fixed 128-token padding would multiply the work for short sentences).
fn read_tokenizer(path: &Path, max_tokens: usize) -> Result<Tokenizer> {
    let mut tokenizer = Tokenizer::from_file(path).map_err(|e| load_error(path, e))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: max_tokens,
            ..Default::default()
        }))
        .map_err(|e| load_error(path, e))?;
    Ok(tokenizer)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;

    fn tiny_model(dir: &Path, bert_prefix: bool) {
        crate::model::testing::write_tiny_bert_with(dir, bert_prefix).unwrap();
    }

    fn load(dir: &Path, max_tokens: usize, batch_tokens: usize) -> BertEncoder {
        BertEncoder::load(
            dir,
            EncoderOptions {
                max_tokens,
                batch_tokens,
            },
        )
        .unwrap()
    }

    fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    const TEXTS: &[&str] = &[
        "The cat sat on the mat.",
        "A dog",
        "",
        "The big red dog ran to the park, and the small cat sat in the house today.",
        "news",
        "It is said in the report: the cats sat, the dogs ran.",
        "Zebras?",
    ];

    fn singles(enc: &BertEncoder, texts: &[&str]) -> Vec<Vec<f32>> {
        texts
            .iter()
            .map(|t| enc.embed(&[t]).unwrap().row(0).to_vec())
            .collect()
    }

    #[test]
    fn embeds_with_unit_norms_in_input_order() {
        let dir = tempfile::tempdir().unwrap();
        tiny_model(dir.path(), false);
        // A small budget forces several batches out of input order.
        let enc = load(dir.path(), 256, 40);
        assert_eq!(enc.dim(), 16);
        assert_eq!(enc.max_tokens(), 64, "capped at max_position_embeddings");
        let lens: Vec<usize> = enc.tokenize(TEXTS).unwrap().iter().map(Vec::len).collect();
        assert!(plan_batches(&lens, 40).len() > 2, "{lens:?}");

        let emb = enc.embed(TEXTS).unwrap();
        assert_eq!(emb.dim, 16);
        assert_eq!(emb.len(), TEXTS.len());
        assert_eq!(emb.data.len(), TEXTS.len() * 16);
        for i in 0..emb.len() {
            let norm = emb.dot(i, i).sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "row {i} norm {norm}");
        }
        // Batched (padded, reordered) rows equal one-at-a-time rows, in input order.
        for (i, single) in singles(&enc, TEXTS).iter().enumerate() {
            let d = max_abs_diff(emb.row(i), single);
            assert!(d < 1e-5, "row {i} differs by {d}");
        }
        // Distinct texts give distinct vectors (rows are not all the same).
        assert!(emb.dot(0, 3) < 0.9999);
    }

    #[test]
    fn batch_size_does_not_change_results() {
        let dir = tempfile::tempdir().unwrap();
        tiny_model(dir.path(), false);
        let one_batch = load(dir.path(), 256, 1 << 20).embed(TEXTS).unwrap();
        let many = load(dir.path(), 256, 1).embed(TEXTS).unwrap();
        assert!(max_abs_diff(&one_batch.data, &many.data) < 1e-5);
    }

    #[test]
    fn tokenizer_padding_is_off_and_truncation_is_max_tokens() {
        let dir = tempfile::tempdir().unwrap();
        tiny_model(dir.path(), false);
        let enc = load(dir.path(), 32, 4096);
        let ids = enc.tokenize(&["the cat", "", "cats"]).unwrap();
        // Not padded to the file's fixed 24.
        assert_eq!(ids, vec![vec![2, 4, 5, 3], vec![2, 3], vec![2, 5, 16, 3]]);

        let long = "the cat sat on the mat . ".repeat(40);
        let ids = enc.tokenize(&[&long]).unwrap();
        assert_eq!(
            ids[0].len(),
            32,
            "truncated at max_tokens, not the file's 24"
        );
        assert_eq!((ids[0][0], ids[0][31]), (2, 3), "specials kept");
        let emb = enc.embed(&[&long, "the cat"]).unwrap();
        assert_eq!(emb.len(), 2);
        assert!((emb.dot(0, 0) - 1.0).abs() < 1e-5);

        // Longer than max_position_embeddings with the default max_tokens: capped, no error.
        let enc = load(dir.path(), 256, 4096);
        let huge = "dog ".repeat(25_000);
        assert_eq!(enc.tokenize(&[&huge]).unwrap()[0].len(), 64);
        assert_eq!(enc.embed(&[&huge]).unwrap().len(), 1);
    }

    #[test]
    fn empty_input_and_empty_string() {
        let dir = tempfile::tempdir().unwrap();
        tiny_model(dir.path(), false);
        let enc = load(dir.path(), 256, 4096);
        let none = enc.embed(&[]).unwrap();
        assert!(none.is_empty());
        assert_eq!(none.data.len(), 0);
        let one = enc.embed(&[""]).unwrap();
        assert_eq!(one.len(), 1);
        assert!((one.dot(0, 0) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn loads_weights_with_bert_prefix() {
        let plain = tempfile::tempdir().unwrap();
        let prefixed = tempfile::tempdir().unwrap();
        tiny_model(plain.path(), false);
        tiny_model(prefixed.path(), true);
        for dir in [plain.path(), prefixed.path()] {
            let enc = load(dir, 256, 4096);
            assert_eq!(enc.embed(TEXTS).unwrap().len(), TEXTS.len());
        }
    }

    #[test]
    fn id_is_dir_name_and_weights_hash_prefix() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("tiny-bert");
        tiny_model(&dir, false);
        let hash = files::file_sha256(&dir.join(WEIGHTS_FILE)).unwrap();
        let enc = load(&dir, 256, 4096);
        assert_eq!(enc.id(), format!("tiny-bert@{}", &hash[..8]));
    }

    #[test]
    fn shared_across_threads() {
        let dir = tempfile::tempdir().unwrap();
        tiny_model(dir.path(), false);
        let enc = Arc::new(load(dir.path(), 256, 64));
        let expected = enc.embed(TEXTS).unwrap();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let enc = Arc::clone(&enc);
                    s.spawn(move || {
                        // Each thread uses a different rotation, so batches differ.
                        let mut texts = TEXTS.to_vec();
                        texts.rotate_left(t);
                        (t, enc.embed(&texts).unwrap())
                    })
                })
                .collect();
            for h in handles {
                let (t, emb) = h.join().unwrap();
                for i in 0..TEXTS.len() {
                    let j = (i + t) % TEXTS.len();
                    assert!(max_abs_diff(emb.row(i), expected.row(j)) < 1e-5);
                }
            }
        });
    }

    #[test]
    fn missing_files_are_model_missing() {
        let root = tempfile::tempdir().unwrap();
        let absent = root.path().join("all-MiniLM-L6-v2");
        match BertEncoder::load(&absent, EncoderOptions::default()) {
            Err(Error::ModelMissing { name, path }) => {
                assert_eq!(name, "all-MiniLM-L6-v2");
                assert_eq!(path, absent);
            }
            other => panic!("expected ModelMissing, got {:?}", other.err()),
        }
        for file in [CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE] {
            let dir = root.path().join(file.replace('.', "-"));
            tiny_model(&dir, false);
            std::fs::remove_file(dir.join(file)).unwrap();
            match BertEncoder::load(&dir, EncoderOptions::default()) {
                Err(Error::ModelMissing { path, .. }) => assert_eq!(path, dir.join(file)),
                other => panic!("{file}: expected ModelMissing, got {:?}", other.err()),
            }
        }
    }

    #[test]
    fn corrupt_files_are_model_load_errors() {
        let root = tempfile::tempdir().unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                WEIGHTS_FILE,
                b"\x10\x00\x00\x00\x00\x00\x00\x00{not json".to_vec(),
            ),
            (WEIGHTS_FILE, b"short".to_vec()),
            (TOKENIZER_FILE, b"{\"model\": 3}".to_vec()),
            (CONFIG_FILE, b"{\"hidden_size\": 16}".to_vec()),
        ];
        for (n, (file, bytes)) in cases.into_iter().enumerate() {
            let dir = root.path().join(format!("m{n}"));
            tiny_model(&dir, false);
            std::fs::write(dir.join(file), bytes).unwrap();
            match BertEncoder::load(&dir, EncoderOptions::default()) {
                Err(Error::ModelLoad { path, .. }) => assert_eq!(path, dir.join(file)),
                other => panic!("{file}: expected ModelLoad, got {:?}", other.err()),
            }
        }
        // Well-formed safetensors lacking the model's tensors.
        let dir = root.path().join("wrong-tensors");
        tiny_model(&dir, false);
        let t = Tensor::zeros((2, 2), DType::F32, &Device::Cpu).unwrap();
        candle_core::safetensors::save(&HashMap::from([("x", t)]), dir.join(WEIGHTS_FILE)).unwrap();
        assert!(matches!(
            BertEncoder::load(&dir, EncoderOptions::default()),
            Err(Error::ModelLoad { .. })
        ));
    }

    #[test]
    fn rejects_inconsistent_configs_and_options() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("m");
        tiny_model(&dir, false);
        let config_path = dir.join(CONFIG_FILE);
        let original: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
        for (key, value) in [
            ("model_type", serde_json::json!("roberta")),
            ("num_attention_heads", serde_json::json!(3)),
            ("vocab_size", serde_json::json!(10)),
        ] {
            let mut config = original.clone();
            config[key] = value;
            std::fs::write(&config_path, config.to_string()).unwrap();
            assert!(
                matches!(
                    BertEncoder::load(&dir, EncoderOptions::default()),
                    Err(Error::ModelLoad { .. })
                ),
                "{key}"
            );
        }
        std::fs::write(&config_path, original.to_string()).unwrap();
        for (max_tokens, batch_tokens) in [(1, 4096), (256, 0)] {
            let opts = EncoderOptions {
                max_tokens,
                batch_tokens,
            };
            assert!(matches!(
                BertEncoder::load(&dir, opts),
                Err(Error::Config(_))
            ));
        }
    }

    fn cost(lens: &[usize], batches: &[Vec<usize>]) -> usize {
        batches
            .iter()
            .map(|b| b.len() * b.iter().map(|&i| lens[i]).max().unwrap() + BATCH_OVERHEAD_TOKENS)
            .sum()
    }

    #[test]
    fn batches_respect_the_budget_and_cover_every_row_once() {
        let lens = [5, 0, 12, 3, 40, 7, 7, 100, 2];
        let batches = plan_batches(&lens, 24);
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, vec![0, 2, 3, 4, 5, 6, 7, 8], "empty row 1 skipped");
        for b in &batches {
            let longest = b.iter().map(|&i| lens[i]).max().unwrap();
            assert!(b.len() == 1 || b.len() * longest <= 24, "{b:?}");
        }
        assert!(plan_batches(&[], 24).is_empty());
        assert!(plan_batches(&[0, 0], 24).is_empty());
    }

    #[test]
    fn batches_group_similar_lengths_and_split_costly_padding() {
        // Equal lengths: one batch up to the budget.
        assert_eq!(
            plan_batches(&[10; 8], 4096),
            vec![(0..8).collect::<Vec<_>>()]
        );
        assert_eq!(plan_batches(&[10; 8], 40).len(), 2);
        // One long row would pad seven short ones by 190 tokens each: run it alone.
        let lens = [10, 10, 200, 10, 10, 10, 10, 10];
        assert_eq!(
            plan_batches(&lens, 4096),
            vec![vec![0, 1, 3, 4, 5, 6, 7], vec![2]]
        );
        // Slightly different lengths are not worth an extra pass.
        let lens = [20, 21, 22, 23];
        assert_eq!(plan_batches(&lens, 4096).len(), 1);
    }

    #[test]
    fn batch_plan_is_no_worse_than_greedy_filling() {
        // Pseudo-random lengths like an article's sentences (5..=80 tokens).
        let mut x = 12345u64;
        let lens: Vec<usize> = (0..300)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                5 + (x >> 33) as usize % 76
            })
            .collect();
        let plan = plan_batches(&lens, 4096);
        let mut order: Vec<usize> = (0..lens.len()).collect();
        order.sort_by_key(|&i| lens[i]);
        let mut greedy: Vec<Vec<usize>> = vec![vec![]];
        for i in order {
            let cur = greedy.last_mut().unwrap();
            if !cur.is_empty() && (cur.len() + 1) * lens[i] > 4096 {
                greedy.push(vec![]);
            }
            greedy.last_mut().unwrap().push(i);
        }
        assert!(cost(&lens, &plan) <= cost(&lens, &greedy));
        let padded: usize = cost(&lens, &plan) - plan.len() * BATCH_OVERHEAD_TOKENS;
        let real: usize = lens.iter().sum();
        assert!(padded * 100 <= real * 105, "padding {padded} vs {real}");
    }
}
