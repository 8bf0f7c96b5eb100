//! Decoder-only transformer for the `llama` and `qwen2` GGUF architectures with
//! the KV cache held outside the weights.
//!
//! The layer structure follows candle-transformers' `quantized_llama` /
//! `quantized_qwen2` (Apache-2.0 / MIT, © the candle authors). Differences that
//! motivated having our own copy:
//! - weights are immutable and shared; each sequence owns a [`KvCache`], so one
//!   loaded model serves many threads and a prompt prefix's cache can be forked
//!   for every article;
//! - each projection holds one representation of its weights: 8-bit blocks for
//!   brief's own int8 kernel, which serves prefill and batched decode with one copy
//!   (the default for GGUF), or a dense f32/f16 matrix (float checkpoints);
//! - grouped-query attention without materialising repeated K/V, a preallocated
//!   cache written in place, prefill in chunks to bound attention memory, and
//!   every shape checked against the config at load time.

use std::cell::RefCell;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Tensor};

use super::gguf::{load_error, GgufFile};
use super::int8::Int8Matrix;
use crate::error::{Error, Result};

/// How projection weights are held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightFormat {
    /// Dequantised to f32: exact, 4 bytes per weight. What a float (Hugging Face)
    /// checkpoint loads as when its f32 layer weights fit
    /// [`super::generator::LoadOptions::dense_budget_bytes`].
    F32,
    /// Dequantised to f16: half the memory of f32. What a float checkpoint over that
    /// budget loads as.
    F16,
    /// Every projection as 8-bit blocks run by brief's own int8 kernel
    /// ([`super::int8`]), for prefill and batched decode alike: about 1.1 bytes
    /// per weight and no dense copy. Q8_0 and Q5_0 weights carry over exactly,
    /// others (Q4_K, Q6_K, Q4_1, …) are re-quantised once at load. What a GGUF file
    /// loads as.
    Int8,
}

/// Largest number of prompt positions run through one forward pass: bounds the
/// attention score matrix (`heads × chunk × context` floats).
const PREFILL_CHUNK: usize = 256;

/// Architecture hyper-parameters read from GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformerConfig {
    /// `llama` or `qwen2`.
    pub architecture: String,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// Hidden size.
    pub n_embd: usize,
    /// Feed-forward inner size.
    pub n_ff: usize,
    /// Query heads.
    pub n_head: usize,
    /// Key/value heads.
    pub n_kv_head: usize,
    /// Per-head dimension.
    pub head_dim: usize,
    /// RMS-norm epsilon.
    pub rms_eps: f64,
    /// RoPE base frequency.
    pub rope_base: f64,
    /// Linear RoPE scaling factor (1 = none).
    pub rope_linear_factor: f64,
    /// NEOX-style (halves) rotation rather than interleaved pairs.
    pub rope_neox: bool,
    /// Maximum positions.
    pub context_length: usize,
    /// Vocabulary size (rows of the embedding).
    pub vocab_size: usize,
}

impl TransformerConfig {
    /// Read and validate the config of a `llama` or `qwen2` file.
    pub fn from_gguf(gguf: &GgufFile) -> Result<Self> {
        let err = |m: String| load_error(gguf.path(), m);
        let arch = gguf
            .get_str("general.architecture")
            .ok_or_else(|| err("missing metadata `general.architecture`".into()))?
            .to_string();
        let rope_neox = match arch.as_str() {
            "llama" => false,
            "qwen2" => true,
            other => {
                return Err(err(format!(
                    "architecture `{other}` is not handled by this decoder"
                )))
            }
        };
        let key = |k: &str| format!("{arch}.{k}");
        let req = |k: &str| -> Result<usize> {
            let v = gguf.require_u64(&key(k))?;
            usize::try_from(v).map_err(|_| err(format!("`{}` is too large", key(k))))
        };
        let n_layer = req("block_count")?;
        let n_embd = req("embedding_length")?;
        let n_ff = req("feed_forward_length")?;
        let n_head = req("attention.head_count")?;
        let n_kv_head = match gguf.get_u64(&key("attention.head_count_kv")) {
            Some(v) => usize::try_from(v).map_err(|_| err("head_count_kv too large".into()))?,
            None => n_head,
        };
        let context_length = req("context_length")?;
        check_sizes(n_layer, n_embd, n_ff, n_head, n_kv_head).map_err(err)?;
        let head_dim = match gguf.get_u64(&key("attention.key_length")) {
            Some(v) => usize::try_from(v).map_err(|_| err("key_length too large".into()))?,
            None => n_embd / n_head,
        };
        check_head_dim(head_dim).map_err(err)?;
        if let Some(rope_dim) = gguf.get_u64(&key("rope.dimension_count")) {
            if rope_dim != head_dim as u64 {
                return Err(err(format!(
                    "partial rotary embeddings ({rope_dim} of {head_dim} dims) are not supported"
                )));
            }
        }
        let rope_linear_factor = match gguf.get_str(&key("rope.scaling.type")) {
            None | Some("none") => 1.0,
            Some("linear") => gguf.get_f64(&key("rope.scaling.factor")).unwrap_or(1.0),
            Some(other) => return Err(err(format!("RoPE scaling `{other}` is not supported"))),
        };
        if !(rope_linear_factor.is_finite() && rope_linear_factor > 0.0) {
            return Err(err(format!("bad RoPE scaling factor {rope_linear_factor}")));
        }
        let rms_eps = gguf
            .get_f64(&key("attention.layer_norm_rms_epsilon"))
            .unwrap_or(1e-5);
        let rope_base = gguf.get_f64(&key("rope.freq_base")).unwrap_or(10_000.0);
        if !(rms_eps.is_finite() && rms_eps >= 0.0 && rope_base.is_finite() && rope_base > 1.0) {
            return Err(err(format!(
                "bad norm epsilon {rms_eps} or RoPE base {rope_base}"
            )));
        }
        let vocab_size = match gguf.tensor_info("token_embd.weight") {
            Some(info) => match info.shape.dims() {
                [rows, cols] if *cols == n_embd => *rows,
                dims => {
                    return Err(err(format!(
                        "token_embd.weight has shape {dims:?}, expected [vocab, {n_embd}]"
                    )))
                }
            },
            None => return Err(err("missing tensor `token_embd.weight`".into())),
        };
        if vocab_size == 0 || vocab_size > u32::MAX as usize {
            return Err(err(format!("bad vocabulary size {vocab_size}")));
        }
        Ok(TransformerConfig {
            architecture: arch,
            n_layer,
            n_embd,
            n_ff,
            n_head,
            n_kv_head,
            head_dim,
            rms_eps,
            rope_base,
            rope_linear_factor,
            rope_neox,
            context_length: context_length.max(1),
            vocab_size,
        })
    }
}

