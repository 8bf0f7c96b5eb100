//! Tiny random-weight Hugging Face model directories for tests and examples:
//! `llama` / `qwen2` decoders (byte-level BPE tokenizer, ChatML template) and
//! `t5` encoder-decoders (Unigram tokenizer in T5's style), written in the HF
//! layout (`config.json`, safetensors, `tokenizer.json`, …) so they load through
//! the real code paths without a download.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde_json::json;
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::replace::Replace;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::Tokenizer;

use super::files::INDEX_FILE;
use super::files::{CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE};
use super::gguf::GgufFile;
use super::gguf_tokenizer::tokenizer_from_gguf;
use super::hf::{GENERATION_CONFIG_FILE, TOKENIZER_CONFIG_FILE};
use super::tiny::{write_tiny_gguf, SplitMix, TinySpec, CHATML_TEMPLATE};
use crate::error::{Error, Result};

/// Shape and content of a tiny HF model.
#[derive(Debug, Clone, PartialEq)]
pub struct TinyHfSpec {
    /// `llama`, `qwen2` or `t5`.
    pub model_type: String,
    /// Seed of the deterministic weight generator.
    pub seed: u64,
    /// Layers (T5: encoder and decoder layers each).
    pub n_layer: usize,
    /// Hidden size (`d_model` for T5).
    pub hidden: usize,
    /// Attention heads.
    pub n_head: usize,
    /// Key/value heads (decoders; divides `n_head`).
    pub n_kv_head: usize,
    /// Feed-forward size.
    pub n_ff: usize,
    /// `max_position_embeddings` (decoders).
    pub context_length: usize,
    /// `tie_word_embeddings`: no separate output head.
    pub tie_embeddings: bool,
    /// Storage dtype of the weights (F32, BF16 or F16).
    pub dtype: DType,
    /// 1: `model.safetensors`; more: that many shards plus an index.
    pub shards: usize,
    /// All-zero output head (untied): every logit is 0 and greedy decoding picks
    /// id 0, which ends the output (`<|endoftext|>`, or T5's `</s>` here).
    pub zero_output: bool,
    /// `rope_scaling` entry of config.json (decoders).
    pub rope_scaling: Option<serde_json::Value>,
    /// T5 relative-attention buckets.
    pub t5_buckets: usize,
    /// T5 `feed_forward_proj` (`gated-gelu` as flan-t5, or `relu` as T5 v1.0).
    pub t5_feed_forward: String,
}

impl TinyHfSpec {
    /// A 2-layer model of hidden size 64 (T5: 32) with grouped-query attention,
    /// untied output head, f32 weights in one file.
    pub fn new(model_type: &str, seed: u64) -> Self {
        let t5 = model_type == "t5";
        TinyHfSpec {
            model_type: model_type.to_string(),
            seed,
            n_layer: 2,
            hidden: if t5 { 32 } else { 64 },
            n_head: 4,
            n_kv_head: if t5 { 4 } else { 2 },
            n_ff: if t5 { 64 } else { 128 },
            context_length: 128,
            tie_embeddings: false,
            dtype: DType::F32,
            shards: 1,
            zero_output: false,
            rope_scaling: None,
            t5_buckets: 32,
            t5_feed_forward: "gated-gelu".into(),
        }
    }
}

/// T5 tiny vocabulary: `</s>` first (id 0, so an all-zero head picks it), then
/// `<pad>` (the decoder start) and `<unk>`, then SentencePiece-style pieces.
pub const T5_SPECIAL: [&str; 3] = ["</s>", "<pad>", "<unk>"];

const T5_WORDS: &[&str] = &[
    "▁the",
    "▁SUMMARY",
    "▁CLAIMS",
    "▁-",
    "▁world",
    "▁news",
    "▁article",
    "▁said",
    "▁is",
    "▁a",
    "▁of",
    "▁in",
    "▁to",
    "▁and",
    "▁Read",
];

/// The tiny T5 vocabulary with Unigram scores.
pub fn t5_vocabulary() -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = T5_SPECIAL.iter().map(|s| (s.to_string(), 0.0)).collect();
    v.push(("▁".into(), -2.0));
    v.extend(T5_WORDS.iter().map(|w| (w.to_string(), -3.0)));
    let chars = ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .chain(":.,-'\"!?()".chars());
    v.extend(chars.map(|c| (c.to_string(), -6.0)));
    v
}

