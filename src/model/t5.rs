//! T5 / flan-t5 encoder-decoder models from an HF directory (`model_type: t5`).
//!
//! The arithmetic follows HF transformers' `modeling_t5` (Apache-2.0), and the
//! config is parsed with candle-transformers' `t5::Config`. candle-transformers'
//! own `T5ForConditionalGeneration` is not used to run the model because, in
//! 0.11.1, it
//! - buckets the decoder's self-attention positions bidirectionally, where T5 uses
//!   causal buckets (`bidirectional = not is_decoder`): past distance 8 (with the
//!   usual 32 buckets) its position biases differ from the trained model's, so
//!   outputs longer than a few tokens drift;
//! - multiplies tied-embedding logits by `√d_model` where T5 multiplies the hidden
//!   state by `1/√d_model` (greedy picks agree, sampling temperatures do not);
//! - recomputes the cross-attention keys and values of the whole input at every
//!   generated token, and keeps its caches inside the weights (`&mut self`), so one
//!   loaded model cannot serve several threads.
//!
//! Here the weights are immutable and shared; each generation owns a
//! [`DecoderState`] holding the cross-attention keys/values (computed once) and the
//! self-attention cache. Tests check this model against candle-transformers' on
//! the stretch where the latter is right.

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Activation, VarBuilder};
use candle_transformers::models::t5::Config as T5Config;
use serde_json::Value;
use tokenizers::Tokenizer;

use super::files::{self, CONFIG_FILE};
use super::generator::{GenerateOptions, Generated, StopReason};
use super::gguf::load_error;
use super::hf::{self, GENERATION_CONFIG_FILE};
use super::sampling::{apply_repetition_penalty, Sampler};
use crate::error::{ArticleError, Error, ErrorKind, Result};

/// Longest encoder input accepted, in tokens. T5's relative positions set no hard
/// limit; this bounds the attention matrices (`heads × n²` floats per layer).
pub const MAX_INPUT_TOKENS: usize = 2048;

/// Longest decoder sequence (forced prefix and generated tokens together).
pub const MAX_DECODER_TOKENS: usize = 4096;

#[derive(Debug)]
struct Attention {
    /// `(inner, d_model)` projections and `(d_model, inner)` output, f32.
    q: Tensor,
    k: Tensor,
    v: Tensor,
    o: Tensor,
}

#[derive(Debug)]
struct FeedForward {
    /// `wi` (one matrix), or `wi_0` (activated) and `wi_1` (linear) when gated.
    wi: Vec<Tensor>,
    wo: Tensor,
    act: Activation,
}

#[derive(Debug)]
struct Block {
    self_norm: Tensor,
    self_attn: Attention,
    /// Decoder blocks only.
    cross: Option<(Tensor, Attention)>,
    ff_norm: Tensor,
    ff: FeedForward,
}

#[derive(Debug)]
struct Stack {
    blocks: Vec<Block>,
    /// Relative-position bias table `(buckets, heads)`, kept on the host: biases are
    /// gathered per (query, key) pair while building the score offsets.
    bias_table: Vec<f32>,
    final_norm: Tensor,
}

/// Encoder output for one input.
#[derive(Debug)]
pub struct Encoded {
    hidden: Tensor,
    len: usize,
}