/// The bounds every checkpoint format's sizes are held to (GGUF metadata and HF
/// `config.json` alike), checked before anything is allocated from them. `Err` is
/// the message; the caller says which file.
pub(crate) fn check_sizes(
    n_layer: usize,
    n_embd: usize,
    n_ff: usize,
    n_head: usize,
    n_kv_head: usize,
) -> std::result::Result<(), String> {
    if n_layer == 0
        || n_layer > 1024
        || n_embd == 0
        || n_embd > 1 << 16
        || n_ff == 0
        || n_ff > 1 << 18
    {
        return Err(format!(
            "implausible dimensions: {n_layer} layers, hidden {n_embd}, feed-forward {n_ff}"
        ));
    }
    if n_head == 0 || n_kv_head == 0 || !n_head.is_multiple_of(n_kv_head) || n_head > 1024 {
        return Err(format!(
            "bad head counts: {n_head} query heads, {n_kv_head} key/value heads"
        ));
    }
    Ok(())
}

/// The per-head dimension: positive, even (rotary pairs) and bounded. Asked for
/// after [`check_sizes`], since its default divides by the head count.
pub(crate) fn check_head_dim(head_dim: usize) -> std::result::Result<(), String> {
    if head_dim == 0 || !head_dim.is_multiple_of(2) || head_dim > 1024 {
        return Err(format!("bad head dimension {head_dim}"));
    }
    Ok(())
}

/// A projection `y = x·Wᵀ (+ b)`.
#[derive(Debug)]
struct Linear {
    weights: Weights,
    bias: Option<Tensor>,
}

/// The one representation a projection's weights are held in.
#[derive(Debug)]
enum Weights {
    /// 8-bit blocks, multiplied by brief's int8 kernel ([`WeightFormat::Int8`]).
    Int8(Int8Matrix),
    /// A dense f32 or f16 matrix, multiplied by gemm.
    Dense(Tensor),
    /// A candle table (f32, f16 or Q8_0 blocks) run by candle's `QMatMul`: the
    /// output projection of a float checkpoint that is not int8, shared with the
    /// embedding when the two are tied.
    Table(QMatMul),
}

impl Linear {
    /// `x·Wᵀ (+ b)` for every row of `x`: prompt positions, or one decode row per
    /// sequence of a batch.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = match &self.weights {
            Weights::Int8(w) => int8_matmul(w, x)?,
            Weights::Dense(w) => dense_matmul(x, w)?,
            Weights::Table(q) => candle_core::Module::forward(q, x)?,
        };
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

fn int8_matmul(w: &Int8Matrix, x: &Tensor) -> candle_core::Result<Tensor> {
    let m = x.dim(0)?;
    let values = x.flatten_all()?.to_vec1::<f32>()?;
    Tensor::from_vec(w.matmul(&values, m), (m, w.rows()), &Device::Cpu)
}

fn dense_matmul(x: &Tensor, w: &Tensor) -> candle_core::Result<Tensor> {
    if w.dtype() == DType::F32 {
        x.matmul(&w.t()?)
    } else {
        x.to_dtype(w.dtype())?.matmul(&w.t()?)?.to_dtype(DType::F32)
    }
}

#[derive(Debug)]
struct Layer {
    attn_norm: Tensor,
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    ffn_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
}

/// Loaded weights; immutable, `Send + Sync`, shared by every sequence.
#[derive(Debug)]
pub struct Transformer {
    cfg: TransformerConfig,
    embedding: Arc<QTensor>,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Linear,
    /// `1 / base^(2i/d)` per rotary pair, divided by any per-frequency factors.
    inv_freq: Vec<f64>,
    format: WeightFormat,
}

