//! Tiny random-weight GGUF generators for tests and examples: a complete file
//! (architecture metadata, byte-level BPE tokenizer, ChatML template, quantised
//! weights) that loads through the real code paths in milliseconds, so the
//! generation pipeline can be tested without downloading a model.

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

use crate::error::{Error, Result};

/// SmolLM2's chat template (ChatML with a default system turn).
pub const CHATML_TEMPLATE: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a tiny test model.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// Control tokens at the start of the tiny vocabulary (ids 0, 1, 2), as in SmolLM2.
pub const SPECIAL_TOKENS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// Merges of the tiny vocabulary (byte-level symbols; `Ġ` is a space).
const MERGES: &[(&str, &str)] = &[
    ("Ġ", "t"),
    ("h", "e"),
    ("Ġt", "he"),
    ("i", "n"),
    ("Ġ", "a"),
    ("e", "r"),
    ("o", "n"),
    ("Ġ", "s"),
    ("a", "t"),
    ("r", "e"),
    ("Ġ", "w"),
    ("o", "r"),
    ("Ġw", "or"),
    ("l", "d"),
    ("Ġwor", "ld"),
];

/// Shape and content of a tiny model.
#[derive(Debug, Clone, PartialEq)]
pub struct TinySpec {
    /// `llama` or `qwen2` (qwen2 adds Q/K/V biases and uses NEOX RoPE).
    pub architecture: String,
    /// Seed of the deterministic weight generator.
    pub seed: u64,
    /// Transformer blocks.
    pub n_layer: usize,
    /// Hidden size (multiple of 64: two quantisation blocks, as candle's Q4_1
    /// kernel asserts in debug builds).
    pub n_embd: usize,
    /// Query heads.
    pub n_head: usize,
    /// Key/value heads (divides `n_head`).
    pub n_kv_head: usize,
    /// Feed-forward size (multiple of 64).
    pub n_ff: usize,
    /// Context length.
    pub context_length: usize,
    /// All-zero output projection: every logit is 0, so greedy decoding picks
    /// id 0 (`<|endoftext|>`, an end-of-turn token) at once.
    pub zero_output: bool,
}

impl TinySpec {
    /// A 2-layer model of hidden size 64 with grouped-query attention.
    pub fn new(architecture: &str, seed: u64) -> Self {
        TinySpec {
            architecture: architecture.to_string(),
            seed,
            n_layer: 2,
            n_embd: 64,
            n_head: 4,
            n_kv_head: 2,
            n_ff: 128,
            context_length: 128,
            zero_output: false,
        }
    }
}

/// The tiny vocabulary: special tokens, the 256 byte symbols, then one token per merge.
pub fn tiny_vocabulary() -> Vec<String> {
    let mut tokens: Vec<String> = SPECIAL_TOKENS.iter().map(|s| s.to_string()).collect();
    tokens.extend(byte_symbols().into_iter().map(String::from));
    tokens.extend(MERGES.iter().map(|(a, b)| format!("{a}{b}")));
    tokens
}

/// GPT-2's reversible byte → printable character map, in byte order.
fn byte_symbols() -> Vec<char> {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || b >= 0xAE;
    let mut next = 256u32;
    (0..=255u8)
        .map(|b| {
            if printable(b) {
                char::from(b)
            } else {
                let c = char::from_u32(next).unwrap_or('?');
                next += 1;
                c
            }
        })
        .collect()
}

type Metadata = Vec<(String, Value)>;
type Tensors = Vec<(String, QTensor)>;