impl Encoded {
    /// Input length in tokens.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for an empty input (never produced by [`T5Model::encode`]).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Decoder state of one generation: cross-attention keys/values of the encoder
/// output (computed once) and the self-attention cache.
#[derive(Debug)]
pub struct DecoderState {
    cross: Vec<(Tensor, Tensor)>,
    cache: Vec<Option<(Tensor, Tensor)>>,
    len: usize,
}

impl DecoderState {
    /// Decoder positions seen so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first step.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A loaded T5 model with its tokenizer. Immutable and `Send + Sync`: share it
/// behind an `Arc`.
#[derive(Debug)]
pub struct T5Model {
    path: PathBuf,
    tokenizer: Tokenizer,
    shared: Tensor,
    encoder: Stack,
    decoder: Stack,
    /// Separate output head; `None`: tied to `shared`, with T5's `1/√d_model` scale.
    lm_head: Option<Tensor>,
    n_heads: usize,
    d_kv: usize,
    d_model: usize,
    num_buckets: usize,
    max_distance: usize,
    eps: f64,
    vocab_size: usize,
    eos_ids: Vec<u32>,
    decoder_start_id: u32,
}

impl T5Model {
    /// Load a T5 directory: `config.json`, safetensors weights, `tokenizer.json`,
    /// optionally `generation_config.json` (extra EOS ids).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let config = files::read_json(dir, CONFIG_FILE)?;
        match config.get("model_type").and_then(Value::as_str) {
            Some("t5") => {}
            Some(other) => return Err(load_error(dir, format!("model_type `{other}` is not t5"))),
            None => return Err(load_error(dir, "config.json has no `model_type`")),
        }
        let mut cfg: T5Config = hf::parse_config(dir, &config)?;
        if config.get("feed_forward_proj").is_none() {
            // transformers' default (T5 v1.0); candle's would be a non-gated GELU.
            cfg.feed_forward_proj.gated = false;
            cfg.feed_forward_proj.activation = Activation::Relu;
        }
        validate(dir, &cfg)?;
        let tokenizer = hf::load_tokenizer(dir)?;
        let (paths, _) = hf::mmap_weights(dir)?;
        // SAFETY: as in `hf::mmap_weights`: the maps live only while loading.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&paths, DType::F32, &Device::Cpu) }
            .map_err(|e| load_error(dir, format!("cannot read safetensors: {e}")))?;
        let weights = load_weights(&vb, &cfg).map_err(|e| load_error(dir, e.to_string()))?;
        let gen_cfg = if dir.join(GENERATION_CONFIG_FILE).is_file() {
            Some(files::read_json(dir, GENERATION_CONFIG_FILE)?)
        } else {
            None
        };
        let vocab_size = cfg.vocab_size;
        let valid = |id: &u32| (*id as usize) < vocab_size;
        let mut eos_ids: Vec<u32> = u32::try_from(cfg.eos_token_id).into_iter().collect();
        eos_ids.extend(hf::ids_of(
            gen_cfg.as_ref().and_then(|g| g.get("eos_token_id")),
        ));
        eos_ids.retain(valid);
        eos_ids.sort_unstable();
        eos_ids.dedup();
        if eos_ids.is_empty() {
            return Err(load_error(dir, "no valid eos_token_id"));
        }
        let decoder_start_id = cfg.decoder_start_token_id.unwrap_or(cfg.pad_token_id);
        let decoder_start_id = u32::try_from(decoder_start_id)
            .ok()
            .filter(valid)
            .ok_or_else(|| {
                load_error(
                    dir,
                    format!("bad decoder_start_token_id {decoder_start_id}"),
                )
            })?;
        let (shared, encoder, decoder, lm_head) = weights;
        Ok(T5Model {
            path: dir.to_path_buf(),
            tokenizer,
            shared,
            encoder,
            decoder,
            lm_head,
            n_heads: cfg.num_heads,
            d_kv: cfg.d_kv,
            d_model: cfg.d_model,
            num_buckets: cfg.relative_attention_num_buckets,
            max_distance: cfg.relative_attention_max_distance,
            eps: cfg.layer_norm_epsilon,
            vocab_size,
            eos_ids,
            decoder_start_id,
        })
    }

    /// The directory this model was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Ids that end the output (`eos_token_id` of config and generation config).
    pub fn eos_ids(&self) -> &[u32] {
        &self.eos_ids
    }

    /// The id the decoder starts from (`decoder_start_token_id`, else `pad_token_id`).
    pub fn decoder_start_id(&self) -> u32 {
        self.decoder_start_id
    }

    /// Encoder input ids for `text`: the tokenizer's own special tokens, ending with
    /// EOS as T5 was trained (added if the tokenizer does not add it).
    pub fn input_ids(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = self.tokens(text, true)?;
        if ids.last().is_none_or(|id| !self.eos_ids.contains(id)) {
            ids.push(self.eos_ids[0]);
        }
        Ok(ids)
    }