/// Write a tiny model described by `spec` into the directory `dir` (created).
pub fn write_tiny_hf(dir: &Path, spec: &TinyHfSpec) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let fail =
        |e: &dyn std::fmt::Display| Error::Config(format!("cannot write tiny HF model: {e}"));
    let (config, tensors) = match spec.model_type.as_str() {
        "llama" | "qwen2" => {
            write_decoder_tokenizer(dir, spec)?;
            decoder_parts(spec).map_err(|e| fail(&e))?
        }
        "t5" => {
            write_t5_tokenizer(dir).map_err(|e| fail(&e))?;
            t5_parts(spec).map_err(|e| fail(&e))?
        }
        other => return Err(fail(&format!("unknown model_type {other}"))),
    };
    write_json(dir, CONFIG_FILE, &config)?;
    let tensors: Vec<(String, Tensor)> = tensors
        .into_iter()
        .map(|(n, t)| t.to_dtype(spec.dtype).map(|t| (n, t)))
        .collect::<candle_core::Result<_>>()
        .map_err(|e| fail(&e))?;
    write_weights(dir, tensors, spec.shards.max(1)).map_err(|e| fail(&e))
}

fn write_json(dir: &Path, name: &str, value: &serde_json::Value) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).map_err(|e| Error::io(path, e))
}

/// One file, or `shards` files round-robin plus `model.safetensors.index.json`.
fn write_weights(
    dir: &Path,
    tensors: Vec<(String, Tensor)>,
    shards: usize,
) -> candle_core::Result<()> {
    if shards == 1 {
        let map: HashMap<String, Tensor> = tensors.into_iter().collect();
        return candle_core::safetensors::save(&map, dir.join(WEIGHTS_FILE));
    }
    let mut files: Vec<HashMap<String, Tensor>> = vec![HashMap::new(); shards];
    let mut weight_map = serde_json::Map::new();
    for (i, (name, t)) in tensors.into_iter().enumerate() {
        let file = format!("model-{:05}-of-{shards:05}.safetensors", i % shards + 1);
        weight_map.insert(name.clone(), json!(file));
        files[i % shards].insert(name, t);
    }
    for (i, map) in files.iter().enumerate() {
        let file = format!("model-{:05}-of-{shards:05}.safetensors", i + 1);
        candle_core::safetensors::save(map, dir.join(file))?;
    }
    let index = json!({"metadata": {}, "weight_map": weight_map});
    std::fs::write(dir.join(INDEX_FILE), index.to_string())?;
    Ok(())
}

/// The byte-level BPE tokenizer of the tiny GGUF models, saved as `tokenizer.json`,
/// with `tokenizer_config.json` (ChatML template) and `generation_config.json`.
fn write_decoder_tokenizer(dir: &Path, spec: &TinyHfSpec) -> Result<()> {
    let scratch = tempfile::tempdir().map_err(|e| Error::io(dir, e))?;
    let gguf_path = scratch.path().join("tokenizer.gguf");
    write_tiny_gguf(&gguf_path, &TinySpec::new(&spec.model_type, spec.seed))?;
    let tokenizer = tokenizer_from_gguf(&GgufFile::open(&gguf_path)?)?;
    tokenizer
        .save(dir.join(TOKENIZER_FILE), false)
        .map_err(|e| Error::Tokenizer(e.to_string()))?;
    write_json(
        dir,
        TOKENIZER_CONFIG_FILE,
        &json!({
            "bos_token": "<|im_start|>",
            "eos_token": "<|im_end|>",
            "add_bos_token": false,
            "chat_template": CHATML_TEMPLATE,
        }),
    )?;
    write_json(
        dir,
        GENERATION_CONFIG_FILE,
        &json!({"bos_token_id": 1, "eos_token_id": [2, 0]}),
    )
}

