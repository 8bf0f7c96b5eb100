//! What the generator reads: the best sentences of each part of an article, up to
//! the prompt's word budget, in document order. One part unless the article is
//! longer than `chunk_words` (then map-reduce: each part is written on its own, the
//! summary from the parts' summaries). One function for processing and for prompt
//! dumps, so a dumped prompt is the one generation sees.

use std::ops::Range;

use crate::config::{GeneratorConfig, SelectConfig, SummaryLength};
use crate::extract::select::{select, SentenceInfo};
use crate::model::Embeddings;

/// The sentences the generator reads, per part of the article: for each part of at
/// most `generator.chunk_words` words ([`parts_of`]), the selection of
/// `extract::select` with `select`'s weights, limited to `generator.prompt_words`
/// words, in document order.
pub fn feeds<'a>(
    sentences: &[&'a str],
    emb: &Embeddings,
    title_emb: Option<&[f32]>,
    info: &[SentenceInfo],
    select_cfg: &SelectConfig,
    generator: &GeneratorConfig,
) -> Vec<Vec<&'a str>> {
    parts_of(sentences, generator.chunk_words)
        .into_iter()
        .map(|range| {
            let feed_cfg = SelectConfig {
                length: SummaryLength::Sentences(range.len()),
                max_words: generator.prompt_words,
                ..select_cfg.clone()
            };
            select(
                &emb.rows(range.clone()),
                title_emb,
                &info[range.clone()],
                &feed_cfg,
            )
            .iter()
            .map(|&i| sentences[range.start + i])
            .collect()
        })
        .collect()
}

/// Split an article's sentences into consecutive parts of at most `max_words`
/// words each (a sentence longer than that is a part of its own), as even as that
/// allows; one part when the whole article fits.
pub fn parts_of(sentences: &[&str], max_words: usize) -> Vec<Range<usize>> {
    let words: Vec<usize> = sentences
        .iter()
        .map(|s| s.split_whitespace().count())
        .collect();
    let total: usize = words.iter().sum();
    if max_words == 0 || total <= max_words {
        return std::iter::once(0..sentences.len()).collect();
    }
    // Aim at equal parts so the last one is not a scrap.
    let n = total.div_ceil(max_words);
    let target = total.div_ceil(n);
    let mut parts = Vec::with_capacity(n);
    let (mut start, mut acc) = (0, 0);
    for (i, &w) in words.iter().enumerate() {
        if i > start && (acc + w > max_words || acc >= target) {
            parts.push(start..i);
            start = i;
            acc = 0;
        }
        acc += w;
    }
    parts.push(start..sentences.len());
    parts
}

#[cfg(test)]
mod tests {
    use super::parts_of;

    #[test]
    fn long_articles_split_into_even_parts_within_the_limit() {
        let s = "one two three four five"; // 5 words
        let sentences = vec![s; 9]; // 45 words
        let whole = std::iter::once(0..9).collect::<Vec<_>>();
        assert_eq!(parts_of(&sentences, 100), whole);
        assert_eq!(parts_of(&sentences, 0), whole);
        let parts = parts_of(&sentences, 20); // 3 parts of 15 words
        assert_eq!(parts, vec![0..3, 3..6, 6..9]);
        // Every sentence in exactly one part, in order, none over the limit.
        let parts = parts_of(&sentences, 12);
        assert_eq!(parts.first().unwrap().start, 0);
        assert_eq!(parts.last().unwrap().end, 9);
        for w in parts.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        assert!(parts.iter().all(|p| !p.is_empty() && p.len() * 5 <= 12));
        // A sentence longer than the limit is a part of its own.
        let long = "w ".repeat(50);
        let sentences = vec![s, long.as_str(), s];
        let parts = parts_of(&sentences, 20);
        assert!(parts.contains(&(1..2)), "{parts:?}");
    }
}