    /// Token ids of `text` with or without the tokenizer's special tokens.
    pub fn tokens(&self, text: &str, special: bool) -> Result<Vec<u32>> {
        self.tokenizer
            .encode_fast(text, special)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    /// Text of `ids`, special tokens skipped.
    pub fn detokenize(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    /// Run the encoder over `ids`.
    pub fn encode(&self, ids: &[u32]) -> Result<Encoded> {
        if ids.is_empty() {
            return Err(Error::Config("cannot encode an empty input".into()));
        }
        if ids.len() > MAX_INPUT_TOKENS {
            return Err(Error::Article(ArticleError::new(
                ErrorKind::Model,
                format!(
                    "input of {} tokens exceeds the T5 limit of {MAX_INPUT_TOKENS} tokens",
                    ids.len()
                ),
            )));
        }
        self.check_ids(ids)?;
        let hidden = self
            .run_encoder(ids)
            .map_err(Error::inference("t5 encoder"))?;
        Ok(Encoded {
            hidden,
            len: ids.len(),
        })
    }

    /// A fresh decoder state attending to `encoded`.
    pub fn start(&self, encoded: &Encoded) -> Result<DecoderState> {
        let cross = self
            .decoder
            .blocks
            .iter()
            .map(|b| {
                let (_, attn) = b.cross.as_ref().ok_or_else(|| {
                    candle_core::Error::Msg("decoder block without cross-attention".into())
                })?;
                let k = self.heads(&linear(&encoded.hidden, &attn.k)?)?;
                let v = self.heads(&linear(&encoded.hidden, &attn.v)?)?;
                Ok((k, v))
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(Error::inference("t5 decoder"))?;
        Ok(DecoderState {
            cross,
            cache: vec![None; self.decoder.blocks.len()],
            len: 0,
        })
    }

    /// Feed `ids` to the decoder after the positions already in `state`; return the
    /// logits of the last one (f32, one per vocabulary entry).
    pub fn step(&self, state: &mut DecoderState, ids: &[u32]) -> Result<Vec<f32>> {
        if ids.is_empty() {
            return Err(Error::Config("decoder step over zero tokens".into()));
        }
        if state.len + ids.len() > MAX_DECODER_TOKENS {
            return Err(Error::Config(format!(
                "decoder sequence longer than {MAX_DECODER_TOKENS} tokens"
            )));
        }
        self.check_ids(ids)?;
        self.run_decoder(state, ids)
            .map_err(Error::inference("t5 decoder"))
    }

    /// Encode `input_ids`, start the decoder with `forced` (after the start token),
    /// and generate. Mirrors [`super::generator::Generator::generate`]: same options,
    /// stop reasons, repetition penalty (over the decoder's tokens) and steering.
    /// `Generated::ids` excludes the forced tokens; `prompt_tokens` counts the
    /// encoder input.
    pub fn generate(
        &self,
        input_ids: &[u32],
        forced: &[u32],
        options: &GenerateOptions,
    ) -> Result<Generated> {
        let start = Instant::now();
        let encoded = self.encode(input_ids)?;
        let mut state = self.start(&encoded)?;
        let mut history = Vec::with_capacity(1 + forced.len() + options.max_new_tokens.min(256));
        history.push(self.decoder_start_id);
        history.extend_from_slice(forced);
        let mut logits = if options.max_new_tokens == 0 {
            Vec::new()
        } else {
            self.step(&mut state, &history)?
        };
        let ms_prefill = start.elapsed().as_millis() as u64;
        let start = Instant::now();
        let mut sampler = Sampler::new(options.sampling);
        let mut ids = Vec::new();
        let mut continued = false;
        let stop_reason = loop {
            options.check_cancel()?;
            if ids.len() >= options.max_new_tokens {
                break StopReason::MaxTokens;
            }
            if options.repetition_penalty != 1.0 {
                let from = match options.repeat_last_n {
                    0 => 0,
                    n => history.len().saturating_sub(n),
                };
                apply_repetition_penalty(&mut logits, &history[from..], options.repetition_penalty);
            }
            let next = sampler.sample(&logits).ok_or_else(|| {
                Error::Article(ArticleError::new(
                    ErrorKind::Model,
                    "the model produced NaN logits",
                ))
            })?;
            let end_of_turn = self.eos_ids.contains(&next);
            if !end_of_turn {
                if options.stop_ids.contains(&next) {
                    break StopReason::StopToken;
                }
                ids.push(next);
                history.push(next);
                if ids.len() >= options.max_new_tokens {
                    break StopReason::MaxTokens;
                }
                if state.len >= MAX_DECODER_TOKENS {
                    break StopReason::ContextFull;
                }
            }
            // Fed next: the token just chosen (unless the turn ended), then the
            // steering ids when they are due.
            let mut feed: Vec<u32> = if end_of_turn { Vec::new() } else { vec![next] };
            if let Some(steer) = options.steer.as_ref().filter(|_| !continued) {
                let n = steer.ids.len();
                let room = ids.len() + n < options.max_new_tokens
                    && state.len + feed.len() + n < MAX_DECODER_TOKENS;
                if steer.due(&ids, end_of_turn, room, |x| self.detokenize(x))? {
                    continued = true;
                    ids.extend_from_slice(&steer.ids);
                    history.extend_from_slice(&steer.ids);
                    feed.extend_from_slice(&steer.ids);
                }
            }
            if feed.is_empty() {
                break StopReason::EndOfTurn;
            }
            logits = self.step(&mut state, &feed)?;
        };
        Ok(Generated {
            text: self.detokenize(&ids)?,
            ids,
            stop_reason,
            prompt_tokens: input_ids.len(),
            ms_prefill,
            ms_decode: start.elapsed().as_millis() as u64,
        })
    }

    fn check_ids(&self, ids: &[u32]) -> Result<()> {
        match ids.iter().find(|&&id| id as usize >= self.vocab_size) {
            Some(bad) => Err(Error::Config(format!(
                "token id {bad} is outside the vocabulary of {}",
                self.vocab_size
            ))),
            None => Ok(()),
        }
    }

    /// `(t, heads·d_kv)` → `(heads, t, d_kv)`.
    fn heads(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let t = x.dim(0)?;
        x.reshape((t, self.n_heads, self.d_kv))?
            .transpose(0, 1)?
            .contiguous()
    }

    /// Attention of `q` over `k`/`v` (all `(heads, ·, d_kv)`) plus `bias`
    /// `(heads, tq, tk)`; T5 does not scale scores by `1/√d_kv`.
    fn attend(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        bias: Option<&Tensor>,
        o: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let scores = q.matmul(&k.t()?)?;
        let scores = match bias {
            Some(b) => (scores + b)?,
            None => scores,
        };
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = probs.matmul(v)?; // (heads, tq, d_kv)
        let tq = out.dim(1)?;
        let out = out
            .transpose(0, 1)?
            .reshape((tq, self.n_heads * self.d_kv))?;
        linear(&out, o)
    }

    fn run_encoder(&self, ids: &[u32]) -> candle_core::Result<Tensor> {
        let n = ids.len();
        let mut x = self.embed(ids)?;
        let bias = self.position_bias(&self.encoder.bias_table, 0, n, n, false)?;
        for b in &self.encoder.blocks {
            let h = rms_norm(&x, &b.self_norm, self.eps)?;
            let (q, k, v) = (
                self.heads(&linear(&h, &b.self_attn.q)?)?,
                self.heads(&linear(&h, &b.self_attn.k)?)?,
                self.heads(&linear(&h, &b.self_attn.v)?)?,
            );
            x = (x + self.attend(&q, &k, &v, Some(&bias), &b.self_attn.o)?)?;
            let h = rms_norm(&x, &b.ff_norm, self.eps)?;
            x = (x + b.ff.forward(&h)?)?;
        }
        rms_norm(&x, &self.encoder.final_norm, self.eps)
    }

    fn run_decoder(&self, state: &mut DecoderState, ids: &[u32]) -> candle_core::Result<Vec<f32>> {
        let (t, past) = (ids.len(), state.len);
        let mut x = self.embed(ids)?;
        let bias = self.position_bias(&self.decoder.bias_table, past, t, past + t, true)?;
        for ((b, (ck, cv)), cache) in self
            .decoder
            .blocks
            .iter()
            .zip(&state.cross)
            .zip(state.cache.iter_mut())
        {
            let h = rms_norm(&x, &b.self_norm, self.eps)?;
            let q = self.heads(&linear(&h, &b.self_attn.q)?)?;
            let k = self.heads(&linear(&h, &b.self_attn.k)?)?;
            let v = self.heads(&linear(&h, &b.self_attn.v)?)?;
            let (k, v) = match cache.take() {
                Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 1)?, Tensor::cat(&[&pv, &v], 1)?),
                None => (k, v),
            };
            x = (x + self.attend(&q, &k, &v, Some(&bias), &b.self_attn.o)?)?;
            *cache = Some((k, v));
            if let Some((norm, attn)) = &b.cross {
                let h = rms_norm(&x, norm, self.eps)?;
                let q = self.heads(&linear(&h, &attn.q)?)?;
                x = (x + self.attend(&q, ck, cv, None, &attn.o)?)?;
            }
            let h = rms_norm(&x, &b.ff_norm, self.eps)?;
            x = (x + b.ff.forward(&h)?)?;
        }
        state.len += t;
        let last = rms_norm(&x.narrow(0, t - 1, 1)?, &self.decoder.final_norm, self.eps)?;
        let logits = match &self.lm_head {
            Some(w) => linear(&last, w)?,
            None => linear(&(last * (self.d_model as f64).powf(-0.5))?, &self.shared)?,
        };
        logits.flatten_all()?.to_vec1::<f32>()
    }

    fn embed(&self, ids: &[u32]) -> candle_core::Result<Tensor> {
        let ids = Tensor::from_slice(ids, ids.len(), &Device::Cpu)?;
        self.shared.index_select(&ids, 0)
    }

    /// Position bias `(heads, tq, tk)` for queries at positions `q0..q0+tq` over keys
    /// `0..tk`; the decoder's also masks future keys.
    fn position_bias(
        &self,
        table: &[f32],
        q0: usize,
        tq: usize,
        tk: usize,
        decoder: bool,
    ) -> candle_core::Result<Tensor> {
        let heads = self.n_heads;
        let mut out = vec![0f32; heads * tq * tk];
        // Buckets depend on `key − query` only: one per distinct offset.
        let lowest = -((q0 + tq) as i64 - 1);
        let buckets: Vec<usize> = (lowest..tk as i64 - q0 as i64)
            .map(|rel| relative_position_bucket(rel, !decoder, self.num_buckets, self.max_distance))
            .collect();
        for i in 0..tq {
            let qi = (q0 + i) as i64;
            for j in 0..tk {
                let at = i * tk + j;
                if decoder && j as i64 > qi {
                    for h in 0..heads {
                        out[h * tq * tk + at] = f32::NEG_INFINITY;
                    }
                    continue;
                }
                let bucket = buckets[(j as i64 - qi - lowest) as usize];
                let row = &table[bucket * heads..(bucket + 1) * heads];
                for (h, &bias) in row.iter().enumerate() {
                    out[h * tq * tk + at] = bias;
                }
            }
        }
        Tensor::from_vec(out, (heads, tq, tk), &Device::Cpu)
    }
}

/// T5's bucket of a relative position `key − query` (transformers'
/// `_relative_position_bucket`, computed in f32 as there): half the buckets are exact
/// distances, the rest logarithmic up to `max_distance`; bidirectional (encoder)
/// buckets split by direction, causal (decoder) ones see only the past.
pub fn relative_position_bucket(
    relative: i64,
    bidirectional: bool,
    num_buckets: usize,
    max_distance: usize,
) -> usize {
    let mut buckets = num_buckets;
    let mut base = 0;
    let distance = if bidirectional {
        buckets /= 2;
        if relative > 0 {
            base = buckets;
        }
        relative.unsigned_abs()
    } else {
        (-relative).max(0).unsigned_abs()
    };
    let max_exact = (buckets / 2).max(1) as u64;
    if distance < max_exact {
        return base + distance as usize;
    }
    let log_ratio = (distance as f32 / max_exact as f32).ln()
        / ((max_distance as f64 / max_exact as f64).ln() as f32);
    let large = max_exact as usize + (log_ratio * (buckets - max_exact as usize) as f32) as usize;
    base + large.min(buckets.saturating_sub(1))
}

impl FeedForward {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = match self.wi.as_slice() {
            [wi] => self.act.forward(&linear(x, wi)?)?,
            [wi_0, wi_1] => (self.act.forward(&linear(x, wi_0)?)? * linear(x, wi_1)?)?,
            _ => candle_core::bail!("feed-forward without input projection"),
        };
        linear(&h, &self.wo)
    }
}

fn linear(x: &Tensor, w: &Tensor) -> candle_core::Result<Tensor> {
    x.matmul(&w.t()?)
}

/// T5's layer norm: RMS scaling without centring or bias.
fn rms_norm(x: &Tensor, w: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
    candle_nn::ops::rms_norm(x, w, eps as f32)
}

fn validate(dir: &Path, c: &T5Config) -> Result<()> {
    let err = |m: String| Err(load_error(dir, m));
    if !c.is_encoder_decoder {
        return err(
            "config.json: is_encoder_decoder is false (only encoder-decoder T5 generates)".into(),
        );
    }
    let dims = [
        c.vocab_size,
        c.d_model,
        c.d_kv,
        c.d_ff,
        c.num_layers,
        c.num_heads,
    ];
    if dims.contains(&0)
        || c.d_model > 1 << 16
        || c.d_ff > 1 << 18
        || c.num_heads > 1024
        || c.num_layers > 1024
    {
        return err(format!(
            "implausible dimensions: vocab {}, d_model {}, d_kv {}, d_ff {}, {} layers, {} heads",
            c.vocab_size, c.d_model, c.d_kv, c.d_ff, c.num_layers, c.num_heads
        ));
    }
    if c.num_decoder_layers.is_some_and(|n| n == 0 || n > 1024) {
        return err("bad num_decoder_layers".into());
    }
    if c.relative_attention_num_buckets < 4
        || c.relative_attention_num_buckets > 1 << 12
        || c.relative_attention_max_distance == 0
    {
        return err(format!(
            "bad relative attention: {} buckets, max distance {}",
            c.relative_attention_num_buckets, c.relative_attention_max_distance
        ));
    }
    if !(c.layer_norm_epsilon.is_finite() && c.layer_norm_epsilon >= 0.0) {
        return err(format!("bad layer_norm_epsilon {}", c.layer_norm_epsilon));
    }
    Ok(())
}

type Weights = (Tensor, Stack, Stack, Option<Tensor>);

fn load_weights(vb: &VarBuilder, c: &T5Config) -> candle_core::Result<Weights> {
    let shared_name = [
        "shared.weight",
        "decoder.embed_tokens.weight",
        "encoder.embed_tokens.weight",
    ]
    .into_iter()
    .find(|n| vb.contains_tensor(n))
    .ok_or_else(|| candle_core::Error::Msg("missing tensor `shared.weight`".into()))?;
    let shared = vb.get((c.vocab_size, c.d_model), shared_name)?;
    let encoder = load_stack(&vb.pp("encoder"), c, c.num_layers, false)?;
    let decoder = load_stack(
        &vb.pp("decoder"),
        c,
        c.num_decoder_layers.unwrap_or(c.num_layers),
        true,
    )?;
    let lm_head = if c.tie_word_embeddings {
        None
    } else {
        Some(vb.get((c.vocab_size, c.d_model), "lm_head.weight")?)
    };
    Ok((shared, encoder, decoder, lm_head))
}

fn load_stack(
    vb: &VarBuilder,
    c: &T5Config,
    layers: usize,
    decoder: bool,
) -> candle_core::Result<Stack> {
    let inner = c.num_heads * c.d_kv;
    let attention = |vb: VarBuilder| -> candle_core::Result<Attention> {
        Ok(Attention {
            q: vb.get((inner, c.d_model), "q.weight")?,
            k: vb.get((inner, c.d_model), "k.weight")?,
            v: vb.get((inner, c.d_model), "v.weight")?,
            o: vb.get((c.d_model, inner), "o.weight")?,
        })
    };
    let norm = |vb: VarBuilder| vb.get(c.d_model, "layer_norm.weight");
    let mut blocks = Vec::with_capacity(layers);
    for i in 0..layers {
        let layer = vb.pp(format!("block.{i}.layer"));
        let self_attn = attention(layer.pp("0").pp("SelfAttention"))?;
        let self_norm = norm(layer.pp("0"))?;
        let cross = if decoder {
            Some((
                norm(layer.pp("1"))?,
                attention(layer.pp("1").pp("EncDecAttention"))?,
            ))
        } else {
            None
        };
        let ff_vb = layer.pp(if decoder { "2" } else { "1" });
        let dense = ff_vb.pp("DenseReluDense");
        let wi = if c.feed_forward_proj.gated {
            vec![
                dense.get((c.d_ff, c.d_model), "wi_0.weight")?,
                dense.get((c.d_ff, c.d_model), "wi_1.weight")?,
            ]
        } else {
            vec![dense.get((c.d_ff, c.d_model), "wi.weight")?]
        };
        blocks.push(Block {
            self_norm,
            self_attn,
            cross,
            ff_norm: norm(ff_vb.clone())?,
            ff: FeedForward {
                wi,
                wo: dense.get((c.d_model, c.d_ff), "wo.weight")?,
                act: c.feed_forward_proj.activation,
            },
        });
    }
    // Only the first block holds the relative-position table; the others reuse its bias.
    let bias_table = vb
        .get(
            (c.relative_attention_num_buckets, c.num_heads),
            "block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        )?
        .flatten_all()?
        .to_vec1::<f32>()?;
    Ok(Stack {
        blocks,
        bias_table,
        final_norm: vb.get(c.d_model, "final_layer_norm.weight")?,
    })
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<T5Model>();
    is::<DecoderState>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::generator::{GenerateOptions, Steer};
    use crate::model::tiny_hf::{write_tiny_hf, TinyHfSpec};
    use candle_transformers::models::t5::T5ForConditionalGeneration;
    use std::sync::Arc;

    fn tiny(spec: &TinyHfSpec) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_hf(dir.path(), spec).unwrap();
        dir
    }

    fn greedy(n: usize) -> GenerateOptions {
        GenerateOptions {
            max_new_tokens: n,
            ..GenerateOptions::default()
        }
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max)
    }