fn write_t5_tokenizer(
    dir: &Path,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let unk = T5_SPECIAL.iter().position(|s| *s == "<unk>");
    let mut tokenizer = Tokenizer::new(Unigram::from(t5_vocabulary(), unk, false)?);
    let post = TemplateProcessing::builder()
        .try_single("$A </s>")?
        .special_tokens(vec![("</s>", 0)])
        .build()?;
    tokenizer
        .with_normalizer(Some(Replace::new("\n", " ")?))
        .with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)))
        .with_decoder(Some(Metaspace::new('▁', PrependScheme::Always, true)))
        .with_post_processor(Some(post));
    tokenizer.add_special_tokens(
        &T5_SPECIAL
            .iter()
            .map(|s| tokenizers::AddedToken::from(*s, true))
            .collect::<Vec<_>>(),
    );
    tokenizer.save(dir.join(TOKENIZER_FILE), false)?;
    std::fs::write(
        dir.join(GENERATION_CONFIG_FILE),
        json!({"decoder_start_token_id": 1, "eos_token_id": 0, "pad_token_id": 1}).to_string(),
    )?;
    Ok(())
}

type Parts = (serde_json::Value, Vec<(String, Tensor)>);

struct Random(SplitMix);

impl Random {
    fn tensor(&mut self, dims: &[usize], scale: f32) -> candle_core::Result<Tensor> {
        let n: usize = dims.iter().product();
        let data: Vec<f32> = (0..n).map(|_| self.0.uniform() * scale).collect();
        Tensor::from_vec(data, dims, &Device::Cpu)
    }

    /// Norm weights near 1.
    fn norm(&mut self, n: usize) -> candle_core::Result<Tensor> {
        self.tensor(&[n], 0.1)? + 1.0
    }
}

fn decoder_parts(s: &TinyHfSpec) -> candle_core::Result<Parts> {
    let vocab = super::tiny::tiny_vocabulary().len();
    let head_dim = s.hidden / s.n_head;
    let (e, h, kv, ff) = (
        s.hidden,
        s.n_head * head_dim,
        s.n_kv_head * head_dim,
        s.n_ff,
    );
    let qwen2 = s.model_type == "qwen2";
    let tied = s.tie_embeddings && !s.zero_output;
    let mut config = json!({
        "architectures": [if qwen2 { "Qwen2ForCausalLM" } else { "LlamaForCausalLM" }],
        "model_type": s.model_type,
        "hidden_size": e,
        "intermediate_size": ff,
        "num_hidden_layers": s.n_layer,
        "num_attention_heads": s.n_head,
        "num_key_value_heads": s.n_kv_head,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "max_position_embeddings": s.context_length,
        "vocab_size": vocab,
        "tie_word_embeddings": tied,
        "hidden_act": "silu",
        "bos_token_id": 1,
        "eos_token_id": 2,
        "rope_scaling": s.rope_scaling,
        "torch_dtype": "float32",
    });
    if qwen2 {
        config["sliding_window"] = json!(s.context_length);
        config["max_window_layers"] = json!(s.n_layer);
        config["use_sliding_window"] = json!(false);
    }
    let mut r = Random(SplitMix(s.seed));
    let w = 1.0 / (e as f32).sqrt();
    let mut t = vec![(
        "model.embed_tokens.weight".to_string(),
        r.tensor(&[vocab, e], 1.0)?,
    )];
    for i in 0..s.n_layer {
        let p = format!("model.layers.{i}");
        t.push((format!("{p}.input_layernorm.weight"), r.norm(e)?));
        t.push((
            format!("{p}.self_attn.q_proj.weight"),
            r.tensor(&[h, e], w)?,
        ));
        t.push((
            format!("{p}.self_attn.k_proj.weight"),
            r.tensor(&[kv, e], w)?,
        ));
        t.push((
            format!("{p}.self_attn.v_proj.weight"),
            r.tensor(&[kv, e], w)?,
        ));
        if qwen2 {
            t.push((format!("{p}.self_attn.q_proj.bias"), r.tensor(&[h], 0.1)?));
            t.push((format!("{p}.self_attn.k_proj.bias"), r.tensor(&[kv], 0.1)?));
            t.push((format!("{p}.self_attn.v_proj.bias"), r.tensor(&[kv], 0.1)?));
        }
        t.push((
            format!("{p}.self_attn.o_proj.weight"),
            r.tensor(&[e, h], w)?,
        ));
        t.push((format!("{p}.post_attention_layernorm.weight"), r.norm(e)?));
        t.push((format!("{p}.mlp.gate_proj.weight"), r.tensor(&[ff, e], w)?));
        t.push((format!("{p}.mlp.up_proj.weight"), r.tensor(&[ff, e], w)?));
        let wd = 1.0 / (ff as f32).sqrt();
        t.push((format!("{p}.mlp.down_proj.weight"), r.tensor(&[e, ff], wd)?));
    }
    t.push(("model.norm.weight".into(), r.norm(e)?));
    if s.zero_output {
        t.push((
            "lm_head.weight".into(),
            Tensor::zeros((vocab, e), DType::F32, &Device::Cpu)?,
        ));
    } else if !tied {
        t.push(("lm_head.weight".into(), r.tensor(&[vocab, e], 1.0)?));
    }
    Ok((config, t))
}