impl Transformer {
    /// Load a `llama`/`qwen2` model's weights from `gguf` in the given format.
    pub fn load(gguf: &GgufFile, format: WeightFormat) -> Result<Self> {
        let cfg = TransformerConfig::from_gguf(gguf)?;
        // One open file, read by both of the layer builder's readers.
        let file = RefCell::new(gguf.reopen()?);
        let path = gguf.path();
        let read = |name: &str, dims: &[usize]| -> Result<QTensor> {
            let t = gguf.tensor(&mut file.borrow_mut(), name)?;
            if t.shape().dims() != dims {
                return Err(load_error(
                    path,
                    format!(
                        "tensor `{name}` has shape {:?}, expected {dims:?}",
                        t.shape().dims()
                    ),
                ));
            }
            Ok(t)
        };
        let e = cfg.n_embd;
        let embedding = Arc::new(read("token_embd.weight", &[cfg.vocab_size, e])?);
        let has = |name: &str| gguf.tensor_info(name).is_some();
        let layers = load_layers(
            &cfg,
            |name, out, inp, may_have_bias| {
                let w = read(&format!("{name}.weight"), &[out, inp])?;
                let bias_name = format!("{name}.bias");
                let bias = if may_have_bias && has(&bias_name) {
                    Some(vector(read(&bias_name, &[out])?, path)?)
                } else {
                    None
                };
                make_linear(Arc::new(w), bias, format, path)
            },
            |name| vector(read(name, &[e])?, path),
        )?;
        let norm = vector(read("output_norm.weight", &[e])?, path)?;
        let output_q = if has("output.weight") {
            Arc::new(read("output.weight", &[cfg.vocab_size, e])?)
        } else {
            embedding.clone() // tied embeddings
        };
        let output = make_linear(output_q, None, format, path)?;
        let factors = if has("rope_freqs.weight") {
            Some(
                read("rope_freqs.weight", &[cfg.head_dim / 2])?
                    .dequantize(&Device::Cpu)
                    .and_then(|t| t.to_vec1::<f32>())
                    .map_err(|e| load_error(path, format!("rope_freqs.weight: {e}")))?,
            )
        } else {
            None
        };
        Ok(Transformer::assemble(
            cfg,
            embedding,
            layers,
            norm,
            output,
            factors.as_deref(),
            format,
        ))
    }

    /// The loaded parts as one model; `factors` are per-frequency rotary divisors
    /// (`rope_freqs.weight`), when the model has them.
    fn assemble(
        cfg: TransformerConfig,
        embedding: Arc<QTensor>,
        layers: Vec<Layer>,
        norm: Tensor,
        output: Linear,
        factors: Option<&[f32]>,
        format: WeightFormat,
    ) -> Self {
        let inv_freq = rotary_frequencies(&cfg, factors);
        Transformer {
            cfg,
            embedding,
            layers,
            norm,
            output,
            inv_freq,
            format,
        }
    }

    /// The architecture hyper-parameters.
    pub fn config(&self) -> &TransformerConfig {
        &self.cfg
    }

    /// How the projection weights are held.
    pub fn format(&self) -> WeightFormat {
        self.format
    }

    /// An empty cache with room for `capacity` positions (grows on demand, up to
    /// the context length).
    pub fn new_cache(&self, capacity: usize) -> Result<KvCache> {
        KvCache::new(&self.cfg, capacity.clamp(1, self.cfg.context_length))
    }

    /// Run `ids` after the positions already in `cache`, append their keys and
    /// values to it, and return the logits (f32, one per vocabulary entry) of the
    /// last position.
    pub fn forward(&self, ids: &[u32], cache: &mut KvCache) -> Result<Vec<f32>> {
        if ids.is_empty() {
            return Err(Error::Config("forward pass over zero tokens".into()));
        }
        let end = cache.len + ids.len();
        if end > self.cfg.context_length {
            return Err(Error::Config(format!(
                "{end} tokens exceed the model's context of {}",
                self.cfg.context_length
            )));
        }
        if let Some(&bad) = ids.iter().find(|&&id| id as usize >= self.cfg.vocab_size) {
            return Err(Error::Config(format!(
                "token id {bad} is outside the vocabulary of {}",
                self.cfg.vocab_size
            )));
        }
        cache
            .reserve(end, self.cfg.context_length)
            .map_err(Error::inference("generate"))?;
        let mut last = None;
        for chunk in ids.chunks(PREFILL_CHUNK) {
            last = Some(
                self.forward_chunk(chunk, cache)
                    .map_err(Error::inference("generate"))?,
            );
        }
        last.ok_or_else(|| Error::Config("forward pass over zero tokens".into()))
    }

    /// One decode step for several sequences at once: `tokens[i]` follows the
    /// positions in `caches[i]`. The projections see all rows in one product while
    /// attention stays per sequence; each row is computed exactly as a lone
    /// [`Self::forward`] of that token would compute it (same weights, same
    /// kernels), so batching never changes a result. Returns one logits vector per
    /// sequence.
    pub fn forward_batch(
        &self,
        tokens: &[u32],
        caches: &mut [&mut KvCache],
    ) -> Result<Vec<Vec<f32>>> {
        if tokens.is_empty() || tokens.len() != caches.len() {
            return Err(Error::Config(format!(
                "batched step over {} tokens and {} caches",
                tokens.len(),
                caches.len()
            )));
        }
        if let Some(&bad) = tokens
            .iter()
            .find(|&&id| id as usize >= self.cfg.vocab_size)
        {
            return Err(Error::Config(format!(
                "token id {bad} is outside the vocabulary of {}",
                self.cfg.vocab_size
            )));
        }
        for cache in caches.iter_mut() {
            if cache.len + 1 > self.cfg.context_length {
                return Err(Error::Config(format!(
                    "{} tokens exceed the model's context of {}",
                    cache.len + 1,
                    self.cfg.context_length
                )));
            }
            cache
                .reserve(cache.len + 1, self.cfg.context_length)
                .map_err(Error::inference("generate"))?;
        }
        self.forward_batch_inner(tokens, caches)
            .map_err(Error::inference("generate"))
    }