    /// Values of transformers' `_relative_position_bucket` (32 buckets, distance 128).
    #[test]
    fn buckets_follow_transformers() {
        let bi = [
            (0, 0),
            (-1, 1),
            (1, 17),
            (-7, 7),
            (-8, 8),
            (-11, 8),
            (-12, 9),
            (-16, 10),
            (-23, 11),
            (-32, 12),
            (-64, 14),
            (-127, 15),
            (-128, 15),
            (-500, 15),
            (5, 21),
            (8, 24),
            (16, 26),
            (128, 31),
        ];
        for (rel, want) in bi {
            assert_eq!(
                relative_position_bucket(rel, true, 32, 128),
                want,
                "bidirectional {rel}"
            );
        }
        let causal = [
            (0, 0),
            (-1, 1),
            (5, 0),
            (-15, 15),
            (-16, 16),
            (-17, 16),
            (-20, 17),
            (-32, 21),
            (-45, 23),
            (-64, 26),
            (-100, 30),
            (-127, 31),
            (-128, 31),
            (-1000, 31),
        ];
        for (rel, want) in causal {
            assert_eq!(
                relative_position_bucket(rel, false, 32, 128),
                want,
                "causal {rel}"
            );
        }
        for (rel, want) in [(-16, 16), (-17, 17), (-31, 31), (-32, 32), (-40, 37)] {
            assert_eq!(
                relative_position_bucket(rel, false, 64, 128),
                want,
                "causal/64 {rel}"
            );
        }
    }