/// Write a tiny model described by `spec` to `path`.
pub fn write_tiny_gguf(path: &Path, spec: &TinySpec) -> Result<()> {
    let build = || -> candle_core::Result<(Metadata, Tensors)> {
        let arch = spec.architecture.as_str();
        let tokens = tiny_vocabulary();
        let vocab = tokens.len();
        let mut types = vec![1i32; vocab];
        for t in types.iter_mut().take(SPECIAL_TOKENS.len()) {
            *t = 3; // control
        }
        let head_dim = spec.n_embd / spec.n_head;
        let u32v = |n: usize| Value::U32(n as u32);
        let metadata: Vec<(String, Value)> = vec![
            ("general.architecture".into(), Value::String(arch.into())),
            ("general.name".into(), Value::String(format!("tiny-{arch}"))),
            (format!("{arch}.block_count"), u32v(spec.n_layer)),
            (format!("{arch}.context_length"), u32v(spec.context_length)),
            (format!("{arch}.embedding_length"), u32v(spec.n_embd)),
            (format!("{arch}.feed_forward_length"), u32v(spec.n_ff)),
            (format!("{arch}.attention.head_count"), u32v(spec.n_head)),
            (
                format!("{arch}.attention.head_count_kv"),
                u32v(spec.n_kv_head),
            ),
            (format!("{arch}.rope.freq_base"), Value::F32(10_000.0)),
            (format!("{arch}.rope.dimension_count"), u32v(head_dim)),
            (
                format!("{arch}.attention.layer_norm_rms_epsilon"),
                Value::F32(1e-5),
            ),
            ("tokenizer.ggml.model".into(), Value::String("gpt2".into())),
            (
                "tokenizer.ggml.pre".into(),
                Value::String(if arch == "qwen2" { "qwen2" } else { "smollm" }.into()),
            ),
            (
                "tokenizer.ggml.tokens".into(),
                Value::Array(tokens.iter().map(|t| Value::String(t.clone())).collect()),
            ),
            (
                "tokenizer.ggml.token_type".into(),
                Value::Array(types.into_iter().map(Value::I32).collect()),
            ),
            (
                "tokenizer.ggml.merges".into(),
                Value::Array(
                    MERGES
                        .iter()
                        .map(|(a, b)| Value::String(format!("{a} {b}")))
                        .collect(),
                ),
            ),
            ("tokenizer.ggml.bos_token_id".into(), Value::U32(1)),
            ("tokenizer.ggml.eos_token_id".into(), Value::U32(2)),
            (
                "tokenizer.chat_template".into(),
                Value::String(CHATML_TEMPLATE.into()),
            ),
        ];

        let mut rng = SplitMix(spec.seed);
        let mut random = |dims: &[usize], scale: f32| -> candle_core::Result<Tensor> {
            let n: usize = dims.iter().product();
            let data: Vec<f32> = (0..n).map(|_| rng.uniform() * scale).collect();
            Tensor::from_vec(data, dims, &Device::Cpu)
        };
        let (e, h, kv, ff) = (
            spec.n_embd,
            spec.n_head * head_dim,
            spec.n_kv_head * head_dim,
            spec.n_ff,
        );
        // Different block types exercise different kernels (Q5_0 is re-encoded
        // as Q8_0 at load time).
        let (attn_type, ffn_type) = if arch == "qwen2" {
            (GgmlDType::Q5_0, GgmlDType::Q8_0)
        } else {
            (GgmlDType::Q8_0, GgmlDType::Q4_1)
        };
        let q = |t: Tensor, dtype: GgmlDType| QTensor::quantize(&t, dtype);
        let mut tensors: Vec<(String, QTensor)> = vec![(
            "token_embd.weight".into(),
            q(random(&[vocab, e], 1.0)?, GgmlDType::Q8_0)?,
        )];
        let ones = |n: usize| Tensor::ones(n, candle_core::DType::F32, &Device::Cpu);
        for i in 0..spec.n_layer {
            let p = format!("blk.{i}");
            let w = 1.0 / (e as f32).sqrt();
            tensors.push((
                format!("{p}.attn_norm.weight"),
                q((ones(e)? + random(&[e], 0.1)?)?, GgmlDType::F32)?,
            ));
            tensors.push((
                format!("{p}.attn_q.weight"),
                q(random(&[h, e], w)?, attn_type)?,
            ));
            tensors.push((
                format!("{p}.attn_k.weight"),
                q(random(&[kv, e], w)?, attn_type)?,
            ));
            tensors.push((
                format!("{p}.attn_v.weight"),
                q(random(&[kv, e], w)?, attn_type)?,
            ));
            if arch == "qwen2" {
                tensors.push((
                    format!("{p}.attn_q.bias"),
                    q(random(&[h], 0.1)?, GgmlDType::F32)?,
                ));
                tensors.push((
                    format!("{p}.attn_k.bias"),
                    q(random(&[kv], 0.1)?, GgmlDType::F32)?,
                ));
                tensors.push((
                    format!("{p}.attn_v.bias"),
                    q(random(&[kv], 0.1)?, GgmlDType::F32)?,
                ));
            }
            tensors.push((
                format!("{p}.attn_output.weight"),
                q(random(&[e, h], w)?, attn_type)?,
            ));
            tensors.push((
                format!("{p}.ffn_norm.weight"),
                q((ones(e)? + random(&[e], 0.1)?)?, GgmlDType::F32)?,
            ));
            tensors.push((
                format!("{p}.ffn_gate.weight"),
                q(random(&[ff, e], w)?, ffn_type)?,
            ));
            tensors.push((
                format!("{p}.ffn_up.weight"),
                q(random(&[ff, e], w)?, ffn_type)?,
            ));
            tensors.push((
                format!("{p}.ffn_down.weight"),
                q(random(&[e, ff], 1.0 / (ff as f32).sqrt())?, ffn_type)?,
            ));
        }
        tensors.push(("output_norm.weight".into(), q(ones(e)?, GgmlDType::F32)?));
        let output = if spec.zero_output {
            Tensor::zeros((vocab, e), candle_core::DType::F32, &Device::Cpu)?
        } else {
            random(&[vocab, e], 1.0)?
        };
        tensors.push(("output.weight".into(), q(output, GgmlDType::Q8_0)?));
        Ok((metadata, tensors))
    };
    let (metadata, tensors) =
        build().map_err(|e| Error::Config(format!("cannot build tiny model: {e}")))?;
    let mut file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let md: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    gguf_file::write(&mut file, &md, &ts)
        .map_err(|e| Error::Config(format!("cannot write tiny model: {e}")))
}

/// Deterministic generator of uniform values in [-1, 1).
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn uniform(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}