    fn forward_batch_inner(
        &self,
        tokens: &[u32],
        caches: &mut [&mut KvCache],
    ) -> candle_core::Result<Vec<Vec<f32>>> {
        let b = tokens.len();
        let ids_t = Tensor::from_slice(tokens, b, &Device::Cpu)?;
        let mut x = self.embedding.embedding(&ids_t)?; // (b, n_embd)
        let tables = caches
            .iter()
            .map(|c| self.rope_tables(c.len, 1))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let eps = self.cfg.rms_eps as f32;
        for (li, layer) in self.layers.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, eps)?;
            let (q, k, v) = (
                layer.wq.forward(&h)?,
                layer.wk.forward(&h)?,
                layer.wv.forward(&h)?,
            );
            let mut rows = Vec::with_capacity(b);
            for (i, (cache, (cos, sin))) in caches.iter_mut().zip(&tables).enumerate() {
                let pos = cache.len;
                rows.push(self.attend(
                    &q.narrow(0, i, 1)?,
                    &k.narrow(0, i, 1)?,
                    &v.narrow(0, i, 1)?,
                    &mut cache.layers[li],
                    pos,
                    cos,
                    sin,
                    None,
                )?);
            }
            x = (x + layer.wo.forward(&Tensor::cat(&rows, 0)?)?)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, eps)?;
            let act = (candle_nn::ops::silu(&layer.gate.forward(&h)?)? * layer.up.forward(&h)?)?;
            x = (x + layer.down.forward(&act)?)?;
        }
        for cache in caches.iter_mut() {
            cache.len += 1;
        }
        let x = candle_nn::ops::rms_norm(&x, &self.norm, eps)?;
        self.output.forward(&x)?.to_vec2::<f32>()
    }

    fn forward_chunk(&self, ids: &[u32], cache: &mut KvCache) -> candle_core::Result<Vec<f32>> {
        let cfg = &self.cfg;
        let (t, pos) = (ids.len(), cache.len);
        let dev = Device::Cpu;
        let ids_t = Tensor::from_slice(ids, t, &dev)?;
        let mut x = self.embedding.embedding(&ids_t)?; // (t, n_embd)
        let (cos, sin) = self.rope_tables(pos, t)?;
        let mask = if t > 1 {
            Some(causal_mask(t, pos)?)
        } else {
            None
        };
        let eps = cfg.rms_eps as f32;
        for (layer, lc) in self.layers.iter().zip(cache.layers.iter_mut()) {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, eps)?;
            let attn = self.attention(layer, &h, lc, pos, &cos, &sin, mask.as_ref())?;
            x = (x + attn)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, eps)?;
            let act = (candle_nn::ops::silu(&layer.gate.forward(&h)?)? * layer.up.forward(&h)?)?;
            x = (x + layer.down.forward(&act)?)?;
        }
        cache.len = pos + t;
        let last = x.narrow(0, t - 1, 1)?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, eps)?;
        self.output.forward(&last)?.flatten_all()?.to_vec1::<f32>()
    }

    #[allow(clippy::too_many_arguments)]
    fn attention(
        &self,
        layer: &Layer,
        h: &Tensor,
        lc: &mut LayerCache,
        pos: usize,
        cos: &Tensor,
        sin: &Tensor,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (q, k, v) = (
            layer.wq.forward(h)?,
            layer.wk.forward(h)?,
            layer.wv.forward(h)?,
        );
        let out = self.attend(&q, &k, &v, lc, pos, cos, sin, mask)?;
        layer.wo.forward(&out)
    }

    /// Attention of `t` new positions (projected queries, keys and values, one row
    /// each) over the cache plus themselves; stores their keys and values at
    /// `pos..pos + t`. Returns `(t, n_head × head_dim)`, before the output projection.
    #[allow(clippy::too_many_arguments)]
    fn attend(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        lc: &mut LayerCache,
        pos: usize,
        cos: &Tensor,
        sin: &Tensor,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let cfg = &self.cfg;
        let (t, hd, nh, nkv) = (q.dim(0)?, cfg.head_dim, cfg.n_head, cfg.n_kv_head);
        let heads = |y: &Tensor, n: usize| -> candle_core::Result<Tensor> {
            y.reshape((1, t, n, hd))?.transpose(1, 2)?.contiguous()
        };
        let (q, k, v) = (heads(q, nh)?, heads(k, nkv)?, heads(v, nkv)?);
        let (q, k) = if cfg.rope_neox {
            (
                candle_nn::rotary_emb::rope(&q, cos, sin)?,
                candle_nn::rotary_emb::rope(&k, cos, sin)?,
            )
        } else {
            (
                candle_nn::rotary_emb::rope_i(&q, cos, sin)?,
                candle_nn::rotary_emb::rope_i(&k, cos, sin)?,
            )
        };
        lc.k.slice_set(&k, 2, pos)?;
        lc.v.slice_set(&v, 2, pos)?;
        let kv_len = pos + t;
        let keys = lc.k.narrow(2, 0, kv_len)?;
        let values = lc.v.narrow(2, 0, kv_len)?;
        // Grouped-query attention: the query heads sharing one K/V head are
        // consecutive, so fold them into the row dimension instead of repeating K/V.
        let rep = nh / nkv;
        let q = q.reshape((1, nkv, rep * t, hd))?;
        let scores = (q.matmul(&keys.t()?)? * (1.0 / (hd as f64).sqrt()))?;
        let scores = match mask {
            Some(mask) => scores
                .reshape((1, nh, t, kv_len))?
                .broadcast_add(mask)?
                .reshape((1, nkv, rep * t, kv_len))?,
            None => scores,
        };
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = probs.matmul(&values)?; // (1, nkv, rep*t, hd)
        out.reshape((1, nh, t, hd))?
            .transpose(1, 2)?
            .reshape((t, nh * hd))
    }

    /// cos/sin tables `(t, head_dim/2)` for positions `pos..pos+t`, computed in f64.
    fn rope_tables(&self, pos: usize, t: usize) -> candle_core::Result<(Tensor, Tensor)> {
        let half = self.inv_freq.len();
        let mut cos = Vec::with_capacity(t * half);
        let mut sin = Vec::with_capacity(t * half);
        for p in pos..pos + t {
            let p = p as f64 / self.cfg.rope_linear_factor;
            for f in &self.inv_freq {
                let (s, c) = (p * f).sin_cos();
                cos.push(c as f32);
                sin.push(s as f32);
            }
        }
        Ok((
            Tensor::from_vec(cos, (t, half), &Device::Cpu)?,
            Tensor::from_vec(sin, (t, half), &Device::Cpu)?,
        ))
    }
}

