//! ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum exactly as Google's `rouge-score` 0.1.2
//! computes them with `RougeScorer([...], use_stemmer=True)`.
//!
//! Tokens: lowercase, every run of characters outside `[a-z0-9]` becomes a separator,
//! tokens longer than three characters go through NLTK's Porter stemmer. ROUGE-Lsum
//! treats each line as a sentence and uses the summary-level union LCS with
//! rouge-score's hit counters, so repeated tokens are not counted twice.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::lcs::Lcs;
use crate::text::tokens::{stem_token, words};

/// Precision, recall and F1 of one ROUGE variant, each in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Score {
    /// Matches divided by the size of the hypothesis.
    pub precision: f64,
    /// Matches divided by the size of the reference.
    pub recall: f64,
    /// Harmonic mean of precision and recall (rouge-score's `fmeasure`); 0 when both are 0.
    pub f1: f64,
}

impl Score {
    /// Builds a score from precision and recall, with rouge-score's F-measure formula
    /// (same operation order, so results agree bit for bit).
    fn new(precision: f64, recall: f64) -> Self {
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Score {
            precision,
            recall,
            f1,
        }
    }
}

/// All four ROUGE variants for one (reference, hypothesis) pair.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RougeScores {
    /// Unigram overlap.
    pub rouge1: Score,
    /// Bigram overlap.
    pub rouge2: Score,
    /// Longest common subsequence over the whole text.
    pub rouge_l: Score,
    /// Summary-level LCS over newline-separated sentences.
    pub rouge_lsum: Score,
}

/// Scores `hypothesis` against `reference` (rouge-score's `score(target, prediction)`).
///
/// Sentences for ROUGE-Lsum are the lines of each text. Empty input gives zeros.
pub fn score(reference: &str, hypothesis: &str) -> RougeScores {
    let mut vocab = Vocab::default();
    let ref_sents = vocab.sentences(reference);
    let hyp_sents = vocab.sentences(hypothesis);
    // Newlines separate tokens anyway, so the whole-text tokens are the concatenation.
    let ref_tokens: Vec<u32> = ref_sents.concat();
    let hyp_tokens: Vec<u32> = hyp_sents.concat();
    RougeScores {
        rouge1: ngram_score(&ref_tokens, &hyp_tokens, 1),
        rouge2: ngram_score(&ref_tokens, &hyp_tokens, 2),
        rouge_l: lcs_score(&ref_tokens, &hyp_tokens, vocab.len()),
        rouge_lsum: summary_lcs_score(&ref_sents, &hyp_sents, vocab.len()),
    }
}

/// Interns stemmed tokens as dense ids so counting and LCS compare integers.
#[derive(Default)]
struct Vocab {
    /// Stem → id.
    ids: HashMap<String, u32>,
    /// Surface word → id, so each distinct word is stemmed once.
    seen: HashMap<String, u32>,
}

impl Vocab {
    fn len(&self) -> usize {
        self.ids.len()
    }

    fn id(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.seen.get(word) {
            return id;
        }
        let stem = stem_token(word);
        let next = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        let id = *self.ids.entry(stem).or_insert(next);
        self.seen.insert(word.to_string(), id);
        id
    }

