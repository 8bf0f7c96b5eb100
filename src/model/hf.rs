//! Hugging Face model directories: `config.json`, safetensors weights (one
//! `model.safetensors` or shards listed in `model.safetensors.index.json`),
//! `tokenizer.json`, and when present `tokenizer_config.json` (chat template,
//! BOS/EOS texts), `chat_template.jinja` and `generation_config.json` (EOS ids).
//!
//! Decoders (`llama`, `qwen2`) load into the same [`Transformer`] as GGUF files, so
//! prefix caching, steering and generation are shared. HF stores Q/K projections
//! for the half-split ("NEOX") rotation, while GGUF's llama files are permuted for
//! interleaved pairs: HF checkpoints therefore always rotate NEOX-style.
//! Encoder-decoder `t5` directories are loaded by [`super::t5::T5Model`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use candle_core::safetensors::MmapedSafetensors;
use candle_core::{Device, Tensor};
use serde::Deserialize;
use serde_json::Value;
use tokenizers::Tokenizer;

use super::chat::ChatTemplate;
use super::files::{read_json, weight_files, CONFIG_FILE, TOKENIZER_FILE};
use super::generator::{Generator, LoadOptions};
use super::gguf::{load_error, ModelFacts, END_OF_TURN_TEXTS};
use super::registry::{self, Family};
use super::transformer::{Transformer, TransformerConfig, WeightFormat};
use crate::error::Result;

/// Tokenizer settings: chat template, BOS/EOS texts.
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";
/// Generation defaults: EOS ids.
pub const GENERATION_CONFIG_FILE: &str = "generation_config.json";
/// Chat template saved on its own by recent `transformers` versions.
pub const CHAT_TEMPLATE_FILE: &str = "chat_template.jinja";

/// [`read_json`] for optional files: `Ok(None)` when absent.
fn read_optional_json(dir: &Path, name: &str) -> Result<Option<Value>> {
    if dir.join(name).is_file() {
        read_json(dir, name).map(Some)
    } else {
        Ok(None)
    }
}

/// Deserialize `config.json` into `T`; missing or mistyped fields are load errors.
pub(crate) fn parse_config<T: serde::de::DeserializeOwned>(
    dir: &Path,
    config: &Value,
) -> Result<T> {
    T::deserialize(config).map_err(|e| load_error(dir, format!("bad config.json: {e}")))
}

/// The directory's tokenizer (`tokenizer.json`, required).
pub(crate) fn load_tokenizer(dir: &Path) -> Result<Tokenizer> {
    let path = dir.join(TOKENIZER_FILE);
    if !path.is_file() {
        return Err(load_error(dir, format!("missing {TOKENIZER_FILE}")));
    }
    Tokenizer::from_file(&path).map_err(|e| load_error(dir, format!("bad {TOKENIZER_FILE}: {e}")))
}

/// Memory-map the weight files. Tensors are copied out when loaded, so the maps
/// live only as long as loading does.
pub(crate) fn mmap_weights(dir: &Path) -> Result<(Vec<PathBuf>, MmapedSafetensors)> {
    let files = weight_files(dir)?;
    // SAFETY: the maps are read while loading only; a file truncated meanwhile by
    // another process is outside what any reader can defend against.
    let st = unsafe { MmapedSafetensors::multi(&files) }
        .map_err(|e| load_error(dir, format!("cannot read safetensors: {e}")))?;
    Ok((files, st))
}

/// `config.json` of a `llama` / `qwen2` checkpoint (the fields that matter here).
#[derive(Debug, Deserialize)]
struct DecoderConfig {
    model_type: String,
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    num_key_value_heads: Option<usize>,
    head_dim: Option<usize>,
    #[serde(default = "default_rms_eps")]
    rms_norm_eps: f64,
    #[serde(default = "default_rope_theta")]
    rope_theta: f64,
    #[serde(default)]
    rope_scaling: Option<Value>,
    #[serde(default = "default_context")]
    max_position_embeddings: usize,
    vocab_size: usize,
    #[serde(default)]
    tie_word_embeddings: bool,
    #[serde(default)]
    hidden_act: Option<String>,
    #[serde(default)]
    use_sliding_window: bool,
}

fn default_rms_eps() -> f64 {
    1e-6
}
fn default_rope_theta() -> f64 {
    10_000.0
}
fn default_context() -> usize {
    2048
}

/// How positions are scaled, from `rope_scaling`.
#[derive(Debug, Clone, PartialEq)]
enum RopeScaling {
    None,
    Linear(f64),
    /// Llama 3's per-frequency smoothing.
    Llama3 {
        factor: f64,
        low_freq_factor: f64,
        high_freq_factor: f64,
        original_context: f64,
    },
}