/// Loading from float (safetensors) checkpoints. Kept apart from [`Transformer::load`]:
/// the tensors arrive already renamed to GGUF's names, so one layer layout serves both.
impl Transformer {
    /// Build a model from float weights named as in GGUF (`token_embd.weight`,
    /// `blk.N.attn_q.weight`, `blk.N.attn_q.bias`, …, `output.weight`,
    /// `rope_freqs.weight`), as `get` supplies them in any float dtype (`Ok(None)`:
    /// absent). Q/K rows must already suit `cfg.rope_neox`. A missing `output.weight`
    /// ties the output projection to the embedding (shared, not copied).
    ///
    /// `F32`/`F16` keep dense weights (exact / half memory); `Int8` quantises
    /// projections to 8-bit blocks here (a row length that is not a multiple of 32
    /// stays dense f32).
    pub fn from_dense(
        cfg: TransformerConfig,
        format: WeightFormat,
        path: &std::path::Path,
        get: impl FnMut(&str) -> Result<Option<Tensor>>,
    ) -> Result<Self> {
        // One source, read by both of the layer builder's readers.
        let get = RefCell::new(get);
        let fetch = |name: &str, dims: &[usize], required: bool| -> Result<Option<Tensor>> {
            match (*get.borrow_mut())(name)? {
                Some(t) if t.dims() == dims => Ok(Some(t)),
                Some(t) => Err(load_error(
                    path,
                    format!(
                        "tensor `{name}` has shape {:?}, expected {dims:?}",
                        t.dims()
                    ),
                )),
                None if required => Err(load_error(path, format!("missing tensor `{name}`"))),
                None => Ok(None),
            }
        };
        let required = |name: &str, dims: &[usize]| -> Result<Tensor> {
            fetch(name, dims, true)?
                .ok_or_else(|| load_error(path, format!("missing tensor `{name}`")))
        };
        let wrap = |e: candle_core::Error| load_error(path, format!("cannot prepare weights: {e}"));
        let f32_vector = |t: Tensor| t.to_dtype(DType::F32).map_err(wrap);
        let e = cfg.n_embd;
        let embd_dtype = dense_table_dtype(format, e);
        let embd = required("token_embd.weight", &[cfg.vocab_size, e])?;
        let embedding = Arc::new(to_table(&embd, embd_dtype).map_err(wrap)?);
        drop(embd);
        let layers = load_layers(
            &cfg,
            // Whatever biases the checkpoint has are used (`get` knows which an
            // architecture requires).
            |name, out, inp, _| {
                let w = required(&format!("{name}.weight"), &[out, inp])?;
                let bias = fetch(&format!("{name}.bias"), &[out], false)?
                    .map(f32_vector)
                    .transpose()?;
                dense_linear(&w, bias, format).map_err(wrap)
            },
            |name| f32_vector(required(name, &[e])?),
        )?;
        let norm = f32_vector(required("output_norm.weight", &[e])?)?;
        // The output projection sees one row per step: a matrix-vector product that
        // candle's row-wise kernels do as fast as gemm, so it stays a table (shared
        // with the embedding when tied) rather than a second dense copy.
        let table = match fetch("output.weight", &[cfg.vocab_size, e], false)? {
            Some(w) => Arc::new(to_table(&w, embd_dtype).map_err(wrap)?),
            None => embedding.clone(),
        };
        let int8 = match format {
            WeightFormat::Int8 => Int8Matrix::from_qtensor(&table).map_err(wrap)?,
            _ => None,
        };
        let output = Linear {
            weights: match int8 {
                Some(m) => Weights::Int8(m),
                None => Weights::Table(QMatMul::QTensor(table)),
            },
            bias: None,
        };
        let factors = fetch("rope_freqs.weight", &[cfg.head_dim / 2], false)?
            .map(|f| f.to_dtype(DType::F32).and_then(|t| t.to_vec1::<f32>()))
            .transpose()
            .map_err(wrap)?;
        Ok(Transformer::assemble(
            cfg,
            embedding,
            layers,
            norm,
            output,
            factors.as_deref(),
            format,
        ))
    }
}