fn t5_parts(s: &TinyHfSpec) -> candle_core::Result<Parts> {
    let vocab = t5_vocabulary().len();
    let (d, heads, ff) = (s.hidden, s.n_head, s.n_ff);
    let d_kv = d / heads;
    let inner = heads * d_kv;
    let gated = s.t5_feed_forward.starts_with("gated");
    let tied = s.tie_embeddings && !s.zero_output;
    let config = json!({
        "architectures": ["T5ForConditionalGeneration"],
        "model_type": "t5",
        "vocab_size": vocab,
        "d_model": d,
        "d_kv": d_kv,
        "d_ff": ff,
        "num_layers": s.n_layer,
        "num_decoder_layers": s.n_layer,
        "num_heads": heads,
        "relative_attention_num_buckets": s.t5_buckets,
        "relative_attention_max_distance": 128,
        "dropout_rate": 0.1,
        "layer_norm_epsilon": 1e-6,
        "initializer_factor": 1.0,
        "feed_forward_proj": s.t5_feed_forward,
        "tie_word_embeddings": tied,
        "is_encoder_decoder": true,
        "use_cache": true,
        "pad_token_id": 1,
        "eos_token_id": 0,
        "decoder_start_token_id": 1,
    });
    let mut r = Random(SplitMix(s.seed));
    let w = 1.0 / (d as f32).sqrt();
    let mut t = vec![("shared.weight".to_string(), r.tensor(&[vocab, d], 1.0)?)];
    for stack in ["encoder", "decoder"] {
        for i in 0..s.n_layer {
            let p = format!("{stack}.block.{i}.layer");
            let attention = |prefix: String,
                             r: &mut Random,
                             t: &mut Vec<(String, Tensor)>|
             -> candle_core::Result<()> {
                t.push((format!("{prefix}.q.weight"), r.tensor(&[inner, d], w)?));
                t.push((format!("{prefix}.k.weight"), r.tensor(&[inner, d], w)?));
                t.push((format!("{prefix}.v.weight"), r.tensor(&[inner, d], w)?));
                t.push((format!("{prefix}.o.weight"), r.tensor(&[d, inner], w)?));
                Ok(())
            };
            attention(format!("{p}.0.SelfAttention"), &mut r, &mut t)?;
            if i == 0 {
                t.push((
                    format!("{p}.0.SelfAttention.relative_attention_bias.weight"),
                    r.tensor(&[s.t5_buckets, heads], 1.0)?,
                ));
            }
            t.push((format!("{p}.0.layer_norm.weight"), r.norm(d)?));
            let ff_index = if stack == "decoder" {
                attention(format!("{p}.1.EncDecAttention"), &mut r, &mut t)?;
                t.push((format!("{p}.1.layer_norm.weight"), r.norm(d)?));
                2
            } else {
                1
            };
            let dense = format!("{p}.{ff_index}.DenseReluDense");
            if gated {
                t.push((format!("{dense}.wi_0.weight"), r.tensor(&[ff, d], w)?));
                t.push((format!("{dense}.wi_1.weight"), r.tensor(&[ff, d], w)?));
            } else {
                t.push((format!("{dense}.wi.weight"), r.tensor(&[ff, d], w)?));
            }
            let wo = 1.0 / (ff as f32).sqrt();
            t.push((format!("{dense}.wo.weight"), r.tensor(&[d, ff], wo)?));
            t.push((format!("{p}.{ff_index}.layer_norm.weight"), r.norm(d)?));
        }
        t.push((format!("{stack}.final_layer_norm.weight"), r.norm(d)?));
    }
    if s.zero_output {
        t.push((
            "lm_head.weight".into(),
            Tensor::zeros((vocab, d), DType::F32, &Device::Cpu)?,
        ));
    } else if !tied {
        t.push(("lm_head.weight".into(), r.tensor(&[vocab, d], w)?));
    }
    Ok((config, t))
}