fn rope_scaling(dir: &Path, value: Option<&Value>) -> Result<RopeScaling> {
    let Some(obj) = value.filter(|v| !v.is_null()) else {
        return Ok(RopeScaling::None);
    };
    let kind = obj
        .get("rope_type")
        .or_else(|| obj.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("default");
    let num = |k: &str| -> Result<f64> {
        obj.get(k)
            .and_then(Value::as_f64)
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| load_error(dir, format!("rope_scaling `{kind}` needs a positive `{k}`")))
    };
    match kind {
        "default" => Ok(RopeScaling::None),
        "linear" => Ok(RopeScaling::Linear(num("factor")?)),
        "llama3" => {
            let (low, high) = (num("low_freq_factor")?, num("high_freq_factor")?);
            if high <= low {
                return Err(load_error(
                    dir,
                    "rope_scaling: high_freq_factor must exceed low_freq_factor",
                ));
            }
            Ok(RopeScaling::Llama3 {
                factor: num("factor")?,
                low_freq_factor: low,
                high_freq_factor: high,
                original_context: num("original_max_position_embeddings")?,
            })
        }
        other => Err(load_error(
            dir,
            format!("rope_scaling `{other}` is not supported (supported: default, linear, llama3)"),
        )),
    }
}

/// Per-frequency divisors of Llama 3 scaling (GGUF's `rope_freqs.weight`), as
/// transformers' `_compute_llama3_parameters` defines them.
fn llama3_divisors(cfg: &TransformerConfig, scaling: &RopeScaling) -> Option<Vec<f32>> {
    let RopeScaling::Llama3 {
        factor,
        low_freq_factor,
        high_freq_factor,
        original_context,
    } = *scaling
    else {
        return None;
    };
    let low_wavelen = original_context / low_freq_factor;
    let high_wavelen = original_context / high_freq_factor;
    let divisors = (0..cfg.head_dim / 2)
        .map(|i| {
            let freq = cfg.rope_base.powf(-2.0 * i as f64 / cfg.head_dim as f64);
            let wavelen = 2.0 * std::f64::consts::PI / freq;
            let scaled = if wavelen < high_wavelen {
                freq
            } else if wavelen > low_wavelen {
                freq / factor
            } else {
                let smooth = (original_context / wavelen - low_freq_factor)
                    / (high_freq_factor - low_freq_factor);
                (1.0 - smooth) * freq / factor + smooth * freq
            };
            (freq / scaled) as f32
        })
        .collect();
    Some(divisors)
}

/// Check `config.json` of a decoder and turn it into the transformer's config.
fn transformer_config(dir: &Path, c: &DecoderConfig) -> Result<(TransformerConfig, RopeScaling)> {
    let err = |m: String| load_error(dir, m);
    match registry::hf_architecture(&c.model_type) {
        Some(a) if a.family == Family::Decoder => {}
        Some(_) => return Err(not_a_decoder(dir)),
        None => return Err(registry::unsupported_model_type(dir, &c.model_type)),
    }
    if let Some(act) = c.hidden_act.as_deref().filter(|a| *a != "silu") {
        return Err(err(format!(
            "hidden_act `{act}` is not supported (only silu)"
        )));
    }
    if c.use_sliding_window {
        return Err(err("sliding-window attention is not supported".into()));
    }
    let (n_layer, n_embd, n_ff, n_head) = (
        c.num_hidden_layers,
        c.hidden_size,
        c.intermediate_size,
        c.num_attention_heads,
    );
    let n_kv_head = c.num_key_value_heads.unwrap_or(n_head);
    super::transformer::check_sizes(n_layer, n_embd, n_ff, n_head, n_kv_head).map_err(err)?;
    let head_dim = c.head_dim.unwrap_or(n_embd / n_head);
    super::transformer::check_head_dim(head_dim).map_err(err)?;
    if !(c.rms_norm_eps.is_finite()
        && c.rms_norm_eps >= 0.0
        && c.rope_theta.is_finite()
        && c.rope_theta > 1.0)
    {
        return Err(err(format!(
            "bad rms_norm_eps {} or rope_theta {}",
            c.rms_norm_eps, c.rope_theta
        )));
    }
    if c.vocab_size == 0 || c.vocab_size > u32::MAX as usize {
        return Err(err(format!("bad vocab_size {}", c.vocab_size)));
    }
    let scaling = rope_scaling(dir, c.rope_scaling.as_ref())?;
    let cfg = TransformerConfig {
        architecture: c.model_type.clone(),
        n_layer,
        n_embd,
        n_ff,
        n_head,
        n_kv_head,
        head_dim,
        rms_eps: c.rms_norm_eps,
        rope_base: c.rope_theta,
        rope_linear_factor: match scaling {
            RopeScaling::Linear(f) => f,
            _ => 1.0,
        },
        rope_neox: true,
        context_length: c.max_position_embeddings.max(1),
        vocab_size: c.vocab_size,
    };
    Ok((cfg, scaling))
}