/// The transformer blocks, built in the same order whatever the source format:
/// `linear(name, out, inp, may_have_bias)` makes the projection whose weight is
/// `NAME.weight` (`[out, inp]`), with `NAME.bias` where the architecture may have
/// one (Q/K/V); `norm(name)` reads the `[n_embd]` scale vector `name`. Names are
/// GGUF's (`blk.N.attn_q`, `blk.N.attn_norm.weight`, …).
fn load_layers(
    cfg: &TransformerConfig,
    mut linear: impl FnMut(&str, usize, usize, bool) -> Result<Linear>,
    mut norm: impl FnMut(&str) -> Result<Tensor>,
) -> Result<Vec<Layer>> {
    let (e, h, kv, ff) = (
        cfg.n_embd,
        cfg.n_head * cfg.head_dim,
        cfg.n_kv_head * cfg.head_dim,
        cfg.n_ff,
    );
    (0..cfg.n_layer)
        .map(|i| {
            let mut proj = |name: &str, out: usize, inp: usize, may_have_bias: bool| {
                linear(&format!("blk.{i}.{name}"), out, inp, may_have_bias)
            };
            Ok(Layer {
                wq: proj("attn_q", h, e, true)?,
                wk: proj("attn_k", kv, e, true)?,
                wv: proj("attn_v", kv, e, true)?,
                wo: proj("attn_output", e, h, false)?,
                gate: proj("ffn_gate", ff, e, false)?,
                up: proj("ffn_up", ff, e, false)?,
                down: proj("ffn_down", e, ff, false)?,
                attn_norm: norm(&format!("blk.{i}.attn_norm.weight"))?,
                ffn_norm: norm(&format!("blk.{i}.ffn_norm.weight"))?,
            })
        })
        .collect()
}

/// Block type of the embedding table (and output projection) built from float
/// weights: as exact as the format asks, Q8_0 for int8.
fn dense_table_dtype(format: WeightFormat, row_len: usize) -> GgmlDType {
    match format {
        WeightFormat::F32 => GgmlDType::F32,
        WeightFormat::F16 => GgmlDType::F16,
        WeightFormat::Int8 => {
            if row_len.is_multiple_of(GgmlDType::Q8_0.block_size()) {
                GgmlDType::Q8_0
            } else {
                GgmlDType::F32
            }
        }
    }
}

fn to_table(w: &Tensor, dtype: GgmlDType) -> candle_core::Result<QTensor> {
    QTensor::quantize(&w.to_dtype(DType::F32)?, dtype)
}

/// A projection from a float weight in the requested representation.
fn dense_linear(
    w: &Tensor,
    bias: Option<Tensor>,
    format: WeightFormat,
) -> candle_core::Result<Linear> {
    let whole_blocks = w.dim(1)?.is_multiple_of(GgmlDType::Q8_0.block_size());
    let weights = match format {
        WeightFormat::Int8 if whole_blocks => {
            let w32 = w.to_dtype(DType::F32)?;
            let (rows, cols) = w32.dims2()?;
            let values = w32.flatten_all()?.to_vec1::<f32>()?;
            Weights::Int8(Int8Matrix::quantize(&values, rows, cols))
        }
        WeightFormat::F16 => Weights::Dense(w.to_dtype(DType::F16)?),
        WeightFormat::F32 | WeightFormat::Int8 => Weights::Dense(w.to_dtype(DType::F32)?),
    };
    Ok(Linear { weights, bias })
}

/// `1 / base^(2i/d)` per rotary pair, divided by per-frequency factors
/// (`rope_freqs.weight`, Llama 3 scaling) when the model has them.
fn rotary_frequencies(cfg: &TransformerConfig, factors: Option<&[f32]>) -> Vec<f64> {
    let mut inv_freq: Vec<f64> = (0..cfg.head_dim / 2)
        .map(|i| cfg.rope_base.powf(-2.0 * i as f64 / cfg.head_dim as f64))
        .collect();
    for (f, &factor) in inv_freq.iter_mut().zip(factors.unwrap_or_default()) {
        *f /= f64::from(factor);
    }
    inv_freq
}

/// Additive causal mask `(t, pos + t)`: query `i` (absolute position `pos + i`)
/// sees keys `0..=pos + i`.
fn causal_mask(t: usize, pos: usize) -> candle_core::Result<Tensor> {
    let width = pos + t;
    let mut m = vec![0f32; t * width];
    for i in 0..t {
        for v in &mut m[i * width + pos + i + 1..(i + 1) * width] {
            *v = f32::NEG_INFINITY;
        }
    }
    Tensor::from_vec(m, (t, width), &Device::Cpu)
}

/// Build a projection in the requested representation from a GGUF tensor.
fn make_linear(
    q: Arc<QTensor>,
    bias: Option<Tensor>,
    format: WeightFormat,
    path: &std::path::Path,
) -> Result<Linear> {
    let wrap = |e: candle_core::Error| load_error(path, format!("cannot prepare weights: {e}"));
    if format == WeightFormat::Int8 {
        let q8 = match q.dtype() {
            GgmlDType::Q5_0 => Arc::new(q5_0_to_q8_0(&q).map_err(wrap)?),
            _ => q.clone(),
        };
        if let Some(m) = Int8Matrix::from_qtensor(&q8).map_err(wrap)? {
            return Ok(Linear {
                weights: Weights::Int8(m),
                bias,
            });
        }
    }
    // F32, F16, and int8's rare row lengths that are not whole blocks (as f32).
    let dense = match format {
        WeightFormat::F16 => q.dequantize_f16(&Device::Cpu),
        WeightFormat::F32 | WeightFormat::Int8 => q.dequantize(&Device::Cpu),
    }
    .map_err(wrap)?;
    Ok(Linear {
        weights: Weights::Dense(dense),
        bias,
    })
}

