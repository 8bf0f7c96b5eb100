//! The abstractive stage: a loaded generator plus the instruction prefix whose KV cache
//! is computed once and reused for every article.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::extract::generate::{article_block, parse, Parsed, INSTRUCTION};
use crate::model::chat::ChatMessage;
use crate::model::generator::{GenerateOptions, Generator, Prefix};
use crate::model::sampling::Sampling;

/// Marks where the article goes in the rendered chat prompt.
const ARTICLE_SLOT: &str = "\u{2063}ARTICLE\u{2063}";

/// Fed to a model that ends its turn before listing claims.
const CLAIMS_START: &str = "\nCLAIMS:\n-";

/// Start of the assistant's answer, written for it.
const PRIMER: &str = "SUMMARY:";

/// Known generator names → (folder, file) under the models directory.
pub const KNOWN_GENERATORS: &[(&str, &str, &str)] = &[
    (
        "smollm2",
        "smollm2-135m-instruct",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
    (
        "qwen2.5",
        "qwen2.5-coder-0.5b-instruct",
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    ),
];

/// Resolve `--generator NAME|PATH`: a known short or folder name under `models_dir`,
/// a `.gguf` file, or a folder holding exactly one `.gguf`.
pub fn resolve(name_or_path: &str, models_dir: &Path) -> Result<(String, PathBuf)> {
    for (short, dir, file) in KNOWN_GENERATORS {
        if name_or_path == *short || name_or_path == *dir {
            return Ok((dir.to_string(), models_dir.join(dir).join(file)));
        }
    }
    let p = PathBuf::from(name_or_path);
    if p.is_file() {
        let name = p
            .file_stem()
            .map_or("generator".into(), |s| s.to_string_lossy().to_string());
        return Ok((name, p));
    }
    if p.is_dir() {
        let ggufs: Vec<PathBuf> = std::fs::read_dir(&p)
            .map_err(|e| Error::io(&p, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.extension().is_some_and(|x| x == "gguf"))
            .collect();
        if let [one] = ggufs.as_slice() {
            let name = p
                .file_name()
                .map_or("generator".into(), |s| s.to_string_lossy().to_string());
            return Ok((name, one.clone()));
        }
    }
    Err(Error::Config(format!(
        "unknown generator {name_or_path:?}: give one of {} or a path to a .gguf file",
        KNOWN_GENERATORS
            .iter()
            .map(|k| k.0)
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// What the model wrote for one article.
#[derive(Debug, Clone)]
pub struct Written {
    /// Parsed summary and claims.
    pub parsed: Parsed,
    /// The raw output text.
    pub raw: String,
    /// Prompt tokens (instruction prefix included).
    pub prompt_tokens: usize,
    /// Generated tokens.
    pub generated_tokens: usize,
    /// Milliseconds on the article part of the prompt.
    pub ms_prefill: u64,
    /// Milliseconds generating.
    pub ms_decode: u64,
}

/// A full generator prompt (see [`Abstractive::prompt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptIds {
    /// The prompt as text.
    pub text: String,
    /// The prompt as the model's token ids.
    pub ids: Vec<u32>,
}

/// A generator ready to write summaries and claims.
pub struct Abstractive {
    generator: Arc<Generator>,
    /// Rendered template text before the article (the instruction prefix).
    head: String,
    prefix: Prefix,
    /// Rendered template text after the article (closing the user turn, opening the
    /// assistant's).
    tail: String,
    options: GenerateOptions,
}

impl Abstractive {
    /// Wrap a loaded generator; renders the chat template once and computes the KV
    /// cache of everything before the article.
    pub fn new(generator: Arc<Generator>, max_new_tokens: usize) -> Result<Self> {
        let rendered =
            generator.chat_prompt(&[ChatMessage::user(format!("{INSTRUCTION}{ARTICLE_SLOT}"))])?;
        let (head, tail) = rendered
            .split_once(ARTICLE_SLOT)
            .ok_or_else(|| Error::Config("chat template dropped the article slot".into()))?;
        let ids = generator.encode(head)?;
        let prefix = generator.prefill(&ids)?;
        // Models that stop after the summary are steered into the claims section.
        let claims_start = generator.encode(CLAIMS_START)?;
        Ok(Abstractive {
            generator,
            head: head.to_string(),
            prefix,
            tail: tail.to_string(),
            options: GenerateOptions {
                max_new_tokens,
                sampling: Sampling::Greedy,
                // Small models loop without it; 1.1 is llama.cpp's customary value.
                repetition_penalty: 1.1,
                continue_unless: Some(("CLAIMS:".into(), claims_start)),
                ..GenerateOptions::default()
            },
        })
    }

    /// The generator.
    pub fn generator(&self) -> &Generator {
        &self.generator
    }

    /// Tokens in `text` (for prompt budgeting).
    pub fn count_tokens(&self, text: &str) -> Result<usize> {
        Ok(self.generator.encode(text)?.len())
    }

    /// The prompt text after the shared instruction prefix: the article, the end of
    /// the user turn and the primed start of the answer.
    fn article_part(&self, title: Option<&str>, sentences: &[&str]) -> String {
        // The answer is primed with the first marker: small models then keep the format.
        format!("{}{}{PRIMER}", article_block(title, sentences), self.tail)
    }

    /// The whole prompt [`Self::write`] feeds the model for these inputs: the text, and
    /// the token ids exactly as the model receives them (the instruction prefix's ids,
    /// then the article part's, each tokenized on its own). For benchmarks and
    /// comparisons with other runtimes.
    pub fn prompt(&self, title: Option<&str>, sentences: &[&str]) -> Result<PromptIds> {
        let part = self.article_part(title, sentences);
        let mut ids = self.prefix.ids().to_vec();
        ids.extend(self.generator.encode(&part)?);
        Ok(PromptIds {
            text: format!("{}{part}", self.head),
            ids,
        })
    }

    /// Write a summary and claims from the headline and the chosen sentences.
    pub fn write(&self, title: Option<&str>, sentences: &[&str]) -> Result<Written> {
        let ids = self
            .generator
            .encode(&self.article_part(title, sentences))?;
        let out = self
            .generator
            .generate_after(&self.prefix, &ids, &self.options)?;
        Ok(Written {
            parsed: parse(&format!("{PRIMER}{}", out.text)),
            raw: out.text,
            prompt_tokens: out.prompt_tokens,
            generated_tokens: out.ids.len(),
            ms_prefill: out.ms_prefill,
            ms_decode: out.ms_decode,
        })
    }
}