/// The HF name of a tensor the transformer asks for by its GGUF name.
fn hf_name(gguf: &str) -> Option<String> {
    match gguf {
        "token_embd.weight" => return Some("model.embed_tokens.weight".into()),
        "output_norm.weight" => return Some("model.norm.weight".into()),
        "output.weight" => return Some("lm_head.weight".into()),
        _ => {}
    }
    let rest = gguf.strip_prefix("blk.")?;
    let (layer, rest) = rest.split_once('.')?;
    let (module, kind) = rest.rsplit_once('.')?;
    let hf = match module {
        "attn_norm" => "input_layernorm",
        "ffn_norm" => "post_attention_layernorm",
        "attn_q" => "self_attn.q_proj",
        "attn_k" => "self_attn.k_proj",
        "attn_v" => "self_attn.v_proj",
        "attn_output" => "self_attn.o_proj",
        "ffn_gate" => "mlp.gate_proj",
        "ffn_up" => "mlp.up_proj",
        "ffn_down" => "mlp.down_proj",
        _ => return None,
    };
    Some(format!("model.layers.{layer}.{hf}.{kind}"))
}

/// Load the decoder weights of an HF `llama` / `qwen2` directory.
pub fn load_transformer(dir: &Path, options: &LoadOptions) -> Result<Transformer> {
    let config = read_json(dir, CONFIG_FILE)?;
    registry::hf_model_type_of(dir, &config)?;
    let c: DecoderConfig = parse_config(dir, &config)?;
    load_transformer_with(dir, &c, options)
}

fn load_transformer_with(
    dir: &Path,
    c: &DecoderConfig,
    options: &LoadOptions,
) -> Result<Transformer> {
    let (cfg, scaling) = transformer_config(dir, c)?;
    let (_, st) = mmap_weights(dir)?;
    let names: HashSet<String> = st.tensors().into_iter().map(|(n, _)| n).collect();
    let format = options
        .weight_format
        .unwrap_or_else(|| auto_format(&cfg, options.dense_budget_bytes));
    let divisors = llama3_divisors(&cfg, &scaling);
    let qwen2 = cfg.architecture == "qwen2";
    let tied = c.tie_word_embeddings;
    let get = |gguf: &str| -> Result<Option<Tensor>> {
        if gguf == "rope_freqs.weight" {
            return divisors
                .as_ref()
                .map(|d| Tensor::new(d.as_slice(), &Device::Cpu))
                .transpose()
                .map_err(|e| load_error(dir, e.to_string()));
        }
        if gguf == "output.weight" && tied {
            return Ok(None);
        }
        let Some(name) = hf_name(gguf) else {
            return Ok(None);
        };
        if !names.contains(&name) {
            // Every weight matrix and norm is required (an untied model needs its
            // head); biases are optional except Qwen2's Q/K/V ones.
            let required = gguf.ends_with(".weight")
                || (qwen2
                    && [".attn_q.bias", ".attn_k.bias", ".attn_v.bias"]
                        .iter()
                        .any(|s| gguf.ends_with(s)));
            return if required {
                Err(load_error(dir, format!("missing tensor `{name}`")))
            } else {
                Ok(None)
            };
        }
        st.load(&name, &Device::Cpu)
            .map(Some)
            .map_err(|e| load_error(dir, format!("tensor `{name}`: {e}")))
    };
    Transformer::from_dense(cfg, format, dir, get)
}

/// F32 (exact, the reference's own arithmetic) when the f32 layer weights fit the
/// budget, else F16 (half the memory).
fn auto_format(cfg: &TransformerConfig, budget: u64) -> WeightFormat {
    let (e, h, kv, ff) = (
        cfg.n_embd as u64,
        (cfg.n_head * cfg.head_dim) as u64,
        (cfg.n_kv_head * cfg.head_dim) as u64,
        cfg.n_ff as u64,
    );
    let per_layer = e * h * 2 + e * kv * 2 + 3 * e * ff;
    let bytes = per_layer
        .saturating_mul(cfg.n_layer as u64)
        .saturating_mul(4);
    if bytes <= budget {
        WeightFormat::F32
    } else {
        WeightFormat::F16
    }
}

/// Load an HF `llama` / `qwen2` directory as a [`Generator`].
pub fn load_decoder(dir: &Path, options: &LoadOptions) -> Result<Generator> {
    let config = read_json(dir, CONFIG_FILE)?;
    if registry::hf_model_type_of(dir, &config)?.family != Family::Decoder {
        return Err(not_a_decoder(dir));
    }
    let c: DecoderConfig = parse_config(dir, &config)?;
    let tokenizer = load_tokenizer(dir)?;
    let model = load_transformer_with(dir, &c, options)?;
    let tok_cfg = read_optional_json(dir, TOKENIZER_CONFIG_FILE)?;
    let gen_cfg = read_optional_json(dir, GENERATION_CONFIG_FILE)?;
    let facts = decoder_facts(
        dir,
        &config,
        &c,
        &tokenizer,
        tok_cfg.as_ref(),
        gen_cfg.as_ref(),
        &model,
    );
    let template = match &facts.chat_template {
        Some(source) => {
            let text = |key: &str, id: Option<u32>| {
                tok_cfg
                    .as_ref()
                    .and_then(|t| token_text(t.get(key)))
                    .or_else(|| id.and_then(|i| tokenizer.id_to_token(i)))
                    .unwrap_or_default()
            };
            Some(
                ChatTemplate::new(
                    source,
                    &text("bos_token", facts.bos_id),
                    &text("eos_token", facts.eos_id),
                )
                .map_err(|e| load_error(dir, e.to_string()))?,
            )
        }
        None => None,
    };
    Ok(Generator::from_parts(
        dir.to_path_buf(),
        facts,
        tokenizer,
        template,
        model,
    ))
}

