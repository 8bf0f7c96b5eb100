//! The generate stage: a local generative model writes each article's summary and
//! atomic claims from its headline and key sentences (chosen by `extract::select`);
//! the ground stage then checks every one against the article.
//!
//! - [`prompt`]: the instruction, the article block (article text is data: control
//!   tokens and fake answer markers are neutralised), parsing the answer;
//! - [`feed`]: which sentences the model reads, and the parts of a long article
//!   (map-reduce);
//! - [`decoder`] / [`seq2seq`]: the two kinds of model behind one [`Writer`];
//! - [`names`]: names the model dropped, put back from the article's appositions.
//!
//! Which model and where its files are is [`crate::model::registry`]'s business; this
//! stage only builds the writer from the source it is handed.

pub mod decoder;
pub mod feed;
pub mod names;
pub mod prompt;
pub mod seq2seq;

use std::sync::Arc;

use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::model::generator::{Batch, Generated, Generator, StopReason};
use crate::model::hf;
use crate::model::registry::{GeneratorFormat, GeneratorSource};
use crate::model::t5::T5Model;

pub use decoder::DecoderWriter;
pub use feed::{feeds, parts_of};
pub use names::restore_names;
pub use prompt::{parse, Parsed, INSTRUCTION};
pub use seq2seq::Seq2SeqWriter;

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

impl Written {
    /// A generation's result, with `answer` (its text as the parser should read it)
    /// parsed after the primed [`prompt::PRIMER`].
    fn new(out: Generated, answer: &str) -> Self {
        let mut parsed = prompt::parse_answer(answer);
        if matches!(
            out.stop_reason,
            StopReason::MaxTokens | StopReason::ContextFull
        ) {
            parsed.drop_cut_off();
        }
        Written {
            parsed,
            raw: out.text,
            prompt_tokens: out.prompt_tokens,
            generated_tokens: out.ids.len(),
            ms_prefill: out.ms_prefill,
            ms_decode: out.ms_decode,
        }
    }
}

/// A full generator prompt (see [`DecoderWriter::prompt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptIds {
    /// The prompt as text.
    pub text: String,
    /// The prompt as the model's token ids.
    pub ids: Vec<u32>,
}

/// A loaded generative model of either kind, ready to write summaries and claims.
pub enum Writer {
    /// Decoder-only: chat template, instruction prefix computed once.
    Decoder(DecoderWriter),
    /// Encoder-decoder (T5): instruction and article through the encoder.
    Seq2Seq(Seq2SeqWriter),
}

impl Writer {
    /// Load the model `source` points at with the loader of its format.
    pub fn load(source: &GeneratorSource, max_new_tokens: usize) -> Result<Self> {
        let path = &source.path;
        Ok(match source.format {
            GeneratorFormat::Gguf => Self::Decoder(DecoderWriter::new(
                Arc::new(Generator::load(path)?),
                max_new_tokens,
            )?),
            GeneratorFormat::HfDecoder => Self::Decoder(DecoderWriter::new(
                Arc::new(hf::load_decoder(path, &Default::default())?),
                max_new_tokens,
            )?),
            GeneratorFormat::HfSeq2Seq => Self::Seq2Seq(Seq2SeqWriter::new(
                Arc::new(T5Model::load(path)?),
                max_new_tokens,
            )?),
        })
    }

    /// Stop generating (with [`crate::Error::interrupted`]) once `cancel` is set.
    pub fn set_cancel(&mut self, cancel: Cancel) {
        match self {
            Self::Decoder(a) => a.options.cancel = Some(cancel),
            Self::Seq2Seq(s) => s.options.cancel = Some(cancel),
        }
    }

    /// Write a summary and claims from the headline and the chosen sentences.
    pub fn write(&self, title: Option<&str>, sentences: &[&str]) -> Result<Written> {
        match self {
            Self::Decoder(a) => a.write(title, sentences),
            Self::Seq2Seq(s) => s.write(title, sentences),
        }
    }

