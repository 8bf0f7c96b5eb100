//! GGUF files: header and metadata reading with sanity checks, and the model
//! facts a generator needs (architecture, context, vocabulary, special ids, chat
//! template).
//!
//! candle's reader already bounds string and array lengths by the file size; on
//! top of that every tensor's declared extent is checked against the file length
//! (with overflow-checked arithmetic) before any tensor data is read, and the few
//! header fields candle would divide by are validated, so a corrupt or malicious
//! file yields [`Error::ModelLoad`] instead of a panic or a huge allocation.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::QTensor;
use candle_core::Device;

use crate::error::{Error, Result};

/// Token texts that end a turn in common chat formats. A control token with one of
/// these texts stops generation even when the file names another EOS id (the same
/// rule llama.cpp applies).
pub(crate) const END_OF_TURN_TEXTS: &[&str] = &[
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<end_of_turn>",
    "<|end|>",
    "<|return|>",
    "<EOT>",
    "</s>",
];

/// An opened GGUF file: parsed header and metadata; tensor data stays on disk
/// until [`GgufFile::tensor`] reads it.
#[derive(Debug)]
pub struct GgufFile {
    path: PathBuf,
    content: gguf_file::Content,
}

impl GgufFile {
    /// Open and validate a GGUF file (header, metadata and tensor table).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        Self::read(BufReader::new(file), path)
    }

    /// Read and validate GGUF header, metadata and tensor table from `reader` (file
    /// contents; `path` names it in messages and for later tensor reads). Every length
    /// and count is checked against the data's size before anything is allocated.
    pub fn read<R: Read + Seek>(mut reader: R, path: PathBuf) -> Result<Self> {
        let file_len = reader
            .seek(SeekFrom::End(0))
            .and_then(|n| reader.seek(SeekFrom::Start(0)).map(|_| n))
            .map_err(|e| Error::io(&path, e))?;
        // candle divides by `general.alignment` without checking it for zero; a
        // panic inside the parser must become an error, not abort the run.
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gguf_file::Content::read(&mut reader)
        }));
        let content = match parsed {
            Ok(Ok(content)) => content,
            Ok(Err(e)) => return Err(load_error(&path, format!("not a valid GGUF file: {e}"))),
            Err(_) => return Err(load_error(&path, "corrupt GGUF header")),
        };
        let gguf = GgufFile { path, content };
        gguf.validate_tensor_table(file_len)?;
        Ok(gguf)
    }

    /// Path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// All metadata key/value pairs.
    pub fn metadata(&self) -> &HashMap<String, Value> {
        &self.content.metadata
    }

    /// Names of the tensors in the file.
    pub fn tensor_names(&self) -> impl Iterator<Item = &str> {
        self.content.tensor_infos.keys().map(String::as_str)
    }

    /// Shape (row-major, outermost first) and type of a tensor, if present.
    pub fn tensor_info(&self, name: &str) -> Option<&gguf_file::TensorInfo> {
        self.content.tensor_infos.get(name)
    }

    /// Read one tensor's data from `file` (an open handle on [`Self::path`]).
    pub fn tensor(&self, file: &mut File, name: &str) -> Result<QTensor> {
        self.content
            .tensor(file, name, &Device::Cpu)
            .map_err(|e| load_error(&self.path, format!("tensor `{name}`: {e}")))
    }

    /// Open a read handle on the file for [`Self::tensor`].
    pub fn reopen(&self) -> Result<File> {
        File::open(&self.path).map_err(|e| Error::io(&self.path, e))
    }

    /// A metadata value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.content.metadata.get(key)
    }

    /// A metadata string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    /// A non-negative integer metadata value of any integer type.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(value_to_u64)
    }

    /// A floating-point metadata value (f32 or f64).
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            Value::F32(v) => Some(f64::from(*v)),
            Value::F64(v) => Some(*v),
            _ => None,
        }
    }

    /// A required non-negative integer, or a load error naming the key.
    pub fn require_u64(&self, key: &str) -> Result<u64> {
        self.get_u64(key).ok_or_else(|| {
            load_error(
                &self.path,
                format!("missing or non-integer metadata `{key}`"),
            )
        })
    }

    /// A boolean metadata value.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            v => value_to_u64(v).map(|n| n != 0),
        }
    }

    /// The model facts a generator needs.
    pub fn facts(&self) -> Result<ModelFacts> {
        let architecture = self
            .get_str("general.architecture")
            .ok_or_else(|| load_error(&self.path, "missing metadata `general.architecture`"))?
            .to_string();
        let context_length = self
            .get_u64(&format!("{architecture}.context_length"))
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(2048);
        let tokens = match self.get("tokenizer.ggml.tokens") {
            Some(Value::Array(tokens)) => tokens.as_slice(),
            _ => &[],
        };
        let vocab_size = self
            .get_u64(&format!("{architecture}.vocab_size"))
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(tokens.len());
        let id = |key: &str| {
            self.get_u64(key)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&n| (n as usize) < vocab_size)
        };
        let bos_id = id("tokenizer.ggml.bos_token_id");
        let eos_id = id("tokenizer.ggml.eos_token_id");
        let mut end_of_turn_ids: Vec<u32> = eos_id.into_iter().collect();
        end_of_turn_ids.extend(id("tokenizer.ggml.eot_token_id"));
        end_of_turn_ids.extend(id("tokenizer.ggml.eom_token_id"));
        let token_types = match self.get("tokenizer.ggml.token_type") {
            Some(Value::Array(types)) => types.as_slice(),
            _ => &[],
        };
        for (idx, token) in tokens.iter().enumerate() {
            let Value::String(text) = token else { continue };
            // Only control tokens (type 3) count: a normal token that happens to
            // read "</s>" must not stop generation.
            let is_control = token_types.get(idx).and_then(value_to_u64) == Some(3);
            if is_control && END_OF_TURN_TEXTS.contains(&text.as_str()) {
                if let Ok(idx) = u32::try_from(idx) {
                    end_of_turn_ids.push(idx);
                }
            }
        }
        end_of_turn_ids.sort_unstable();
        end_of_turn_ids.dedup();
        Ok(ModelFacts {
            architecture,
            name: self.get_str("general.name").map(str::to_string),
            context_length,
            vocab_size,
            bos_id,
            eos_id,
            end_of_turn_ids,
            add_bos: self
                .get_bool("tokenizer.ggml.add_bos_token")
                .unwrap_or(false),
            chat_template: self.get_str("tokenizer.chat_template").map(str::to_string),
        })
    }

    /// Check every tensor's declared extent against the file before reading data:
    /// element counts must not overflow, must fill whole quantisation blocks, and
    /// the bytes must lie inside the file.
    fn validate_tensor_table(&self, file_len: u64) -> Result<()> {
        let data_start = self.content.tensor_data_offset;
        if data_start > file_len {
            return Err(load_error(
                &self.path,
                "tensor data starts past the end of the file",
            ));
        }
        for (name, info) in &self.content.tensor_infos {
            let elems = info
                .shape
                .dims()
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
                .ok_or_else(|| {
                    load_error(&self.path, format!("tensor `{name}`: size overflows"))
                })?;
            let block = info.ggml_dtype.block_size() as u64;
            if block == 0 || elems % block != 0 {
                return Err(load_error(
                    &self.path,
                    format!(
                        "tensor `{name}`: {elems} elements do not fill whole blocks of {block}"
                    ),
                ));
            }
            let bytes = (elems / block).checked_mul(info.ggml_dtype.type_size() as u64);
            let end = bytes
                .and_then(|b| b.checked_add(info.offset))
                .and_then(|b| b.checked_add(data_start));
            match end {
                Some(end) if end <= file_len => {}
                _ => {
                    return Err(load_error(
                        &self.path,
                        format!(
                        "tensor `{name}` extends past the end of the file (truncated or corrupt)"
                    ),
                    ))
                }
            }
        }
        Ok(())
    }
}