fn not_a_decoder(dir: &Path) -> crate::error::Error {
    load_error(
        dir,
        "this is an encoder-decoder model: load it with model::t5::T5Model (the generate stage does this)",
    )
}

/// A token's text in `tokenizer_config.json`: a string or an `AddedToken` object.
fn token_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("content").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Token ids from an id or a list of ids.
pub(crate) fn ids_of(v: Option<&Value>) -> Vec<u32> {
    match v {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .into_iter()
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|x| x.as_u64().and_then(|n| u32::try_from(n).ok()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The chat template: `tokenizer_config.json`'s `chat_template` (a string, or a
/// list of named templates of which `default` is used), else `chat_template.jinja`.
fn chat_template(dir: &Path, tok_cfg: Option<&Value>) -> Option<String> {
    match tok_cfg.and_then(|t| t.get("chat_template")) {
        Some(Value::String(s)) => return Some(s.clone()),
        Some(Value::Array(list)) => {
            let named = |want: Option<&str>| {
                list.iter().find_map(|item| {
                    let name = item.get("name").and_then(Value::as_str);
                    (want.is_none() || name == want)
                        .then(|| item.get("template").and_then(Value::as_str))
                        .flatten()
                })
            };
            if let Some(t) = named(Some("default")).or_else(|| named(None)) {
                return Some(t.to_string());
            }
        }
        _ => {}
    }
    std::fs::read_to_string(dir.join(CHAT_TEMPLATE_FILE)).ok()
}

fn decoder_facts(
    dir: &Path,
    config: &Value,
    c: &DecoderConfig,
    tokenizer: &Tokenizer,
    tok_cfg: Option<&Value>,
    gen_cfg: Option<&Value>,
    model: &Transformer,
) -> ModelFacts {
    let vocab = model.config().vocab_size;
    let valid = |id: &u32| (*id as usize) < vocab;
    let by_text = |key: &str| {
        tok_cfg
            .and_then(|t| token_text(t.get(key)))
            .and_then(|t| tokenizer.token_to_id(&t))
            .filter(valid)
    };
    // generation_config.json is what `generate()` uses; config.json is the fallback.
    let gen_ids = |key: &str| {
        let from_gen = ids_of(gen_cfg.and_then(|g| g.get(key)));
        if from_gen.is_empty() {
            ids_of(config.get(key))
        } else {
            from_gen
        }
    };
    let eos_ids: Vec<u32> = gen_ids("eos_token_id").into_iter().filter(valid).collect();
    let eos_id = by_text("eos_token").or_else(|| eos_ids.first().copied());
    let bos_id = by_text("bos_token").or_else(|| gen_ids("bos_token_id").into_iter().find(valid));
    let mut end_of_turn_ids = eos_ids;
    end_of_turn_ids.extend(eos_id);
    // Special end-of-turn tokens (`<|im_end|>`, `<|eot_id|>` …) end a turn too, as for GGUF.
    for (id, token) in tokenizer.get_added_tokens_decoder() {
        if token.special && END_OF_TURN_TEXTS.contains(&token.content.as_str()) && valid(&id) {
            end_of_turn_ids.push(id);
        }
    }
    end_of_turn_ids.sort_unstable();
    end_of_turn_ids.dedup();
    ModelFacts {
        architecture: c.model_type.clone(),
        name: config
            .get("_name_or_path")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned())),
        context_length: model.config().context_length,
        vocab_size: vocab,
        bos_id,
        eos_id,
        end_of_turn_ids,
        add_bos: tok_cfg
            .and_then(|t| t.get("add_bos_token"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        chat_template: chat_template(dir, tok_cfg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::model::chat::ChatMessage;
    use crate::model::files::{self, INDEX_FILE, WEIGHTS_FILE};
    use crate::model::generator::{GenerateOptions, StopReason};
    use crate::model::tiny_hf::{write_tiny_hf, TinyHfSpec};
    use candle_core::DType;
    use candle_nn::VarBuilder;
    use candle_transformers::models::{llama, qwen2};

    fn tiny(spec: &TinyHfSpec) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_hf(dir.path(), spec).unwrap();
        dir
    }

    fn with_format(format: WeightFormat) -> LoadOptions {
        LoadOptions {
            weight_format: Some(format),
            ..LoadOptions::default()
        }
    }

    const PROMPT: [u32; 12] = [1, 40, 77, 90, 3, 250, 12, 2, 1, 100, 101, 102];
    const NEXT: u32 = 33;

    /// Logits after the prompt (fed in two pieces) and after one more token.
    fn ours(dir: &Path, format: WeightFormat) -> (Vec<f32>, Vec<f32>) {
        let t = load_transformer(dir, &with_format(format)).unwrap();
        let mut cache = t.new_cache(4).unwrap();
        t.forward(&PROMPT[..5], &mut cache).unwrap();
        let a = t.forward(&PROMPT[5..], &mut cache).unwrap();
        (a, t.forward(&[NEXT], &mut cache).unwrap())
    }

    /// The same through candle-transformers' own llama / qwen2 on the same files.
    fn theirs(dir: &Path) -> (Vec<f32>, Vec<f32>) {
        let files = weight_files(dir).unwrap();
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&files, DType::F32, &Device::Cpu) }
            .unwrap();
        let config = read_json(dir, CONFIG_FILE).unwrap();
        let dev = Device::Cpu;
        let input = Tensor::new(&PROMPT, &dev).unwrap().unsqueeze(0).unwrap();
        let next = Tensor::new(&[NEXT], &dev).unwrap().unsqueeze(0).unwrap();
        let v = |t: Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        if config["model_type"] == "llama" {
            let c: llama::LlamaConfig = serde_json::from_value(config).unwrap();
            let c = c.into_config(false);
            let m = llama::Llama::load(vb, &c).unwrap();
            let mut cache = llama::Cache::new(true, DType::F32, &c, &dev).unwrap();
            let a = v(m.forward(&input, 0, &mut cache).unwrap());
            (a, v(m.forward(&next, PROMPT.len(), &mut cache).unwrap()))
        } else {
            let c: qwen2::Config = serde_json::from_value(config).unwrap();
            let mut m = qwen2::ModelForCausalLM::new(&c, vb).unwrap();
            let a = v(m.forward(&input, 0).unwrap());
            (a, v(m.forward(&next, PROMPT.len()).unwrap()))
        }
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max)
    }

    /// HF checkpoints (NEOX rotation, HF names, tied/untied heads, biases, bf16
    /// storage, shards, Llama 3 RoPE scaling) give candle-transformers' logits.
    #[test]
    fn logits_match_candle_transformers_llama_and_qwen2() {
        let llama3 = serde_json::json!({
            "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 32
        });
        let cases: Vec<(&str, TinyHfSpec)> = vec![
            ("llama", TinyHfSpec::new("llama", 3)),
            (
                "llama tied",
                TinyHfSpec {
                    tie_embeddings: true,
                    ..TinyHfSpec::new("llama", 4)
                },
            ),
            (
                "llama3 rope",
                TinyHfSpec {
                    rope_scaling: Some(llama3),
                    ..TinyHfSpec::new("llama", 5)
                },
            ),
            (
                "llama bf16 sharded",
                TinyHfSpec {
                    dtype: DType::BF16,
                    shards: 3,
                    ..TinyHfSpec::new("llama", 6)
                },
            ),
            ("qwen2", TinyHfSpec::new("qwen2", 7)),
            (
                "qwen2 tied f16",
                TinyHfSpec {
                    tie_embeddings: true,
                    dtype: DType::F16,
                    ..TinyHfSpec::new("qwen2", 8)
                },
            ),
        ];
        for (what, spec) in cases {
            let dir = tiny(&spec);
            let (a, b) = ours(dir.path(), WeightFormat::F32);
            let (ta, tb) = theirs(dir.path());
            let scale = ta.iter().map(|x| x.abs()).fold(0f32, f32::max);
            assert!(scale > 0.1, "{what}: degenerate logits");
            assert!(
                max_diff(&a, &ta) < 1e-4,
                "{what}: prompt {}",
                max_diff(&a, &ta)
            );
            assert!(
                max_diff(&b, &tb) < 1e-4,
                "{what}: next {}",
                max_diff(&b, &tb)
            );
        }
    }

    /// GGUF's interleaved rotation on HF's half-split rows would be wrong: the
    /// parity above depends on `rope_neox`, which HF llama must set.
    #[test]
    fn hf_llama_rotates_neox_style() {
        let dir = tiny(&TinyHfSpec::new("llama", 3));
        let t = load_transformer(dir.path(), &with_format(WeightFormat::F32)).unwrap();
        assert!(t.config().rope_neox);
        assert_eq!(t.config().architecture, "llama");
        assert_eq!(t.config().head_dim, 16);
        assert_eq!(t.config().n_kv_head, 2);
    }

    /// The same llama weights written the way llama.cpp converts them (Q/K rows
    /// permuted for interleaved rotation, GGUF names) give the same logits through
    /// the GGUF loader: HF's half-split layout is the NEOX rotation.
    #[test]
    fn same_logits_as_the_llama_cpp_conversion() {
        use candle_core::quantized::gguf_file::{self, Value as G};
        use candle_core::quantized::{GgmlDType, QTensor};
        let spec = TinyHfSpec::new("llama", 14);
        let dir = tiny(&spec);
        let hf =
            candle_core::safetensors::load(dir.path().join(WEIGHTS_FILE), &Device::Cpu).unwrap();
        let permute = |w: &Tensor, heads: usize| {
            let (rows, cols) = w.dims2().unwrap();
            w.reshape((heads, 2, rows / heads / 2, cols))
                .and_then(|t| t.transpose(1, 2))
                .and_then(|t| t.contiguous())
                .and_then(|t| t.reshape((rows, cols)))
                .unwrap()
        };
        let mut tensors = Vec::new();
        for (name, t) in &hf {
            let gguf = match name.as_str() {
                "model.embed_tokens.weight" => "token_embd.weight".to_string(),
                "model.norm.weight" => "output_norm.weight".to_string(),
                "lm_head.weight" => "output.weight".to_string(),
                other => {
                    let rest = other.strip_prefix("model.layers.").unwrap();
                    let (layer, module) = rest.split_once('.').unwrap();
                    let m = match module {
                        "input_layernorm.weight" => "attn_norm",
                        "post_attention_layernorm.weight" => "ffn_norm",
                        "self_attn.q_proj.weight" => "attn_q",
                        "self_attn.k_proj.weight" => "attn_k",
                        "self_attn.v_proj.weight" => "attn_v",
                        "self_attn.o_proj.weight" => "attn_output",
                        "mlp.gate_proj.weight" => "ffn_gate",
                        "mlp.up_proj.weight" => "ffn_up",
                        "mlp.down_proj.weight" => "ffn_down",
                        m => panic!("unexpected {m}"),
                    };
                    format!("blk.{layer}.{m}.weight")
                }
            };
            let t = if gguf.ends_with("attn_q.weight") {
                permute(t, spec.n_head)
            } else if gguf.ends_with("attn_k.weight") {
                permute(t, spec.n_kv_head)
            } else {
                t.clone()
            };
            tensors.push((gguf, QTensor::quantize(&t, GgmlDType::F32).unwrap()));
        }
        let u = |n: usize| G::U32(n as u32);
        let metadata = vec![
            ("general.architecture", G::String("llama".into())),
            ("llama.block_count", u(spec.n_layer)),
            ("llama.context_length", u(spec.context_length)),
            ("llama.embedding_length", u(spec.hidden)),
            ("llama.feed_forward_length", u(spec.n_ff)),
            ("llama.attention.head_count", u(spec.n_head)),
            ("llama.attention.head_count_kv", u(spec.n_kv_head)),
            ("llama.rope.freq_base", G::F32(10_000.0)),
            ("llama.attention.layer_norm_rms_epsilon", G::F32(1e-5)),
        ];
        let path = dir.path().join("converted.gguf");
        let mut file = std::fs::File::create(&path).unwrap();
        let md: Vec<(&str, &G)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
        let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        gguf_file::write(&mut file, &md, &ts).unwrap();
        drop(file);
        let gguf = crate::model::gguf::GgufFile::open(&path).unwrap();
        let t = Transformer::load(&gguf, WeightFormat::F32).unwrap();
        assert!(!t.config().rope_neox);
        let mut cache = t.new_cache(4).unwrap();
        let from_gguf = t.forward(&PROMPT, &mut cache).unwrap();
        let (from_hf, _) = ours(dir.path(), WeightFormat::F32);
        assert!(
            max_diff(&from_hf, &from_gguf) < 1e-4,
            "{}",
            max_diff(&from_hf, &from_gguf)
        );
    }

    /// Speed of each weight format on a random model of SmolLM2-135M's shape
    /// (prompt of 300 tokens, then 32 single-token steps). Slow; run by hand:
    /// `cargo test --lib measure_formats -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn measure_formats_on_smollm2_shape() {
        let spec = TinyHfSpec {
            n_layer: 30,
            hidden: 576,
            n_head: 9,
            n_kv_head: 3,
            n_ff: 1536,
            context_length: 2048,
            tie_embeddings: true,
            dtype: DType::BF16,
            ..TinyHfSpec::new("llama", 15)
        };
        let dir = tiny(&spec);
        let prompt: Vec<u32> = (0..300).map(|i| 3 + (i * 37 % 250) as u32).collect();
        let mut reference = None;
        for format in [WeightFormat::F32, WeightFormat::F16, WeightFormat::Int8] {
            let t = load_transformer(dir.path(), &with_format(format)).unwrap();
            let mut cache = t.new_cache(400).unwrap();
            let start = std::time::Instant::now();
            let logits = t.forward(&prompt, &mut cache).unwrap();
            let prefill = start.elapsed();
            let start = std::time::Instant::now();
            for i in 0..32 {
                t.forward(&[3 + i], &mut cache).unwrap();
            }
            let decode = start.elapsed() / 32;
            let reference = reference.get_or_insert_with(|| logits.clone());
            let scale = reference.iter().map(|x| x.abs()).fold(0f32, f32::max);
            eprintln!(
                "{format:?}: prefill 300 tokens {prefill:?}, decode {decode:?}/token, max logit diff {:.2e} (scale {scale:.1})",
                max_diff(&logits, reference)
            );
        }
    }

    #[test]
    fn weight_formats_agree_and_generate() {
        let dir = tiny(&TinyHfSpec {
            tie_embeddings: true,
            ..TinyHfSpec::new("qwen2", 9)
        });
        let (exact, _) = ours(dir.path(), WeightFormat::F32);
        let scale = exact.iter().map(|x| x.abs()).fold(0f32, f32::max);
        for format in [WeightFormat::F16, WeightFormat::Int8] {
            let (a, b) = ours(dir.path(), format);
            assert!(max_diff(&a, &exact) < 0.05 * scale, "{format:?}");
            assert!(b.iter().all(|x| x.is_finite()));
            let g = load_decoder(dir.path(), &with_format(format)).unwrap();
            assert_eq!(g.weight_format(), format);
            let out = g.generate(
                &PROMPT,
                &GenerateOptions {
                    max_new_tokens: 4,
                    ..Default::default()
                },
            );
            assert!(out.unwrap().ids.len() <= 4);
        }
        // The default keeps the reference's f32 arithmetic for a model this small.
        assert_eq!(
            load_decoder(dir.path(), &LoadOptions::default())
                .unwrap()
                .weight_format(),
            WeightFormat::F32
        );
        let tight = LoadOptions {
            dense_budget_bytes: 1,
            ..LoadOptions::default()
        };
        assert_eq!(
            load_decoder(dir.path(), &tight).unwrap().weight_format(),
            WeightFormat::F16
        );
    }

    #[test]
    fn generator_from_hf_dir_end_to_end() {
        for arch in ["llama", "qwen2"] {
            let dir = tiny(&TinyHfSpec::new(arch, 42));
            let g = load_decoder(dir.path(), &LoadOptions::default()).unwrap();
            let f = g.facts();
            assert_eq!(f.architecture, arch);
            assert_eq!(f.bos_id, Some(1));
            assert_eq!(f.eos_id, Some(2));
            // generation_config's [2, 0] plus the special <|im_end|> / <|endoftext|>.
            assert_eq!(g.end_of_turn_ids(), &[0, 2]);
            assert_eq!(g.context_length(), 128);
            assert_eq!(g.path(), dir.path());
            let prompt = g.chat_prompt(&[ChatMessage::user("the world")]).unwrap();
            assert_eq!(
                prompt,
                "<|im_start|>system\nYou are a tiny test model.<|im_end|>\n<|im_start|>user\nthe world<|im_end|>\n<|im_start|>assistant\n"
            );
            let ids = g.encode(&prompt).unwrap();
            assert_eq!(ids[0], 1);
            assert_eq!(
                g.decode(&ids).unwrap(),
                "system\nYou are a tiny test model.\nuser\nthe world\nassistant\n"
            );
            let opts = GenerateOptions {
                max_new_tokens: 10,
                ..Default::default()
            };
            let whole = g.generate(&ids, &opts).unwrap();
            assert!(whole.ids.len() <= 10);
            // The prefix cache gives the same tokens.
            let prefix = g.prefill(&ids[..7]).unwrap();
            let reused = g.generate_after(&prefix, &ids[7..], &opts).unwrap();
            assert_eq!(reused.ids, whole.ids, "{arch}");
        }
        // An all-zero head picks <|endoftext|> at once: the turn ends.
        let dir = tiny(&TinyHfSpec {
            zero_output: true,
            ..TinyHfSpec::new("llama", 1)
        });
        let g = load_decoder(dir.path(), &LoadOptions::default()).unwrap();
        let out = g.generate(&[5, 6, 7], &GenerateOptions::default()).unwrap();
        assert_eq!(out.stop_reason, StopReason::EndOfTurn);
        assert!(out.ids.is_empty());
    }

    #[test]
    fn chat_template_from_jinja_file_and_named_list() {
        let dir = tiny(&TinyHfSpec::new("llama", 2));
        let tok_cfg = dir.path().join(TOKENIZER_CONFIG_FILE);
        std::fs::write(&tok_cfg, r#"{"eos_token": {"content": "<|im_end|>"}, "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ messages[0].content }}{{ eos_token }}"}]}"#).unwrap();
        let g = load_decoder(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(
            g.chat_prompt(&[ChatMessage::user("x")]).unwrap(),
            "Dx<|im_end|>"
        );
        std::fs::remove_file(&tok_cfg).unwrap();
        std::fs::write(
            dir.path().join(CHAT_TEMPLATE_FILE),
            "J{{ messages[0].content }}",
        )
        .unwrap();
        std::fs::remove_file(dir.path().join(GENERATION_CONFIG_FILE)).unwrap();
        let g = load_decoder(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(g.chat_prompt(&[ChatMessage::user("y")]).unwrap(), "Jy");
        // EOS from config.json (2), plus the special end-of-turn tokens.
        assert_eq!(g.facts().eos_id, Some(2));
        assert_eq!(g.end_of_turn_ids(), &[0, 2]);
    }

    fn load_error_message(dir: &Path) -> String {
        match load_decoder(dir, &LoadOptions::default()) {
            Err(Error::ModelLoad { message, .. }) => message,
            Err(other) => panic!("unexpected error {other:?}"),
            Ok(_) => panic!("loaded a broken model"),
        }
    }

    fn edit_config(dir: &Path, edit: impl FnOnce(&mut Value)) {
        let mut c = read_json(dir, CONFIG_FILE).unwrap();
        edit(&mut c);
        std::fs::write(dir.join(CONFIG_FILE), c.to_string()).unwrap();
    }

    #[test]
    fn broken_directories_are_errors_not_panics() {
        let fresh = || tiny(&TinyHfSpec::new("qwen2", 11));
        let dir = fresh();
        std::fs::remove_file(dir.path().join(TOKENIZER_FILE)).unwrap();
        assert!(load_error_message(dir.path()).contains("tokenizer.json"));

        let dir = fresh();
        std::fs::write(dir.path().join(CONFIG_FILE), "{not json").unwrap();
        assert!(load_error_message(dir.path()).contains("not valid JSON"));

        let dir = fresh();
        edit_config(dir.path(), |c| {
            c.as_object_mut().unwrap().remove("hidden_size");
        });
        assert!(load_error_message(dir.path()).contains("bad config.json"));

        let dir = fresh();
        edit_config(dir.path(), |c| c["model_type"] = "mamba".into());
        let m = load_error_message(dir.path());
        assert!(m.contains("mamba") && m.contains("llama, qwen2, t5"), "{m}");
        assert!(registry::hf_model_type(dir.path()).is_err());

        let dir = fresh();
        edit_config(dir.path(), |c| c["num_key_value_heads"] = 3.into());
        assert!(load_error_message(dir.path()).contains("head counts"));

        let dir = fresh();
        edit_config(dir.path(), |c| {
            c["rope_scaling"] = serde_json::json!({"rope_type": "yarn", "factor": 4.0})
        });
        assert!(load_error_message(dir.path()).contains("yarn"));

        let dir = fresh();
        edit_config(dir.path(), |c| c["hidden_act"] = "gelu".into());
        assert!(load_error_message(dir.path()).contains("gelu"));

        // A layer the weights do not have; a shape that does not match.
        let dir = fresh();
        edit_config(dir.path(), |c| c["num_hidden_layers"] = 3.into());
        assert!(load_error_message(dir.path()).contains("model.layers.2."));
        let dir = fresh();
        edit_config(dir.path(), |c| c["intermediate_size"] = 96.into());
        assert!(load_error_message(dir.path()).contains("shape"));
        // An untied config whose head is missing.
        let dir = tiny(&TinyHfSpec {
            tie_embeddings: true,
            ..TinyHfSpec::new("llama", 11)
        });
        edit_config(dir.path(), |c| c["tie_word_embeddings"] = false.into());
        assert!(load_error_message(dir.path()).contains("lm_head.weight"));

        let dir = fresh();
        std::fs::remove_file(dir.path().join(WEIGHTS_FILE)).unwrap();
        assert!(load_error_message(dir.path()).contains("model.safetensors"));
        std::fs::write(dir.path().join(WEIGHTS_FILE), b"garbage").unwrap();
        assert!(load_error_message(dir.path()).contains("safetensors"));

        let dir = tiny(&TinyHfSpec {
            shards: 2,
            ..TinyHfSpec::new("llama", 12)
        });
        std::fs::write(
            dir.path().join(INDEX_FILE),
            r#"{"weight_map": {"a": "../model-00001-of-00002.safetensors"}}"#,
        )
        .unwrap();
        assert!(load_error_message(dir.path()).contains("bad shard name"));
        std::fs::write(
            dir.path().join(INDEX_FILE),
            r#"{"weight_map": {"a": "gone.safetensors"}}"#,
        )
        .unwrap();
        assert!(load_error_message(dir.path()).contains("missing shard"));

        // A T5 directory is not a decoder.
        let dir = tiny(&TinyHfSpec::new("t5", 1));
        assert!(load_error_message(dir.path()).contains("encoder-decoder"));
    }

    #[test]
    fn shards_hash_by_their_hashes() {
        let one = tiny(&TinyHfSpec::new("llama", 13));
        assert_eq!(
            registry::weights_sha256(one.path()).unwrap(),
            files::file_sha256(&one.path().join(WEIGHTS_FILE)).unwrap()
        );
        let two = tiny(&TinyHfSpec {
            shards: 2,
            ..TinyHfSpec::new("llama", 13)
        });
        let files = weight_files(two.path()).unwrap();
        assert_eq!(files.len(), 2);
        let h = registry::weights_sha256(two.path()).unwrap();
        assert_eq!(h.len(), 64);
        assert_ne!(h, files::file_sha256(&files[0]).unwrap());
        // Same weights in shards as in one file: same logits.
        assert_eq!(
            ours(one.path(), WeightFormat::F32),
            ours(two.path(), WeightFormat::F32)
        );
    }
}