    /// candle-transformers' T5 run by hand: encode, then one token per step with its
    /// KV cache, greedy, until EOS or `max` tokens. Returns the ids and each step's logits.
    fn candle_greedy(dir: &Path, input: &[u32], max: usize) -> (Vec<u32>, Vec<Vec<f32>>, Vec<f32>) {
        let files = files::weight_files(dir).unwrap();
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&files, DType::F32, &Device::Cpu) }
            .unwrap();
        let cfg: T5Config =
            serde_json::from_value(files::read_json(dir, CONFIG_FILE).unwrap()).unwrap();
        let mut m = T5ForConditionalGeneration::load(vb, &cfg).unwrap();
        let dev = Device::Cpu;
        let input = Tensor::new(input, &dev).unwrap().unsqueeze(0).unwrap();
        let enc = m.encode(&input).unwrap();
        let enc_vec = enc.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let mut tokens = vec![cfg.decoder_start_token_id.unwrap() as u32];
        let mut out = Vec::new();
        let mut all_logits = Vec::new();
        while out.len() < max {
            let last = Tensor::new(&tokens[tokens.len() - 1..], &dev)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let logits = m
                .decode(&last, &enc)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let next = crate::model::sampling::argmax(&logits).unwrap();
            all_logits.push(logits);
            if next as usize == cfg.eos_token_id {
                break;
            }
            tokens.push(next);
            out.push(next);
        }
        (out, all_logits, enc_vec)
    }

    /// Our step-by-step logits for `ids` fed after the start token.
    fn our_logits(m: &T5Model, input: &[u32], ids: &[u32]) -> Vec<Vec<f32>> {
        let enc = m.encode(input).unwrap();
        let mut state = m.start(&enc).unwrap();
        let mut fed = vec![m.decoder_start_id()];
        fed.extend_from_slice(ids);
        fed.iter()
            .map(|&t| m.step(&mut state, &[t]).unwrap())
            .collect()
    }

    /// Greedy output and logits equal candle-transformers' T5 run step by step, over
    /// the 17 decoder positions where its (bidirectional) decoder buckets coincide
    /// with T5's causal ones at 64 buckets; untied head, and tied (where candle's
    /// logits are `d_model` times T5's).
    #[test]
    fn greedy_matches_candle_t5_step_by_step() {
        for (tied, ff) in [(false, "gated-gelu"), (true, "relu")] {
            let spec = TinyHfSpec {
                t5_buckets: 64,
                tie_embeddings: tied,
                t5_feed_forward: ff.into(),
                ..TinyHfSpec::new("t5", 21)
            };
            let dir = tiny(&spec);
            let m = T5Model::load(dir.path()).unwrap();
            let input = m
                .input_ids("Read the news article: the world said a news")
                .unwrap();
            let (theirs, their_logits, their_enc) = candle_greedy(dir.path(), &input, 16);
            assert!(theirs.len() >= 8, "too short to compare: {theirs:?}");
            let ours = m.generate(&input, &[], &greedy(16)).unwrap();
            assert_eq!(ours.ids, theirs, "tied {tied}");
            let enc = m.encode(&input).unwrap();
            let enc = enc.hidden.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert!(max_diff(&enc, &their_enc) < 1e-4);
            let scale = if tied { spec.hidden as f32 } else { 1.0 };
            for (step, (a, b)) in our_logits(&m, &input, &theirs)
                .iter()
                .zip(&their_logits)
                .enumerate()
            {
                let a: Vec<f32> = a.iter().map(|x| x * scale).collect();
                let tol = 1e-4 * b.iter().map(|x| x.abs()).fold(1f32, f32::max);
                assert!(
                    max_diff(&a, b) < tol,
                    "tied {tied} step {step}: {}",
                    max_diff(&a, b)
                );
            }
        }
    }

    /// Past distance 8 (32 buckets) candle's decoder buckets are not T5's: this is
    /// why the model is our own. If candle fixes it, this fails and its model could
    /// be used instead.
    #[test]
    fn candle_decoder_positions_differ_beyond_eight() {
        let dir = tiny(&TinyHfSpec::new("t5", 22));
        let m = T5Model::load(dir.path()).unwrap();
        let input = m.input_ids("the world said").unwrap();
        let (ids, their_logits, _) = candle_greedy(dir.path(), &input, 14);
        assert!(ids.len() >= 12, "{ids:?}");
        let ours = our_logits(&m, &input, &ids);
        assert!(max_diff(&ours[3], &their_logits[3]) < 1e-4);
        assert!(max_diff(&ours[12], &their_logits[12]) > 1e-3);
    }

    /// Incremental decoding (cache, causal position biases) equals feeding the whole
    /// decoder sequence at once, far past the exact-distance buckets.
    #[test]
    fn cached_steps_equal_one_pass() {
        let dir = tiny(&TinyHfSpec::new("t5", 23));
        let m = T5Model::load(dir.path()).unwrap();
        let enc = m.encode(&m.input_ids("a news article").unwrap()).unwrap();
        let seq: Vec<u32> = (0..40).map(|i| 3 + (i * 7 % 60) as u32).collect();
        let mut step_state = m.start(&enc).unwrap();
        let mut last = Vec::new();
        for chunk in [&seq[..1], &seq[1..5], &seq[5..6], &seq[6..]] {
            last = m.step(&mut step_state, chunk).unwrap();
        }
        assert_eq!(step_state.len(), 40);
        let mut one = m.start(&enc).unwrap();
        let whole = m.step(&mut one, &seq).unwrap();
        assert!(
            max_diff(&last, &whole) < 1e-4,
            "{}",
            max_diff(&last, &whole)
        );
    }

    #[test]
    fn generation_options_and_limits() {
        let dir = tiny(&TinyHfSpec::new("t5", 24));
        let m = Arc::new(T5Model::load(dir.path()).unwrap());
        assert_eq!(m.eos_ids(), &[0]);
        assert_eq!(m.decoder_start_id(), 1);
        let input = m.input_ids("the world").unwrap();
        assert_eq!(*input.last().unwrap(), 0, "input ends with </s>");
        let free = m.generate(&input, &[], &greedy(12)).unwrap();
        assert_eq!(free.prompt_tokens, input.len());
        assert_eq!(free.text, m.detokenize(&free.ids).unwrap());
        for n in [0, 1, 3] {
            let out = m.generate(&input, &[], &greedy(n)).unwrap();
            assert_eq!(out.ids[..], free.ids[..n.min(free.ids.len())]);
            if n <= free.ids.len() {
                assert_eq!(out.stop_reason, StopReason::MaxTokens);
            }
        }
        if let Some(&stop) = free.ids.get(2) {
            let first = free.ids.iter().position(|&t| t == stop).unwrap();
            let out = m
                .generate(
                    &input,
                    &[],
                    &GenerateOptions {
                        stop_ids: vec![stop],
                        ..greedy(12)
                    },
                )
                .unwrap();
            assert_eq!(out.stop_reason, StopReason::StopToken);
            assert_eq!(out.ids, free.ids[..first]);
        }
        // Forced tokens are fed, not returned.
        let forced = m.tokens("SUMMARY:", false).unwrap();
        let primed = m.generate(&input, &forced, &greedy(4)).unwrap();
        assert!(primed.ids.len() <= 4);
        // Same answers from several threads sharing the model.
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let (m, input) = (m.clone(), input.clone());
                std::thread::spawn(move || m.generate(&input, &[], &greedy(12)).unwrap().ids)
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), free.ids);
        }
        // Bad inputs are errors.
        assert!(m.generate(&[], &[], &greedy(2)).is_err());
        assert!(m.generate(&[100_000], &[], &greedy(2)).is_err());
        let long = vec![5u32; MAX_INPUT_TOKENS + 1];
        assert!(matches!(
            m.generate(&long, &[], &greedy(2)),
            Err(Error::Article(_))
        ));
    }

    #[test]
    fn eos_ends_and_steering_continues() {
        let dir = tiny(&TinyHfSpec {
            zero_output: true,
            ..TinyHfSpec::new("t5", 25)
        });
        let m = T5Model::load(dir.path()).unwrap();
        let input = m.input_ids("the world").unwrap();
        let out = m.generate(&input, &[], &greedy(10)).unwrap();
        assert_eq!(out.stop_reason, StopReason::EndOfTurn);
        assert!(out.ids.is_empty());
        let cont = m.tokens("\nCLAIMS:\n-", false).unwrap();
        let steer = GenerateOptions {
            steer: Some(Steer {
                marker: "CLAIMS:".into(),
                ids: cont.clone(),
                after: 0,
            }),
            ..greedy(10)
        };
        let out = m.generate(&input, &[], &steer).unwrap();
        assert_eq!(out.stop_reason, StopReason::EndOfTurn);
        assert_eq!(out.ids, cont);
        assert_eq!(out.text, "CLAIMS: -");
    }

    /// T5 v1.0 configs may lack `feed_forward_proj`: transformers then uses ReLU.
    #[test]
    fn missing_feed_forward_proj_means_relu() {
        let spec = TinyHfSpec {
            t5_feed_forward: "relu".into(),
            ..TinyHfSpec::new("t5", 27)
        };
        let dir = tiny(&spec);
        let m = T5Model::load(dir.path()).unwrap();
        let input = m.input_ids("the news").unwrap();
        let relu = our_logits(&m, &input, &[5, 6]);
        let mut c = files::read_json(dir.path(), CONFIG_FILE).unwrap();
        c.as_object_mut().unwrap().remove("feed_forward_proj");
        std::fs::write(dir.path().join(CONFIG_FILE), c.to_string()).unwrap();
        let m = T5Model::load(dir.path()).unwrap();
        assert_eq!(our_logits(&m, &input, &[5, 6]), relu);
    }

    #[test]
    fn broken_directories_are_errors_not_panics() {
        let fresh = || tiny(&TinyHfSpec::new("t5", 26));
        let message = |dir: &Path| match T5Model::load(dir) {
            Err(Error::ModelLoad { message, .. }) => message,
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => panic!("loaded a broken model"),
        };
        let edit = |dir: &Path, f: &dyn Fn(&mut Value)| {
            let mut c = files::read_json(dir, CONFIG_FILE).unwrap();
            f(&mut c);
            std::fs::write(dir.join(CONFIG_FILE), c.to_string()).unwrap();
        };
        let dir = fresh();
        std::fs::remove_file(dir.path().join(crate::model::files::TOKENIZER_FILE)).unwrap();
        assert!(message(dir.path()).contains("tokenizer.json"));
        // candle's own loader asserts on this one.
        let dir = fresh();
        edit(dir.path(), &|c| c["is_encoder_decoder"] = false.into());
        assert!(message(dir.path()).contains("is_encoder_decoder"));
        let dir = fresh();
        edit(dir.path(), &|c| c["d_model"] = 0.into());
        assert!(message(dir.path()).contains("implausible"));
        let dir = fresh();
        edit(dir.path(), &|c| {
            c.as_object_mut().unwrap().remove("num_heads");
        });
        assert!(message(dir.path()).contains("bad config.json"));
        let dir = fresh();
        edit(dir.path(), &|c| c["num_layers"] = 3.into());
        assert!(message(dir.path()).contains("block.2"));
        let dir = fresh();
        edit(dir.path(), &|c| c["model_type"] = "bart".into());
        assert!(message(dir.path()).contains("bart"));
    }
}
