//! The writer for encoder-decoder models (T5 / flan-t5). There is no
//! chat template and no shared-prefix cache: the instruction and the article go
//! to the encoder together, and the decoder is primed with the answer's first
//! marker. Output parsing and warnings are those of the decoder path.

use std::sync::Arc;

use crate::error::Result;
use crate::generate::prompt::{answer_options, article_block, CLAIMS_START, INSTRUCTION, PRIMER};
use crate::generate::Written;
use crate::model::generator::GenerateOptions;
use crate::model::t5::T5Model;

/// A T5 model ready to write summaries and claims.
pub struct Seq2SeqWriter {
    model: Arc<T5Model>,
    /// Decoder tokens forced after the start token (`SUMMARY:`).
    primer: Vec<u32>,
    pub(super) options: GenerateOptions,
}

impl Seq2SeqWriter {
    /// Wrap a loaded model; `max_new_tokens` bounds each answer.
    pub fn new(model: Arc<T5Model>, max_new_tokens: usize) -> Result<Self> {
        let primer = model.tokens(PRIMER, false)?;
        let claims_start = model.tokens(CLAIMS_START, false)?;
        Ok(Seq2SeqWriter {
            model,
            primer,
            options: answer_options(max_new_tokens, claims_start),
        })
    }

    /// The model.
    pub fn model(&self) -> &T5Model {
        &self.model
    }

    /// Tokens in `text` (for prompt budgeting).
    pub fn count_tokens(&self, text: &str) -> Result<usize> {
        Ok(self.model.tokens(text, false)?.len())
    }

    /// Write a summary and claims from the headline and the chosen sentences.
    pub fn write(&self, title: Option<&str>, sentences: &[&str]) -> Result<Written> {
        let prompt = format!("{INSTRUCTION}{}", article_block(title, sentences));
        let ids = self.model.input_ids(&prompt)?;
        let out = self.model.generate(&ids, &self.primer, &self.options)?;
        let answer = restore_lines(&out.text);
        Ok(Written::new(out, &answer))
    }
}

/// T5's SentencePiece vocabulary has no newline, so the answer's line breaks come
/// back as spaces: put one back before `CLAIMS:` and before each ` - ` bullet after
/// it (a claim that itself contains ` - ` is split there). Output that has
/// newlines, or no `CLAIMS:` marker, is left as it is.
pub fn restore_lines(text: &str) -> String {
    const MARKER: &[u8] = b"claims:";
    if text.contains('\n') {
        return text.to_string();
    }
    // An ASCII match starts on a char boundary, so slicing there is safe.
    let Some(at) = text
        .as_bytes()
        .windows(MARKER.len())
        .position(|w| w.eq_ignore_ascii_case(MARKER))
    else {
        return text.to_string();
    };
    let (summary, claims) = text.split_at(at);
    let (marker, body) = claims.split_at(MARKER.len());
    format!(
        "{}\n{marker}{}",
        summary.trim_end(),
        body.replace(" - ", "\n- ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::prompt::parse;

    #[test]
    fn restores_marker_and_bullet_lines() {
        assert_eq!(
            restore_lines("Putin met Kim. CLAIMS: - Putin met Kim. - They signed a pact."),
            "Putin met Kim.\nCLAIMS:\n- Putin met Kim.\n- They signed a pact."
        );
        assert_eq!(
            restore_lines("A. claims:- one - two"),
            "A.\nclaims:- one\n- two"
        );
        // Left alone: real line breaks, or no marker.
        assert_eq!(restore_lines("A.\nCLAIMS: - x - y"), "A.\nCLAIMS: - x - y");
        assert_eq!(restore_lines("a - b - c"), "a - b - c");
        // Non-ASCII text around the marker keeps its characters.
        assert_eq!(
            restore_lines("Zürich é. CLAIMS: - ü"),
            "Zürich é.\nCLAIMS:\n- ü"
        );
        let parsed = parse(&format!(
            "{PRIMER}{}",
            restore_lines(" Putin met Kim. CLAIMS: - Putin met Kim. - They signed a pact.")
        ));
        assert_eq!(parsed.summary, vec!["Putin met Kim."]);
        assert_eq!(parsed.claims, vec!["Putin met Kim.", "They signed a pact."]);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    }
}