/// Bytes of one Q5_0 block: f16 scale, 32 high bits, 16 bytes of low nibbles.
const Q5_0_BLOCK: usize = 22;
/// Bytes of one Q8_0 block: f16 scale, 32 signed bytes.
const Q8_0_BLOCK: usize = 34;

/// Re-encode Q5_0 blocks as Q8_0 without loss: a Q5_0 weight is `d·(q − 16)`
/// with `q` in 0..32, which is exactly a Q8_0 weight with the same `d` and the
/// byte `q − 16`. candle 0.11.1 has no SIMD kernel for Q5_0 (bit-by-bit scalar
/// code, several times slower than its AVX2 Q8_0 kernel) while both quantise
/// activations to Q8_0, so dot products stay the same up to float summation
/// order, for 1.5× the (still small) memory.
fn q5_0_to_q8_0(q: &QTensor) -> candle_core::Result<QTensor> {
    let data = q.data()?;
    if data.len() % Q5_0_BLOCK != 0 {
        candle_core::bail!("Q5_0 data of {} bytes is not whole blocks", data.len());
    }
    let mut out = Vec::with_capacity(data.len() / Q5_0_BLOCK * Q8_0_BLOCK);
    for block in data.chunks_exact(Q5_0_BLOCK) {
        let (d, rest) = block.split_at(2);
        let (qh, qs) = rest.split_at(4);
        let qh = u32::from_le_bytes([qh[0], qh[1], qh[2], qh[3]]);
        out.extend_from_slice(d);
        let mut high_half = [0u8; 16];
        for (j, (&byte, hi)) in qs.iter().zip(high_half.iter_mut()).enumerate() {
            let bit_lo = ((qh >> j) & 1) as u8;
            let bit_hi = ((qh >> (j + 16)) & 1) as u8;
            out.push(((byte & 0x0F) | (bit_lo << 4)).wrapping_sub(16));
            *hi = ((byte >> 4) | (bit_hi << 4)).wrapping_sub(16);
        }
        out.extend_from_slice(&high_half);
    }
    candle_core::quantized::ggml_file::qtensor_from_ggml(
        GgmlDType::Q8_0,
        &out,
        q.shape().dims().to_vec(),
        &Device::Cpu,
    )
}

/// A 1-D weight (norm scale, bias) as f32.
fn vector(q: QTensor, path: &std::path::Path) -> Result<Tensor> {
    q.dequantize(&Device::Cpu)
        .map_err(|e| load_error(path, format!("cannot read vector weight: {e}")))
}

#[derive(Debug)]
struct LayerCache {
    /// `(1, n_kv_head, capacity, head_dim)`, written in place.
    k: Tensor,
    v: Tensor,
}

/// Keys and values of the positions a sequence has seen so far.
///
/// Not `Clone` on purpose: the tensors are written in place, so sharing them
/// between sequences would corrupt both; use [`KvCache::fork`].
#[derive(Debug)]
pub struct KvCache {
    layers: Vec<LayerCache>,
    len: usize,
    capacity: usize,
    n_kv_head: usize,
    head_dim: usize,
}

impl KvCache {
    fn new(cfg: &TransformerConfig, capacity: usize) -> Result<Self> {
        let mut cache = KvCache {
            layers: Vec::with_capacity(cfg.n_layer),
            len: 0,
            capacity,
            n_kv_head: cfg.n_kv_head,
            head_dim: cfg.head_dim,
        };
        for _ in 0..cfg.n_layer {
            let (k, v) = cache
                .alloc(capacity)
                .map_err(Error::inference("generate"))?;
            cache.layers.push(LayerCache { k, v });
        }
        Ok(cache)
    }

    fn alloc(&self, capacity: usize) -> candle_core::Result<(Tensor, Tensor)> {
        let shape = (1, self.n_kv_head, capacity, self.head_dim);
        Ok((
            Tensor::zeros(shape, DType::F32, &Device::Cpu)?,
            Tensor::zeros(shape, DType::F32, &Device::Cpu)?,
        ))
    }

    /// Number of positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no position is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// An independent copy of this cache with room for `extra` more positions
    /// (at most `limit` in total; it grows on demand).
    pub fn fork(&self, extra: usize, limit: usize) -> Result<KvCache> {
        let capacity = self
            .len
            .saturating_add(extra)
            .min(limit)
            .max(self.len)
            .max(1);
        let mut out = KvCache {
            layers: Vec::with_capacity(self.layers.len()),
            len: self.len,
            capacity,
            n_kv_head: self.n_kv_head,
            head_dim: self.head_dim,
        };
        for layer in &self.layers {
            let (k, v) = out
                .alloc(capacity)
                .and_then(|(k, v)| {
                    copy_prefix(&layer.k, &k, self.len)?;
                    copy_prefix(&layer.v, &v, self.len)?;
                    Ok((k, v))
                })
                .map_err(Error::inference("generate"))?;
            out.layers.push(LayerCache { k, v });
        }
        Ok(out)
    }