    /// Token ids of each line of `text`; lines without tokens are dropped (they add
    /// nothing to any score, exactly as in rouge-score).
    fn sentences(&mut self, text: &str) -> Vec<Vec<u32>> {
        text.split('\n')
            .filter_map(|line| {
                let lower = line.to_lowercase();
                let ids: Vec<u32> = words(&lower).map(|w| self.id(w)).collect();
                (!ids.is_empty()).then_some(ids)
            })
            .collect()
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    num as f64 / den as f64
}

/// rouge-score's `_score_ngrams`: clipped n-gram overlap.
fn ngram_score(reference: &[u32], hypothesis: &[u32], n: usize) -> Score {
    fn count(tokens: &[u32], n: usize) -> HashMap<&[u32], usize> {
        let mut counts = HashMap::new();
        for gram in tokens.windows(n) {
            *counts.entry(gram).or_insert(0) += 1;
        }
        counts
    }
    let ref_counts = count(reference, n);
    let hyp_counts = count(hypothesis, n);
    let overlap: usize = ref_counts
        .iter()
        .map(|(gram, &c)| c.min(hyp_counts.get(gram).copied().unwrap_or(0)))
        .sum();
    let ref_total = (reference.len() + 1).saturating_sub(n);
    let hyp_total = (hypothesis.len() + 1).saturating_sub(n);
    Score::new(
        ratio(overlap, hyp_total.max(1)),
        ratio(overlap, ref_total.max(1)),
    )
}

/// rouge-score's `_score_lcs`.
fn lcs_score(reference: &[u32], hypothesis: &[u32], vocab: usize) -> Score {
    if reference.is_empty() || hypothesis.is_empty() {
        return Score::default();
    }
    let lcs = Lcs::new(vocab).len(reference, hypothesis);
    Score::new(ratio(lcs, hypothesis.len()), ratio(lcs, reference.len()))
}

/// rouge-score's `_summary_level_lcs`: for each reference sentence, the union of its
/// LCS positions against every hypothesis sentence; each union token is a hit only
/// while both texts still have an unused occurrence of it.
fn summary_lcs_score(reference: &[Vec<u32>], hypothesis: &[Vec<u32>], vocab: usize) -> Score {
    let m: usize = reference.iter().map(Vec::len).sum();
    let n: usize = hypothesis.iter().map(Vec::len).sum();
    if m == 0 || n == 0 {
        return Score::default();
    }
    // Unions are independent of the hit counters, so compute them all first with each
    // hypothesis sentence loaded once, then count hits in reference order.
    let mut selected: Vec<Vec<bool>> = reference.iter().map(|s| vec![false; s.len()]).collect();
    let mut lcs = Lcs::new(vocab);
    for candidate in hypothesis {
        lcs.load(candidate);
        for (sentence, marks) in reference.iter().zip(selected.iter_mut()) {
            lcs.mark(sentence, candidate, marks);
        }
        lcs.unload(candidate);
    }
    let mut ref_left = vec![0usize; vocab];
    let mut hyp_left = vec![0usize; vocab];
    for (tokens, left) in [(reference, &mut ref_left), (hypothesis, &mut hyp_left)] {
        for &t in tokens.iter().flatten() {
            if let Some(c) = left.get_mut(t as usize) {
                *c += 1;
            }
        }
    }
    let mut hits = 0usize;
    for (sentence, marks) in reference.iter().zip(&selected) {
        for (&t, _) in sentence.iter().zip(marks).filter(|(_, &s)| s) {
            let t = t as usize;
            if let (Some(r), Some(h)) = (ref_left.get_mut(t), hyp_left.get_mut(t)) {
                if *r > 0 && *h > 0 {
                    hits += 1;
                    *r -= 1;
                    *h -= 1;
                }
            }
        }
    }
    Score::new(ratio(hits, n), ratio(hits, m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6
    }

    fn check(name: &str, variant: &str, got: Score, want: &serde_json::Value) {
        for (field, value) in [
            ("precision", got.precision),
            ("recall", got.recall),
            ("fmeasure", got.f1),
        ] {
            let expected = want[field].as_f64().unwrap_or(f64::NAN);
            assert!(
                close(value, expected),
                "{name} {variant} {field}: got {value}, want {expected}"
            );
        }
    }

    fn run_fixture(file: &str) -> usize {
        let path = format!("{}/tests/fixtures/rouge/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("fixture readable");
        let fixture: serde_json::Value = serde_json::from_str(&text).expect("fixture JSON");
        let cases = fixture["cases"].as_array().expect("cases array");
        for case in cases {
            let name = case["name"].as_str().unwrap_or("?");
            let reference = case["reference"].as_str().expect("reference");
            let hypothesis = case["hypothesis"].as_str().expect("hypothesis");
            let want = &case["scores"];
            let got = score(reference, hypothesis);
            check(name, "rouge1", got.rouge1, &want["rouge1"]);
            check(name, "rouge2", got.rouge2, &want["rouge2"]);
            check(name, "rougeL", got.rouge_l, &want["rougeL"]);
            check(name, "rougeLsum", got.rouge_lsum, &want["rougeLsum"]);
        }
        cases.len()
    }

    #[test]
    fn matches_rouge_score_vectors() {
        assert_eq!(run_fixture("rouge-score-vectors.json"), 31);
    }

    /// Lead-3, full articles, shuffled sentences with repeats and swapped roles over the
    /// BBC stories, plus blank-line/CRLF edge cases (tests/fixtures/rouge/generate_extra.py).
    #[test]
    fn matches_rouge_score_extra_vectors() {
        assert_eq!(run_fixture("rouge-score-extra-vectors.json"), 58);
    }

    #[test]
    fn tokenize_like_rouge_score() {
        assert_eq!(
            tokenize("Running runners ran quickly to the markets."),
            ["run", "runner", "ran", "quickli", "to", "the", "market"]
        );
        assert_eq!(
            tokenize("Café owners in Zürich"),
            ["caf", "owner", "in", "z", "rich"]
        );
        assert_eq!(
            tokenize("Profits rose 76% to $1.13bn in 2004-05."),
            ["profit", "rose", "76", "to", "1", "13bn", "in", "2004", "05"]
        );
        assert!(tokenize("").is_empty());
        assert!(tokenize(" \n—…").is_empty());
    }

    #[test]
    fn empty_inputs_score_zero() {
        let zero = RougeScores::default();
        assert_eq!(score("", ""), zero);
        assert_eq!(score("The cat sat.", ""), zero);
        assert_eq!(score("", "The cat sat."), zero);
        assert_eq!(score("\n\n", "?!\n"), zero);
    }

    #[test]
    fn identical_text_scores_one() {
        let text = "The cat sat on the mat.\nIt was happy there.";
        let s = score(text, text);
        for v in [s.rouge1, s.rouge2, s.rouge_l, s.rouge_lsum] {
            assert_eq!((v.precision, v.recall, v.f1), (1.0, 1.0, 1.0));
        }
    }

    #[test]
    fn ngram_clipping() {
        // "the" occurs twice in the hypothesis but once in the reference.
        let s = score("the cat", "the the");
        assert_eq!(s.rouge1.precision, 0.5);
        assert_eq!(s.rouge1.recall, 0.5);
        assert_eq!(s.rouge2, Score::default());
    }

    #[test]
    fn lsum_counts_each_token_once() {
        // Both hypothesis sentences match reference token "a"; the union LCS of
        // "a b c" with ["a b", "a c"] is {a, b, c}, so "a" is one hit, not two.
        let s = score("a b c", "a b\na c");
        assert_eq!(s.rouge_lsum.recall, 1.0);
        assert_eq!(s.rouge_lsum.precision, 0.75);
        // Two reference sentences both match the hypothesis' single "a": the hit
        // counters let only the first count it (4 would give precision 4/3).
        let s = score("a b\na c", "a b c");
        assert_eq!(s.rouge_lsum.recall, 0.75);
        assert_eq!(s.rouge_lsum.precision, 1.0);
        // Sentence order matters for Lsum but not for rouge-L's single LCS here.
        let swapped = score("x y\nq r", "q r\nx y");
        assert_eq!(swapped.rouge_lsum.f1, 1.0);
        assert_eq!(swapped.rouge_l.f1, 0.5);
    }

    #[test]
    fn long_single_sentence_is_handled() {
        // A 100 KB-scale single line must not build a quadratic table for rouge-L.
        let words: Vec<String> = (0..15_000).map(|i| format!("w{}", i % 997)).collect();
        let reference = words.join(" ");
        let hypothesis = words[..12_000].join(" ");
        let s = score(&reference, &hypothesis);
        assert_eq!(s.rouge_l.precision, 1.0);
        assert!(close(s.rouge_l.recall, 0.8));
        assert_eq!(s.rouge_lsum.precision, 1.0);
    }
}