/// What a generator needs to know about a model file.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFacts {
    /// `general.architecture`, e.g. `llama`, `qwen2`.
    pub architecture: String,
    /// `general.name`, when present.
    pub name: Option<String>,
    /// Training context length in tokens.
    pub context_length: usize,
    /// Number of token ids.
    pub vocab_size: usize,
    /// Beginning-of-sequence id.
    pub bos_id: Option<u32>,
    /// End-of-sequence id.
    pub eos_id: Option<u32>,
    /// Every id that ends a turn (EOS, EOT and control tokens such as `<|im_end|>`), sorted.
    pub end_of_turn_ids: Vec<u32>,
    /// Whether the model expects BOS in front of a prompt.
    pub add_bos: bool,
    /// The Jinja chat template, when present.
    pub chat_template: Option<String>,
}

/// Any integer metadata value that is non-negative, as u64.
pub(crate) fn value_to_u64(v: &Value) -> Option<u64> {
    match *v {
        Value::U8(n) => Some(u64::from(n)),
        Value::U16(n) => Some(u64::from(n)),
        Value::U32(n) => Some(u64::from(n)),
        Value::U64(n) => Some(n),
        Value::I8(n) => u64::try_from(n).ok(),
        Value::I16(n) => u64::try_from(n).ok(),
        Value::I32(n) => u64::try_from(n).ok(),
        Value::I64(n) => u64::try_from(n).ok(),
        _ => None,
    }
}

