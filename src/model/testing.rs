//! Tiny models written on the fly, so that tests (unit and end-to-end) and examples run
//! the real loading and inference code without the fetched weights.

use std::path::Path;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::error::{Error, Result};
use crate::model::files::{CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE};

/// The tiny WordPiece vocabulary; anything else becomes `[UNK]`.
pub const TINY_VOCAB: &[&str] = &[
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "sat", "on", "mat", ".", ",", "a", "dog",
    "ran", "to", "park", "##s", "##ed", "big", "small", "red", "house", "and", "is", "in", "it",
    "news", "report", "said", "today",
];

/// Write a tiny BERT (hidden 16, 1 layer, 2 heads, random weights) into `dir` in the
/// layout of the real encoder: `config.json`, `model.safetensors`, `tokenizer.json`
/// (which, like the real one, pads to a fixed length and truncates early).
pub fn write_tiny_bert(dir: &Path) -> Result<()> {
    write_tiny_bert_with(dir, false)
}

/// [`write_tiny_bert`], optionally with the `bert.` weight-name prefix some checkpoints use.
pub fn write_tiny_bert_with(dir: &Path, bert_prefix: bool) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| Error::ModelLoad {
        path: dir.to_path_buf(),
        message: format!("writing tiny model: {e}"),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let config = serde_json::json!({
        "architectures": ["BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 16,
        "initializer_range": 0.02,
        "intermediate_size": 32,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 64,
        "model_type": "bert",
        "num_attention_heads": 2,
        "num_hidden_layers": 1,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "type_vocab_size": 2,
        "vocab_size": TINY_VOCAB.len(),
    });
    std::fs::write(dir.join(CONFIG_FILE), config.to_string()).map_err(|e| Error::io(dir, e))?;
    let config: Config = serde_json::from_value(config).map_err(|e| fail(&e))?;

    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let vb = if bert_prefix { vb.pp("bert") } else { vb };
    BertModel::load(vb, &config).map_err(|e| fail(&e))?;
    varmap.save(dir.join(WEIGHTS_FILE)).map_err(|e| fail(&e))?;

    let vocab_path = dir.join("vocab.txt");
    std::fs::write(&vocab_path, TINY_VOCAB.join("\n")).map_err(|e| Error::io(dir, e))?;
    let vocab = vocab_path.to_str().ok_or_else(|| fail(&"non-UTF-8 path"))?;
    let wordpiece = WordPiece::from_file(vocab)
        .unk_token("[UNK]".into())
        .build()
        .map_err(|e| fail(&e))?;
    let mut tokenizer = Tokenizer::new(wordpiece);
    let template = TemplateProcessing::builder()
        .try_single("[CLS] $A [SEP]")
        .map_err(|e| fail(&e))?
        .special_tokens(vec![("[CLS]", 2), ("[SEP]", 3)])
        .build()
        .map_err(|e| fail(&e))?;
    tokenizer
        .with_normalizer(Some(BertNormalizer::default()))
        .with_pre_tokenizer(Some(BertPreTokenizer))
        .with_post_processor(Some(template))
        .with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::Fixed(24),
            ..Default::default()
        }))
        .with_truncation(Some(TruncationParams {
            max_length: 24,
            ..Default::default()
        }))
        .map_err(|e| fail(&e))?;
    tokenizer
        .save(dir.join(TOKENIZER_FILE), false)
        .map_err(|e| fail(&e))?;
    Ok(())
}