    /// An empty [`Writing`]: articles written together under keys of the caller's.
    pub fn writing<K>(&self) -> Writing<'_, K> {
        Writing {
            lane: match self {
                Self::Decoder(d) => Lane::Decoder(d, d.batch()),
                Self::Seq2Seq(s) => Lane::Seq2Seq(s),
            },
            ready: Vec::new(),
        }
    }

    /// Map-reduce for a long article (see [`DecoderWriter::write_parts`]); the
    /// encoder-decoder model writes its parts one after another.
    pub fn write_parts(&self, title: Option<&str>, parts: &[Vec<&str>]) -> Result<Written> {
        match self {
            Self::Decoder(a) => a.write_parts(title, parts),
            Self::Seq2Seq(s) => {
                let mapped = parts
                    .iter()
                    .map(|p| s.write(title, p))
                    .collect::<Result<Vec<_>>>()?;
                combine_parts(mapped, |partial| s.write(title, partial))
            }
        }
    }

    /// The exact prompt the decoder receives (see [`DecoderWriter::prompt`]); the
    /// encoder-decoder path has no shared-prefix prompt to show.
    pub fn prompt(&self, title: Option<&str>, sentences: &[&str]) -> Result<PromptIds> {
        match self {
            Self::Decoder(a) => a.prompt(title, sentences),
            Self::Seq2Seq(_) => Err(Error::Config(
                "prompt dumps are for decoder (GGUF/llama/qwen2) generators".into(),
            )),
        }
    }

    /// Tokens in `text` (for prompt budgeting).
    pub fn count_tokens(&self, text: &str) -> Result<usize> {
        match self {
            Self::Decoder(a) => a.count_tokens(text),
            Self::Seq2Seq(s) => s.count_tokens(text),
        }
    }
}

/// Articles being written together. With a decoder, one [`Batch`] decodes them all
/// (one batched forward pass per [`Self::step`]) and an article may join at any
/// step, so the caller keeps the batch full as articles end; the encoder-decoder
/// model writes each article as it joins. Every result equals [`Writer::write`] of
/// that article alone (test).
pub struct Writing<'w, K> {
    lane: Lane<'w, K>,
    /// Results to hand out at the next step (seq2seq articles).
    ready: Vec<(K, Result<Written>)>,
}

enum Lane<'w, K> {
    Decoder(&'w DecoderWriter, Batch<'w, K>),
    Seq2Seq(&'w Seq2SeqWriter),
}

impl<K> Writing<'_, K> {
    /// Start writing an article (headline, chosen sentences) under `key`.
    pub fn join(&mut self, key: K, title: Option<&str>, sentences: &[&str]) {
        match &mut self.lane {
            Lane::Decoder(d, batch) => d.join(batch, key, title, sentences),
            Lane::Seq2Seq(s) => self.ready.push((key, s.write(title, sentences))),
        }
    }

    /// Articles joined and not yet handed out.
    pub fn len(&self) -> usize {
        self.ready.len()
            + match &self.lane {
                Lane::Decoder(_, batch) => batch.len(),
                Lane::Seq2Seq(_) => 0,
            }
    }

    /// True when every article joined has been handed out.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One decoding step; returns the articles that are done, with what was
    /// written or their error.
    pub fn step(&mut self) -> Vec<(K, Result<Written>)> {
        let mut out = std::mem::take(&mut self.ready);
        if let Lane::Decoder(_, batch) = &mut self.lane {
            if !batch.is_empty() {
                out.extend(
                    batch
                        .step()
                        .into_iter()
                        .map(|(k, r)| (k, r.map(decoder::written))),
                );
            }
        }
        out
    }

    /// Abandon every article not handed out (after a panic), handing back the keys.
    pub fn into_keys(self) -> Vec<K> {
        let mut keys: Vec<K> = self.ready.into_iter().map(|(k, _)| k).collect();
        if let Lane::Decoder(_, batch) = self.lane {
            keys.extend(batch.into_keys());
        }
        keys
    }
}

