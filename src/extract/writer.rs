//! Either kind of abstractive model behind one `write`: a decoder
//! ([`Abstractive`], GGUF or HF `llama`/`qwen2`, with its shared-prefix cache) or
//! an encoder-decoder ([`Seq2SeqAbstractive`], HF `t5`).

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::extract::abstractive::{combine_parts, Abstractive, PromptIds, Written};
use crate::extract::seq2seq::Seq2SeqAbstractive;
use crate::model::generator::Generator;
use crate::model::t5::T5Model;
use crate::model::{files, hf};

/// A loaded abstractive model of either kind.
pub enum AbstractiveWriter {
    /// Decoder-only: chat template, instruction prefix computed once.
    Decoder(Abstractive),
    /// Encoder-decoder (T5): instruction and article through the encoder.
    Seq2Seq(Seq2SeqAbstractive),
}

impl AbstractiveWriter {
    /// Load what [`crate::extract::abstractive::resolve`] found: a T5 directory as
    /// [`Seq2SeqAbstractive`], anything else (GGUF file, HF decoder directory)
    /// through [`Generator::load`].
    pub fn load(path: &Path, max_new_tokens: usize) -> Result<Self> {
        if hf::is_model_dir(path) && hf::model_type(path)? == "t5" {
            let model = Arc::new(T5Model::load(path)?);
            return Ok(Self::Seq2Seq(Seq2SeqAbstractive::new(
                model,
                max_new_tokens,
            )?));
        }
        let generator = Arc::new(Generator::load(path)?);
        Ok(Self::Decoder(Abstractive::new(generator, max_new_tokens)?))
    }

    /// Write a summary and claims from the headline and the chosen sentences.
    pub fn write(&self, title: Option<&str>, sentences: &[&str]) -> Result<Written> {
        match self {
            Self::Decoder(a) => a.write(title, sentences),
            Self::Seq2Seq(s) => s.write(title, sentences),
        }
    }

    /// Several articles at once (see [`Abstractive::write_batch`]); the
    /// encoder-decoder model writes them one after another.
    pub fn write_batch(&self, items: &[(Option<&str>, Vec<&str>)]) -> Vec<Result<Written>> {
        match self {
            Self::Decoder(a) => a.write_batch(items),
            Self::Seq2Seq(s) => items.iter().map(|(t, p)| s.write(*t, p)).collect(),
        }
    }

    /// Map-reduce for a long article (see [`Abstractive::write_parts`]); the
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

