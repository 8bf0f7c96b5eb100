//! `--dump-prompts`: the exact generator prompt of every article, one JSON file each,
//! so another runtime (llama.cpp in `bench/compare`) can be given the same work.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::output::writer::write_atomic;

/// One article's prompt, as written to `DIR/NNNNN-ID.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptDump {
    /// Article id.
    pub id: String,
    /// Where the article came from.
    pub source: String,
    /// The prompt as text (instruction, article part, primed answer).
    pub prompt_text: String,
    /// The token ids the generator receives (feed these, not a re-tokenised text).
    pub prompt_ids: Vec<u32>,
    /// At most this many tokens are generated.
    pub max_new_tokens: usize,
    /// The same prompt with the whole cleaned article instead of the chosen sentences
    /// (the work of a plain one-prompt-per-article use of the model), as text.
    pub whole_article_prompt_text: String,
    /// ... and as token ids.
    pub whole_article_prompt_ids: Vec<u32>,
}

/// File name of the `index`-th article's dump: the index keeps input order when
/// sorted by name, the id (made file-name safe, shortened) tells which article.
pub fn file_name(index: usize, id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    format!("{index:05}-{safe}.json")
}

/// Write `dump` as the `index`-th article's file under `dir`; returns its path.
pub fn write(dir: &Path, index: usize, dump: &PromptDump) -> Result<PathBuf> {
    let path = dir.join(file_name(index, &dump.id));
    let json = serde_json::to_vec_pretty(dump).map_err(|e| Error::Serialize {
        what: "prompt dump",
        message: e.to_string(),
    })?;
    write_atomic(&path, &json)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_ordered() {
        assert_eq!(
            file_name(3, "bbc/business/001"),
            "00003-bbc_business_001.json"
        );
        assert_eq!(file_name(12, "../../etc"), "00012-.._.._etc.json");
        let long = "é".repeat(200);
        let name = file_name(0, &long);
        assert!(name.len() < 80 && !name.contains('/'));
        assert!(file_name(2, "z") < file_name(10, "a"));
    }

    #[test]
    fn round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let d = PromptDump {
            id: "a/b".into(),
            source: "x.txt".into(),
            prompt_text: "hello".into(),
            prompt_ids: vec![1, 2, 3],
            max_new_tokens: 200,
            whole_article_prompt_text: "hello world".into(),
            whole_article_prompt_ids: vec![1, 2, 3, 4],
        };
        let p = write(tmp.path(), 7, &d).unwrap();
        let back: PromptDump = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        assert_eq!(back, d);
    }
}
