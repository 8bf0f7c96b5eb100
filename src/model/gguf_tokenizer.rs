//! A `tokenizers::Tokenizer` rebuilt from GGUF metadata (GGUF files carry no
//! `tokenizer.json`), or loaded from a `tokenizer.json` next to the GGUF file.
//!
//! Supported: byte-level BPE (`tokenizer.ggml.model = gpt2`) with the
//! pre-tokenizers llama.cpp knows as `qwen2`, `smollm` (and the StarCoder family
//! that shares its rules), `llama-bpe`/`llama3` and plain `gpt2`. The split
//! expressions are llama.cpp's (`src/llama-vocab.cpp`); for `qwen2` the NFC
//! normaliser matches HF transformers' GGUF converter. Control and user-defined
//! tokens become added tokens, so `<|im_start|>` in a rendered chat prompt
//! encodes to its single id.

use candle_core::quantized::gguf_file::Value;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, PreTokenizerWrapper, SplitDelimiterBehavior, Tokenizer};

use super::gguf::{value_to_u64, GgufFile};
use crate::error::{Error, Result};

/// llama.cpp `LLAMA_VOCAB_PRE_TYPE_QWEN2` (the tokenizer.json original uses `(?i:…)`
/// for the contractions; the expanded form is equivalent).
const QWEN2_SPLIT: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// llama.cpp `LLAMA_VOCAB_PRE_TYPE_LLAMA3`.
const LLAMA3_SPLIT: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// llama.cpp's first split for `smollm`, `starcoder`, `refact`, `command-r`,
/// `codeshell`, `exaone`: every numeric character stands alone; the GPT-2 split
/// follows (done by the byte-level pre-tokenizer's own regex).
const DIGIT_SPLIT: &str = r"\p{N}";

/// GGUF token types (llama.cpp `llama_token_type`).
const TOKEN_TYPE_CONTROL: u64 = 3;
const TOKEN_TYPE_USER_DEFINED: u64 = 4;

/// The tokenizer for a GGUF model: `tokenizer.json` beside the file when there is
/// one (it is authoritative), otherwise rebuilt from the GGUF metadata.
pub fn load_tokenizer(gguf: &GgufFile) -> Result<Tokenizer> {
    if let Some(dir) = gguf.path().parent() {
        let json = dir.join("tokenizer.json");
        if json.is_file() {
            return Tokenizer::from_file(&json)
                .map_err(|e| Error::Tokenizer(format!("{}: {e}", json.display())));
        }
    }
    tokenizer_from_gguf(gguf)
}

/// Build the tokenizer from `tokenizer.ggml.*` metadata.
pub fn tokenizer_from_gguf(gguf: &GgufFile) -> Result<Tokenizer> {
    let model = gguf.get_str("tokenizer.ggml.model").unwrap_or("");
    if model != "gpt2" {
        return Err(Error::Tokenizer(format!(
            "{}: tokenizer model `{model}` is not supported from GGUF metadata (only byte-level BPE, `gpt2`); put the model's tokenizer.json next to the file",
            gguf.path().display()
        )));
    }
    let tokens = string_array(gguf, "tokenizer.ggml.tokens")?;
    let merges = string_array(gguf, "tokenizer.ggml.merges")?
        .into_iter()
        .map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| Error::Tokenizer(format!("malformed merge `{m}`")))
        })
        .collect::<Result<Vec<_>>>()?;
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    if vocab.len() != tokens.len() {
        return Err(Error::Tokenizer(
            "tokenizer.ggml.tokens contains duplicate tokens".into(),
        ));
    }
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| Error::Tokenizer(format!("cannot build BPE: {e}")))?;
    let mut tokenizer = Tokenizer::new(bpe);

    let pre = gguf.get_str("tokenizer.ggml.pre").unwrap_or("default");
    match pre {
        "qwen2" | "stablelm2" => {
            tokenizer.with_normalizer(Some(NFC));
            tokenizer.with_pre_tokenizer(Some(split_then_bytes(QWEN2_SPLIT)?));
        }
        "llama-bpe" | "llama3" | "smaug-bpe" => {
            tokenizer.with_pre_tokenizer(Some(split_then_bytes(LLAMA3_SPLIT)?));
        }
        "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone" => {
            let digits = split(DIGIT_SPLIT)?;
            let bytes = ByteLevel::new(false, false, true);
            tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![digits, bytes.into()])));
        }
        "default" | "gpt2" | "gpt-2" | "mpt" | "olmo" => {
            tokenizer.with_pre_tokenizer(Some(ByteLevel::new(false, false, true)));
        }
        other => {
            return Err(Error::Tokenizer(format!(
                "{}: pre-tokenizer `{other}` is not supported from GGUF metadata; put the model's tokenizer.json next to the file",
                gguf.path().display()
            )))
        }
    }
    tokenizer.with_decoder(Some(ByteLevelDecoder::new(false, false, false)));

    let (specials, user_defined) = added_tokens(gguf, &tokens);
    tokenizer.add_special_tokens(&specials);
    tokenizer.add_tokens(&user_defined);
    Ok(tokenizer)
}