    /// Make room for `needed` positions (at most `limit`).
    fn reserve(&mut self, needed: usize, limit: usize) -> candle_core::Result<()> {
        if needed <= self.capacity {
            return Ok(());
        }
        let capacity = needed
            .max(self.capacity.saturating_mul(2))
            .min(limit.max(needed));
        for i in 0..self.layers.len() {
            let (k, v) = self.alloc(capacity)?;
            copy_prefix(&self.layers[i].k, &k, self.len)?;
            copy_prefix(&self.layers[i].v, &v, self.len)?;
            self.layers[i] = LayerCache { k, v };
        }
        self.capacity = capacity;
        Ok(())
    }
}

fn copy_prefix(src: &Tensor, dst: &Tensor, len: usize) -> candle_core::Result<()> {
    if len == 0 {
        return Ok(());
    }
    dst.slice_set(&src.narrow(2, 0, len)?.contiguous()?, 2, 0)
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Transformer>();
    is::<KvCache>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q5_0_repacks_losslessly_to_q8_0() {
        let dev = Device::Cpu;
        let w = Tensor::randn(0f32, 1.0, (8, 64), &dev).unwrap();
        let q5 = QTensor::quantize(&w, GgmlDType::Q5_0).unwrap();
        let q8 = q5_0_to_q8_0(&q5).unwrap();
        assert_eq!(q8.dtype(), GgmlDType::Q8_0);
        let values = |q: &QTensor| {
            q.dequantize(&dev)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        assert_eq!(values(&q5), values(&q8));
        // Same products through both kernels (activations are Q8_0 in both).
        let x = Tensor::randn(0f32, 1.0, (3, 64), &dev).unwrap();
        let ya = candle_core::Module::forward(&QMatMul::QTensor(Arc::new(q5)), &x).unwrap();
        let yb = candle_core::Module::forward(&QMatMul::QTensor(Arc::new(q8)), &x).unwrap();
        let diff = (ya - yb)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-4, "{diff}");
    }

    /// Our decoder against candle-transformers' own quantised implementations
    /// on a tiny random model: same architecture semantics (RoPE style, GQA,
    /// biases, tied/untied output), up to rounding.
    #[test]
    fn matches_candle_reference_models() {
        use crate::model::tiny::{write_tiny_gguf, TinySpec};
        use candle_transformers::models::{quantized_llama, quantized_qwen2};
        let dir = tempfile::tempdir().unwrap();
        for arch in ["llama", "qwen2"] {
            let path = dir.path().join(format!("{arch}.gguf"));
            write_tiny_gguf(&path, &TinySpec::new(arch, 7)).unwrap();
            let ids: Vec<u32> = vec![1, 40, 77, 90, 3, 250, 12, 2, 1, 100, 101, 102];
            let mut file = std::fs::File::open(&path).unwrap();
            let content = candle_core::quantized::gguf_file::Content::read(&mut file).unwrap();
            let input = Tensor::new(ids.as_slice(), &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let next = Tensor::new(&[33u32], &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let to_vec = |t: Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let (theirs_prompt, theirs_next) = if arch == "llama" {
                let mut m =
                    quantized_llama::ModelWeights::from_gguf(content, &mut file, &Device::Cpu)
                        .unwrap();
                let a = to_vec(m.forward(&input, 0).unwrap());
                (a, to_vec(m.forward(&next, ids.len()).unwrap()))
            } else {
                let mut m =
                    quantized_qwen2::ModelWeights::from_gguf(content, &mut file, &Device::Cpu)
                        .unwrap();
                let a = to_vec(m.forward(&input, 0).unwrap());
                (a, to_vec(m.forward(&next, ids.len()).unwrap()))
            };
            let gguf = GgufFile::open(&path).unwrap();
            for format in [WeightFormat::F32, WeightFormat::Int8] {
                let ours = Transformer::load(&gguf, format).unwrap();
                let mut cache = ours.new_cache(4).unwrap();
                // Prompt in two pieces, then one decode step: exercises the cache.
                ours.forward(&ids[..5], &mut cache).unwrap();
                let ours_prompt = ours.forward(&ids[5..], &mut cache).unwrap();
                let ours_next = ours.forward(&[33], &mut cache).unwrap();
                for (a, b) in [(&ours_prompt, &theirs_prompt), (&ours_next, &theirs_next)] {
                    assert_eq!(a.len(), b.len());
                    let diff = a
                        .iter()
                        .zip(b)
                        .map(|(x, y)| (x - y).abs())
                        .fold(0f32, f32::max);
                    let scale = b.iter().map(|x| x.abs()).fold(0f32, f32::max);
                    // Int8 re-quantises the Q4_1 weights to 8-bit blocks (candle's
                    // reference keeps Q4_1): that costs ~0.7 % of the logit scale; a wrong
                    // forward pass (rotation layout, head grouping, norms) costs far more.
                    assert!(
                        diff <= 1e-2 * scale,
                        "{arch} {format:?}: max diff {diff}, scale {scale}"
                    );
                }
            }
        }
    }

    #[test]
    fn causal_mask_with_prefix() {
        let m = causal_mask(2, 1).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(m[0][..2], [0.0, 0.0]);
        assert!(m[0][2].is_infinite());
        assert_eq!(m[1], vec![0.0, 0.0, 0.0]);
    }
}
