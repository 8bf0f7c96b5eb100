//! What the generator reads: the lead of each part of an article and its best other
//! sentences, up to the prompt's word budget, in document order. One part unless the article is
//! longer than `chunk_words` (then map-reduce: each part is written on its own, the
//! summary from the parts' summaries). One function for processing and for prompt
//! dumps, so a dumped prompt is the one generation sees.

use std::ops::Range;

use crate::config::{GeneratorConfig, SelectConfig, SummaryLength, DIGEST_POSITION_WEIGHT};
use crate::extract::select::{select, SentenceInfo};
use crate::model::Embeddings;

/// The sentences the generator reads, per part of the article: for each part of at
/// most `generator.chunk_words` words ([`parts_of`]), its lead — the sentences from
/// its start, up to [`LEAD_SHARE`] of `generator.prompt_words` — then the selection
/// of `extract::select` among the rest (weighted as a digest: content over position), up to the prompt's
/// word budget, all in document order. News puts the event in its first sentences; a
/// small model summarises the lead in order far better than the central sentences
/// out of their context, and the rest gives it the context the lead refers to.
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
            let budget = generator.prompt_words;
            let lead_budget = (budget as f32 * LEAD_SHARE) as usize;
            let lead = lead_len(&info[range.clone()], lead_budget);
            let lead_words: usize = info[range.start..range.start + lead]
                .iter()
                .map(|x| x.words)
                .sum();
            let rest = range.start + lead..range.end;
            let chosen = if rest.is_empty() || lead_words >= budget {
                Vec::new()
            } else {
                let rest_cfg = SelectConfig {
                    length: SummaryLength::Sentences(rest.len()),
                    max_words: budget - lead_words,
                    position_weight: DIGEST_POSITION_WEIGHT,
                    cover_headline: false,
                    ..select_cfg.clone()
                };
                select(
                    &emb.rows(rest.clone()),
                    title_emb,
                    &info[rest.clone()],
                    &rest_cfg,
                )
            };
            (range.start..range.start + lead)
                .chain(chosen.iter().map(|&i| rest.start + i))
                .map(|i| sentences[i])
                .collect()
        })
        .collect()
}

/// Share of the prompt's word budget given to the lead (see [`feeds`]).
pub const LEAD_SHARE: f32 = 0.67;

/// How many sentences from the start of `info` fit in `words` (at least one, so a
/// long first sentence is still read).
fn lead_len(info: &[SentenceInfo], words: usize) -> usize {
    let mut total = 0;
    info.iter()
        .take_while(|x| {
            total += x.words;
            total <= words
        })
        .count()
        .max(usize::from(!info.is_empty()))
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