/// Control tokens (special: skipped when decoding) and user-defined tokens, both
/// matched verbatim in input text.
fn added_tokens(gguf: &GgufFile, tokens: &[String]) -> (Vec<AddedToken>, Vec<AddedToken>) {
    let mut specials = Vec::new();
    let mut user_defined = Vec::new();
    if let Some(Value::Array(types)) = gguf.get("tokenizer.ggml.token_type") {
        for (token, ty) in tokens.iter().zip(types) {
            match value_to_u64(ty) {
                Some(TOKEN_TYPE_CONTROL) => {
                    specials.push(AddedToken::from(token.clone(), true).normalized(false))
                }
                Some(TOKEN_TYPE_USER_DEFINED) => {
                    user_defined.push(AddedToken::from(token.clone(), false).normalized(false))
                }
                _ => {}
            }
        }
    }
    (specials, user_defined)
}

/// `Split(regex, isolated)` then byte-level mapping without its own regex.
fn split_then_bytes(regex: &str) -> Result<PreTokenizerWrapper> {
    Ok(Sequence::new(vec![
        split(regex)?,
        ByteLevel::new(false, false, false).into(),
    ])
    .into())
}

fn split(regex: &str) -> Result<PreTokenizerWrapper> {
    let split = Split::new(
        SplitPattern::Regex(regex.to_string()),
        SplitDelimiterBehavior::Isolated,
        false,
    )
    .map_err(|e| Error::Tokenizer(format!("bad split regex: {e}")))?;
    Ok(split.into())
}

fn string_array(gguf: &GgufFile, key: &str) -> Result<Vec<String>> {
    let Some(Value::Array(values)) = gguf.get(key) else {
        return Err(Error::Tokenizer(format!(
            "{}: missing metadata `{key}`",
            gguf.path().display()
        )));
    };
    values
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            _ => Err(Error::Tokenizer(format!("`{key}` holds a non-string"))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tiny::{write_tiny_gguf, TinySpec};
    use tokenizers::{OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer};

    fn splits(pre: &PreTokenizerWrapper, text: &str) -> Vec<String> {
        let mut s = PreTokenizedString::from(text);
        pre.pre_tokenize(&mut s).unwrap();
        s.get_splits(OffsetReferential::Original, OffsetType::Byte)
            .into_iter()
            .map(|(piece, _, _)| piece.to_string())
            .collect()
    }

    #[test]
    fn qwen2_split_isolates_digits_and_keeps_newline_runs() {
        let pre = split_then_bytes(QWEN2_SPLIT).unwrap();
        assert_eq!(
            splits(&pre, "Hello'Ve world 123\n\n  foo"),
            ["Hello", "'Ve", "Ġworld", "Ġ", "1", "2", "3", "ĊĊ", "Ġ", "Ġfoo"]
        );
    }

    #[test]
    fn smollm_split_isolates_every_numeric_character() {
        let pre: PreTokenizerWrapper = Sequence::new(vec![
            split(DIGIT_SPLIT).unwrap(),
            ByteLevel::new(false, false, true).into(),
        ])
        .into();
        assert_eq!(
            splits(&pre, "in 2004, ²x it's"),
            ["in", "Ġ", "2", "0", "0", "4", ",", "Ġ", "Â²", "x", "Ġit", "'s"]
        );
        let llama3 = split_then_bytes(LLAMA3_SPLIT).unwrap();
        assert_eq!(splits(&llama3, "12345"), ["123", "45"]);
    }

    fn tiny_file(arch: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        write_tiny_gguf(&path, &TinySpec::new(arch, 3)).unwrap();
        (dir, path)
    }

    #[test]
    fn unsupported_tokenizer_kinds_are_errors_naming_the_way_out() {
        let (_dir, path) = tiny_file("llama");
        for (from, to) in [(&b"gpt2"[..], &b"bert"[..]), (b"smollm", b"smolxx")] {
            let mut bytes = std::fs::read(&path).unwrap();
            let at = bytes.windows(from.len()).position(|w| w == from).unwrap();
            bytes[at..at + from.len()].copy_from_slice(to);
            let bad = path.with_file_name("bad.gguf");
            std::fs::write(&bad, &bytes).unwrap();
            let gguf = GgufFile::open(&bad).unwrap();
            match tokenizer_from_gguf(&gguf).unwrap_err() {
                Error::Tokenizer(m) => assert!(m.contains("tokenizer.json"), "{m}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn tokenizer_json_next_to_the_file_wins() {
        let (dir, path) = tiny_file("qwen2");
        let gguf = GgufFile::open(&path).unwrap();
        let mut from_meta = tokenizer_from_gguf(&gguf).unwrap();
        assert!(from_meta.token_to_id("<extra>").is_none());
        from_meta.add_special_tokens(&[AddedToken::from("<extra>", true)]);
        from_meta
            .save(dir.path().join("tokenizer.json"), false)
            .unwrap();
        let loaded = load_tokenizer(&gguf).unwrap();
        let id = loaded
            .token_to_id("<extra>")
            .expect("tokenizer.json was used");
        let ids = loaded.encode_fast("a<extra>b", false).unwrap();
        assert!(ids.get_ids().contains(&id));
    }

    #[test]
    fn control_tokens_are_special_and_skipped_when_decoding() {
        let (_dir, path) = tiny_file("llama");
        let t = tokenizer_from_gguf(&GgufFile::open(&path).unwrap()).unwrap();
        let ids = t.encode_fast("<|im_start|>hello<|im_end|>", false).unwrap();
        let ids = ids.get_ids();
        assert_eq!((ids[0], ids[ids.len() - 1]), (1, 2));
        assert_eq!(t.decode(ids, true).unwrap(), "hello");
        assert_eq!(t.decode(ids, false).unwrap(), "<|im_start|>hello<|im_end|>");
    }
}