    /// The exact prompt the decoder receives (see [`Abstractive::prompt`]); the
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

/// Content hash identifying a model: a file's sha256, or for an HF directory that
/// of its weights ([`hf::weights_sha256`]).
pub fn model_sha256(path: &Path) -> Result<String> {
    if path.is_dir() {
        hf::weights_sha256(path)
    } else {
        files::file_sha256(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::extract::abstractive::{resolve, CLAIMS_START, PRIMER};
    use crate::extract::generate::{article_block, parse, INSTRUCTION};
    use crate::extract::seq2seq::restore_lines;
    use crate::model::tiny_hf::{write_tiny_hf, TinyHfSpec};

    const TITLE: &str = "The world news";
    const SENTENCES: [&str; 2] = ["The world said a news article.", "We are at the sea."];

    fn tiny(spec: &TinyHfSpec) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_hf(dir.path(), spec).unwrap();
        dir
    }

    /// HF llama / qwen2 directory: resolve → load → prompt → generate → parse, the
    /// same as driving the decoder `Abstractive` directly.
    #[test]
    fn hf_decoders_write_end_to_end() {
        for arch in ["llama", "qwen2"] {
            // The tiny vocabulary spells most words letter by letter: room for the prompt.
            let dir = tiny(&TinyHfSpec {
                context_length: 1024,
                ..TinyHfSpec::new(arch, 31)
            });
            let models = tempfile::tempdir().unwrap();
            let (name, path) = resolve(dir.path().to_str().unwrap(), models.path()).unwrap();
            assert_eq!(path, dir.path());
            assert_eq!(name, dir.path().file_name().unwrap().to_string_lossy());
            let w = AbstractiveWriter::load(&path, 24).unwrap();
            let AbstractiveWriter::Decoder(direct) = &w else {
                panic!("{arch} loaded as seq2seq")
            };
            let out = w.write(Some(TITLE), &SENTENCES).unwrap();
            assert!(out.generated_tokens <= 24);
            assert!(out.prompt_tokens > w.count_tokens(INSTRUCTION).unwrap());
            assert_eq!(out.parsed, parse(&format!("{PRIMER}{}", out.raw)));
            let again = direct.write(Some(TITLE), &SENTENCES).unwrap();
            assert_eq!(again.raw, out.raw);
            assert_eq!(
                model_sha256(&path).unwrap(),
                hf::weights_sha256(&path).unwrap()
            );
        }
        // A model that ends its turn at once is steered into the claims section.
        let dir = tiny(&TinyHfSpec {
            zero_output: true,
            context_length: 1024,
            ..TinyHfSpec::new("qwen2", 32)
        });
        let w = AbstractiveWriter::load(dir.path(), 24).unwrap();
        let out = w.write(None, &SENTENCES).unwrap();
        assert_eq!(out.raw, CLAIMS_START);
    }

    /// T5 directory: the instruction and article go to the encoder; output is parsed
    /// as the decoder path's.
    #[test]
    fn t5_writes_end_to_end() {
        let dir = tiny(&TinyHfSpec::new("t5", 33));
        let w = AbstractiveWriter::load(dir.path(), 20).unwrap();
        let AbstractiveWriter::Seq2Seq(s) = &w else {
            panic!("t5 loaded as decoder")
        };
        let out = w.write(Some(TITLE), &SENTENCES).unwrap();
        let prompt = format!("{INSTRUCTION}{}", article_block(Some(TITLE), &SENTENCES));
        let input = s.model().input_ids(&prompt).unwrap();
        assert_eq!(out.prompt_tokens, input.len());
        assert!(out.generated_tokens <= 20);
        // The same generation by hand: primer forced, same options.
        let primer = s.model().tokens(PRIMER, false).unwrap();
        let opts = crate::model::generator::GenerateOptions {
            max_new_tokens: 20,
            repetition_penalty: 1.1,
            continue_unless: Some((
                "CLAIMS:".into(),
                s.model().tokens(CLAIMS_START, false).unwrap(),
            )),
            ..Default::default()
        };
        let by_hand = s.model().generate(&input, &primer, &opts).unwrap();
        assert_eq!(out.raw, by_hand.text);
        assert_eq!(
            out.parsed,
            parse(&format!("{PRIMER}{}", restore_lines(&out.raw)))
        );
        assert_eq!(w.count_tokens("the world").unwrap(), 2);

        // Ends at once → steered into CLAIMS:, whose lines are restored for parsing.
        let dir = tiny(&TinyHfSpec {
            zero_output: true,
            ..TinyHfSpec::new("t5", 34)
        });
        let w = AbstractiveWriter::load(dir.path(), 20).unwrap();
        let out = w.write(Some(TITLE), &SENTENCES).unwrap();
        assert_eq!(out.raw, "CLAIMS: -");
        assert_eq!(out.parsed, parse("SUMMARY:\nCLAIMS: -"));
    }

    #[test]
    fn resolve_and_load_errors() {
        let models = tempfile::tempdir().unwrap();
        let err = resolve("/no/such/model", models.path()).unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
        // A folder without config.json and without a .gguf is not a model.
        let empty = tempfile::tempdir().unwrap();
        assert!(resolve(empty.path().to_str().unwrap(), models.path()).is_err());
        // Unknown model types are refused with the supported list.
        let dir = tiny(&TinyHfSpec::new("llama", 35));
        let mut c: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("config.json")).unwrap())
                .unwrap();
        c["model_type"] = "gpt_neox".into();
        std::fs::write(dir.path().join("config.json"), c.to_string()).unwrap();
        match AbstractiveWriter::load(dir.path(), 8) {
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
        assert!(matches!(
            AbstractiveWriter::load(t5.path(), 8),
            Err(Error::ModelLoad { .. })
        ));
    }
}