/// The reduce step of map-reduce: `reduce` writes from the parts' summaries; the
/// parts' claims, warnings (prefixed with their part) and token counts are merged
/// into its result.
fn combine_parts(
    mapped: Vec<Written>,
    reduce: impl FnOnce(&[&str]) -> Result<Written>,
) -> Result<Written> {
    let partial: Vec<String> = mapped
        .iter()
        .filter(|w| !w.parsed.summary.is_empty())
        .map(|w| w.parsed.summary.join(" "))
        .collect();
    let partial: Vec<&str> = partial.iter().map(String::as_str).collect();
    let mut out = reduce(&partial)?;
    let mut claims = Vec::new();
    let mut warnings = Vec::new();
    let mut raw = String::new();
    for (i, w) in mapped.into_iter().enumerate() {
        claims.extend(w.parsed.claims);
        warnings.extend(
            w.parsed
                .warnings
                .into_iter()
                .map(|x| format!("part {}: {x}", i + 1)),
        );
        out.prompt_tokens += w.prompt_tokens;
        out.generated_tokens += w.generated_tokens;
        out.ms_prefill += w.ms_prefill;
        out.ms_decode += w.ms_decode;
        raw.push_str(&w.raw);
        raw.push_str("\n\n");
    }
    out.raw = raw + &out.raw;
    warnings.append(&mut out.parsed.warnings);
    out.parsed.claims = claims;
    out.parsed.warnings = warnings;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::prompt::{
        answer_options, article_block, CLAIMS_START, INSTRUCTION, PRIMER,
    };
    use crate::generate::seq2seq::restore_lines;
    use crate::model::registry;
    use crate::model::tiny_hf::{write_tiny_hf, TinyHfSpec};
    use std::path::Path;

    const TITLE: &str = "The world news";
    const SENTENCES: [&str; 2] = ["The world said a news article.", "We are at the sea."];

    /// Resolve a model path as `--generator` does, then load it.
    fn load(path: &Path, max_new_tokens: usize) -> Result<Writer> {
        let models = tempfile::tempdir().unwrap();
        let source = GeneratorSource::resolve(path.to_str().unwrap(), models.path())?;
        Writer::load(&source, max_new_tokens)
    }

    fn tiny(spec: &TinyHfSpec) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_hf(dir.path(), spec).unwrap();
        dir
    }

    /// HF llama / qwen2 directory: resolve → load → prompt → generate → parse, the
    /// same as driving the `DecoderWriter` directly.
    #[test]
    fn hf_decoders_write_end_to_end() {
        for arch in ["llama", "qwen2"] {
            // The tiny vocabulary spells most words letter by letter: room for the prompt.
            let dir = tiny(&TinyHfSpec {
                context_length: 2048,
                ..TinyHfSpec::new(arch, 31)
            });
            let models = tempfile::tempdir().unwrap();
            let source =
                GeneratorSource::resolve(dir.path().to_str().unwrap(), models.path()).unwrap();
            let path = source.path.clone();
            assert_eq!(path, dir.path());
            assert_eq!(
                source.name,
                dir.path().file_name().unwrap().to_string_lossy()
            );
            assert_eq!(source.format, GeneratorFormat::HfDecoder);
            let w = Writer::load(&source, 24).unwrap();
            let Writer::Decoder(direct) = &w else {
                panic!("{arch} loaded as seq2seq")
            };
            let out = w.write(Some(TITLE), &SENTENCES).unwrap();
            assert!(out.generated_tokens <= 24);
            assert!(out.prompt_tokens > w.count_tokens(INSTRUCTION).unwrap());
            let mut want = parse(&format!("{PRIMER}{}", out.raw));
            if out.generated_tokens == 24 {
                want.drop_cut_off();
            }
            assert_eq!(out.parsed, want);
            let again = direct.write(Some(TITLE), &SENTENCES).unwrap();
            assert_eq!(again.raw, out.raw);
            assert_eq!(
                source.sha256().unwrap(),
                registry::weights_sha256(&path).unwrap()
            );
        }
        // A model that ends its turn at once is steered into the claims section.
        let dir = tiny(&TinyHfSpec {
            zero_output: true,
            context_length: 2048,
            ..TinyHfSpec::new("qwen2", 32)
        });
        let w = load(dir.path(), 24).unwrap();
        let out = w.write(None, &SENTENCES).unwrap();
        assert_eq!(out.raw, CLAIMS_START);
    }

    /// T5 directory: the instruction and article go to the encoder; output is parsed
    /// as the decoder path's.
    #[test]
    fn t5_writes_end_to_end() {
        let dir = tiny(&TinyHfSpec::new("t5", 33));
        let w = load(dir.path(), 20).unwrap();
        let Writer::Seq2Seq(s) = &w else {
            panic!("t5 loaded as decoder")
        };
        let out = w.write(Some(TITLE), &SENTENCES).unwrap();
        let prompt = format!("{INSTRUCTION}{}", article_block(Some(TITLE), &SENTENCES));
        let input = s.model().input_ids(&prompt).unwrap();
        assert_eq!(out.prompt_tokens, input.len());
        assert!(out.generated_tokens <= 20);
        // The same generation by hand: primer forced, same options.
        let primer = s.model().tokens(PRIMER, false).unwrap();
        let opts = answer_options(20, s.model().tokens(CLAIMS_START, false).unwrap());
        let by_hand = s.model().generate(&input, &primer, &opts).unwrap();
        assert_eq!(out.raw, by_hand.text);
        let mut want = parse(&format!("{PRIMER}{}", restore_lines(&out.raw)));
        if by_hand.stop_reason == StopReason::MaxTokens {
            want.drop_cut_off();
        }
        assert_eq!(out.parsed, want);
        assert_eq!(w.count_tokens("the world").unwrap(), 2);

        // Ends at once → steered into CLAIMS:, whose lines are restored for parsing.
        let dir = tiny(&TinyHfSpec {
            zero_output: true,
            ..TinyHfSpec::new("t5", 34)
        });
        let w = load(dir.path(), 20).unwrap();
        let out = w.write(Some(TITLE), &SENTENCES).unwrap();
        assert_eq!(out.raw, "CLAIMS: -");
        assert_eq!(out.parsed, parse("SUMMARY:\nCLAIMS: -"));
    }

    #[test]
    fn resolve_and_load_errors() {
        let models = tempfile::tempdir().unwrap();
        let err = GeneratorSource::resolve("/no/such/model", models.path()).unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
        // A folder without config.json and without a .gguf is not a model.
        let empty = tempfile::tempdir().unwrap();
        assert!(GeneratorSource::resolve(empty.path().to_str().unwrap(), models.path()).is_err());
        // Unknown model types are refused with the supported list.
        let dir = tiny(&TinyHfSpec::new("llama", 35));
        let mut c: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("config.json")).unwrap())
                .unwrap();
        c["model_type"] = "gpt_neox".into();
        std::fs::write(dir.path().join("config.json"), c.to_string()).unwrap();
        match load(dir.path(), 8) {
            Err(Error::ModelLoad { message, .. }) => {
                assert!(
                    message.contains("gpt_neox") && message.contains("llama, qwen2, t5"),
                    "{message}"
                )
            }
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => panic!("loaded an unsupported model"),
        }
        let t5 = tiny(&TinyHfSpec::new("t5", 36));
        std::fs::remove_file(t5.path().join("tokenizer.json")).unwrap();
        assert!(matches!(load(t5.path(), 8), Err(Error::ModelLoad { .. })));
    }
}