/// A [`Error::ModelLoad`] for `path`.
pub(crate) fn load_error(path: &Path, message: impl Into<String>) -> Error {
    Error::ModelLoad {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::generator::Generator;
    use crate::model::tiny::{write_tiny_gguf, TinySpec};

    fn raw_header(tensors: &[(&str, &[u64], u32, u64)], metadata: &[(&str, u32)]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"GGUF");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
        b.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
        for (key, value) in metadata {
            b.extend_from_slice(&(key.len() as u64).to_le_bytes());
            b.extend_from_slice(key.as_bytes());
            b.extend_from_slice(&4u32.to_le_bytes()); // u32
            b.extend_from_slice(&value.to_le_bytes());
        }
        for (name, dims, dtype, offset) in tensors {
            b.extend_from_slice(&(name.len() as u64).to_le_bytes());
            b.extend_from_slice(name.as_bytes());
            b.extend_from_slice(&(dims.len() as u32).to_le_bytes());
            for d in *dims {
                b.extend_from_slice(&d.to_le_bytes());
            }
            b.extend_from_slice(&dtype.to_le_bytes());
            b.extend_from_slice(&offset.to_le_bytes());
        }
        b.resize(b.len() + 64, 0);
        b
    }

    fn open_bytes(bytes: &[u8]) -> Result<GgufFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        std::fs::write(&path, bytes).unwrap();
        GgufFile::open(&path)
    }

    fn assert_load_error(r: Result<GgufFile>, needle: &str) {
        match r {
            Err(Error::ModelLoad { message, .. }) => {
                assert!(message.contains(needle), "{message:?} lacks {needle:?}")
            }
            other => panic!("expected a load error, got {other:?}"),
        }
    }

    #[test]
    fn garbage_and_empty_files_are_errors() {
        assert_load_error(open_bytes(b""), "not a valid GGUF");
        assert_load_error(open_bytes(&[0x47; 1000]), "not a valid GGUF");
        // Absurd counts are refused before allocating.
        let mut b = raw_header(&[], &[]);
        b[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_load_error(open_bytes(&b), "not a valid GGUF");
    }

    #[test]
    fn tensor_extents_are_checked_against_the_file() {
        // Element count overflows u64.
        let huge = raw_header(&[("x", &[1 << 40, 1 << 40], 0, 0)], &[]);
        assert_load_error(open_bytes(&huge), "overflows");
        // 4096 f32 = 16 KiB declared, 64 bytes present.
        let past_end = raw_header(&[("x", &[64, 64], 0, 0)], &[]);
        assert_load_error(open_bytes(&past_end), "past the end");
        // Offset beyond the file.
        let far = raw_header(&[("x", &[4], 0, 1 << 50)], &[]);
        assert_load_error(open_bytes(&far), "past the end");
        // Partial quantisation block.
        let partial = raw_header(&[("x", &[33], 8, 0)], &[]);
        assert_load_error(open_bytes(&partial), "whole blocks");
        // A consistent tiny table opens.
        assert!(open_bytes(&raw_header(&[("x", &[4], 0, 0)], &[])).is_ok());
    }

    #[test]
    fn zero_alignment_is_an_error_not_a_panic() {
        let b = raw_header(&[("x", &[4], 0, 0)], &[("general.alignment", 0)]);
        assert_load_error(open_bytes(&b), "corrupt");
    }

    #[test]
    fn reads_from_memory_like_from_a_file() {
        use std::io::Cursor;
        let good = raw_header(&[("x", &[4], 0, 0)], &[("general.alignment", 32)]);
        let g = GgufFile::read(Cursor::new(&good), "mem.gguf".into()).unwrap();
        assert_eq!(g.tensor_names().collect::<Vec<_>>(), ["x"]);
        assert_eq!(g.get_u64("general.alignment"), Some(32));
        assert_eq!(g.path(), Path::new("mem.gguf"));
        let mut bad = good.clone();
        bad[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes()); // metadata count
        assert_load_error(
            GgufFile::read(Cursor::new(&bad), "mem.gguf".into()),
            "not a valid GGUF",
        );
    }

    #[test]
    fn truncated_model_fails_to_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        write_tiny_gguf(&path, &TinySpec::new("llama", 1)).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        // (The writer pads each tensor to 32 bytes; cut into the data itself.)
        for keep in [bytes.len() - 40, bytes.len() / 2, 100, 10] {
            std::fs::write(&path, &bytes[..keep]).unwrap();
            match Generator::load(&path) {
                Err(Error::ModelLoad { .. }) => {}
                other => panic!("truncated to {keep}: {other:?}"),
            }
        }
    }

    #[test]
    fn implausible_hyper_parameters_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        let expect_head_error = |path: &Path| match Generator::load(path) {
            Err(Error::ModelLoad { message, .. }) => {
                assert!(message.contains("head"), "{message}")
            }
            other => panic!("{other:?}"),
        };
        // 4 query heads cannot be grouped over 3 key/value heads.
        let mut spec = TinySpec::new("qwen2", 1);
        spec.n_kv_head = 3;
        write_tiny_gguf(&path, &spec).unwrap();
        expect_head_error(&path);
        // Zero heads (would divide by zero): patch the count in the file.
        write_tiny_gguf(&path, &TinySpec::new("qwen2", 1)).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let key = b"qwen2.attention.head_count";
        let at = bytes.windows(key.len()).position(|w| w == key).unwrap() + key.len();
        // After the key: value type (u32), then the value.
        bytes[at + 4..at + 8].copy_from_slice(&0u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        expect_head_error(&path);
    }

    #[test]
    fn facts_of_a_tiny_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        write_tiny_gguf(&path, &TinySpec::new("qwen2", 1)).unwrap();
        let facts = GgufFile::open(&path).unwrap().facts().unwrap();
        assert_eq!(facts.architecture, "qwen2");
        assert_eq!(facts.context_length, 128);
        assert_eq!(
            facts.vocab_size,
            crate::model::tiny::tiny_vocabulary().len()
        );
        assert_eq!((facts.bos_id, facts.eos_id), (Some(1), Some(2)));
        assert_eq!(facts.end_of_turn_ids, vec![0, 2]);
        assert!(facts.chat_template.unwrap().contains("<|im_start|>"));
        assert_eq!(facts.name.as_deref(), Some("tiny-qwen2"));
    }
}
