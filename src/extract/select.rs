//! Extractive summary: sentence centrality over embeddings, a lead/position prior and
//! similarity to the headline, with maximal marginal relevance (MMR) against redundancy.

use crate::config::SelectConfig;
use crate::extract::features::REPORTING_VERBS;
use crate::model::Embeddings;

/// What selection needs to know about each sentence besides its embedding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentenceInfo {
    /// Words in the sentence.
    pub words: usize,
    /// Whether it looks like a heading (no sentence-final punctuation, few words).
    pub heading: bool,
    /// Whether it lacks sentence-final punctuation: a heading, or a picture caption
    /// that ran into the story ("…higher than a colleague"). A summary made of such
    /// pieces reads as one run-on sentence, so they are picked only when the article
    /// has nothing else.
    pub unterminated: bool,
    /// Whether it leans on the sentence before ("But he…", "This…", "However,…", "…about
    /// this agreement", or a first-person quotation whose speaker is named elsewhere),
    /// so reads badly out of context.
    pub dangling: bool,
}

/// Openers that refer back to earlier sentences.
const DANGLING_OPENERS: &[&str] = &[
    "he",
    "she",
    "they",
    "it",
    "this",
    "these",
    "that",
    "those",
    "but",
    "however",
    "yet",
    "additionally",
    "also",
    "so",
    "and",
    "meanwhile",
    "instead",
    "still",
    "then",
    "there",
    "his",
    "her",
    "their",
    "its",
    "such",
];

/// Nouns after "this"/"these" that name a time, not something said before ("this
/// week", "this season", "these days"); months and weekdays count too.
const TIME_NOUNS: &[&str] = &[
    "morning",
    "afternoon",
    "evening",
    "night",
    "weekend",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "season",
    "summer",
    "winter",
    "spring",
    "autumn",
    "time",
    "times",
    "days",
    "day",
    "decade",
    "century",
    "term",
    "quarter",
];

/// Verbs after which an opening "There" is existential ("There are…", "There has
/// been…", "There may be…").
const EXISTENTIAL_VERBS: &[&str] = &[
    "is", "are", "was", "were", "has", "have", "had", "will", "would", "may", "might", "could",
    "can", "must", "should", "seems", "seem", "seemed", "appears", "appear", "remains", "remain",
    "exists", "exist",
];

impl SentenceInfo {
    /// Read a sentence's form.
    pub fn of(s: &str) -> Self {
        let words = s.split_whitespace().count();
        let t = s.trim_end();
        let terminal = crate::text::ends_sentence(t);
        let bare = |w: &'_ str| -> String {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        };
        let opening: Vec<String> = s.split_whitespace().take(3).map(bare).collect();
        let first = opening.first().map_or("", String::as_str);
        // "With this decision", "After this," also point back.
        let points_back = opening.iter().skip(1).any(|w| {
            matches!(
                w.as_str(),
                "this" | "these" | "those" | "he" | "she" | "they"
            )
        });
        // "…details about this agreement": a demonstrative anywhere names something an
        // earlier sentence introduced, unless it is a time ("this week", "these days").
        // Only the word after a demonstrative is lowercased: this runs on every sentence.
        let mut ws = s.split_whitespace().peekable();
        let mut demonstrative = false;
        while let Some(w) = ws.next() {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            if ["this", "these", "those"]
                .iter()
                .any(|d| w.eq_ignore_ascii_case(d))
            {
                if let Some(next) = ws.peek().map(|n| bare(n)) {
                    if !TIME_NOUNS.contains(&next.as_str())
                        && !crate::extract::features::is_month_or_day(&next)
                    {
                        demonstrative = true;
                        break;
                    }
                }
            }
        }
        // A quotation in the first person ("I'm fortunate…") needs its speaker, named
        // in another sentence.
        let first_person = matches!(
            first,
            "i" | "we" | "i’m" | "i'm" | "we’re" | "we're" | "i’ve" | "i've"
        );
        // A sentence that is all quotation, with no "said" of its own, needs the
        // speaker named in another sentence just as much.
        let bare_quote = s.trim_start().starts_with(['"', '“', '‘'])
            && !s
                .split_whitespace()
                .any(|w| REPORTING_VERBS.contains(&w.trim_matches(|c: char| !c.is_alphabetic())));
        // Existential "There are parallels…" introduces something new; only the
        // locative "There, he…" points back.
        let existential = matches!(first, "there's" | "there’s")
            || (first == "there"
                && opening
                    .get(1)
                    .is_some_and(|w| EXISTENTIAL_VERBS.contains(&w.as_str())));
        SentenceInfo {
            words,
            heading: !terminal && words <= 12,
            unterminated: !terminal,
            dangling: (DANGLING_OPENERS.contains(&first) && !existential)
                || points_back
                || first_person
                || bare_quote
                || demonstrative,
        }
    }
}

/// [`SentenceInfo::of`] as a function, for `map`.
pub fn sentence_info(s: &&str) -> SentenceInfo {
    SentenceInfo::of(s)
}

/// Choose summary sentences; returns indices into the article's sentences, in document order.
///
/// `emb` holds one unit row per sentence; `title` is the headline's embedding when the
/// article has one. Relevance mixes three signals, each in `[0, 1]`:
/// centrality (mean positive similarity to the other sentences, LexRank-style degree),
/// similarity to the headline, and a position prior `1 / sqrt(1 + i)` (news puts the
/// point first). MMR then trades relevance against similarity to what is already chosen.
///
/// Cost: up to [`EXACT_SENTENCES`] sentences, every pair is compared (quadratic, at
/// most a few tenths of a second). Longer articles are ranked in windows instead: a
/// sentence's centrality and its redundancy with a chosen sentence only count the
/// [`WINDOW`] sentences around it, and MMR keeps candidates in a priority queue, so the
/// cost is O(n · WINDOW + n log n).
pub fn select(
    emb: &Embeddings,
    title: Option<&[f32]>,
    info: &[SentenceInfo],
    cfg: &SelectConfig,
) -> Vec<usize> {
    let n = emb.len().min(info.len());
    if n == 0 {
        return Vec::new();
    }
    let k = cfg.length.count(n);
    let chosen = if n > EXACT_SENTENCES {
        select_windowed(emb, title, info, cfg, k)
    } else {
        select_exact(emb, title, info, cfg, k)
    };
    match title {
        Some(t) if cfg.cover_headline => cover_headline(chosen, emb, t, info, cfg),
        _ => chosen,
    }
}

/// Similarity to the headline above which a sentence tells the headline's story.
const HEADLINE_SIMILARITY: f32 = 0.5;

/// Similarity to a chosen sentence above which a sentence would repeat it.
const REPEATS: f32 = 0.8;

/// A brief must tell the story its headline announces. When the sentence closest to
/// the headline (of those that read on their own) is not chosen, is close enough to tell that story and repeats no
/// chosen sentence, it takes the place of the last chosen sentence after the first
/// (the lead stays), if the word budget allows.
fn cover_headline(
    mut chosen: Vec<usize>,
    emb: &Embeddings,
    title: &[f32],
    info: &[SentenceInfo],
    cfg: &SelectConfig,
) -> Vec<usize> {
    let n = emb.len().min(info.len());
    let best = (0..n)
        .filter(|&i| !info[i].unterminated && !info[i].dangling)
        .map(|i| (i, emb.dot_with(i, title)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    let Some((h, sim)) = best else { return chosen };
    if chosen.len() < 2 || chosen.contains(&h) || sim < HEADLINE_SIMILARITY {
        return chosen;
    }
    let last = chosen.len() - 1;
    if chosen[..last].iter().any(|&c| emb.dot(c, h) > REPEATS) {
        return chosen;
    }
    let words: usize = chosen[..last].iter().map(|&c| info[c].words).sum::<usize>() + info[h].words;
    if cfg.max_words > 0 && words > cfg.max_words {
        return chosen;
    }
    chosen[last] = h;
    chosen.sort_unstable();
    chosen
}

/// The greedy MMR state both rankings share: relevance, what is chosen, each
/// sentence's highest similarity to it, the sections covered and the words spent.
struct Mmr<'a> {
    info: &'a [SentenceInfo],
    cfg: &'a SelectConfig,
    rel: Vec<f32>,
    /// Sub-headings split long pieces into sections; a summary should cover them, so
    /// a section already represented counts as partly redundant.
    section: Vec<usize>,
    covered: Vec<bool>,
    /// Max similarity of each candidate to the chosen set, updated as sentences are
    /// taken.
    max_sim: Vec<f32>,
    chosen: Vec<usize>,
    is_chosen: Vec<bool>,
    words: usize,
    /// Whether unterminated sentences may be picked: only when there is nothing else.
    unterminated_too: bool,
}

impl<'a> Mmr<'a> {
    fn new(
        emb: &Embeddings,
        title: Option<&[f32]>,
        info: &'a [SentenceInfo],
        cfg: &'a SelectConfig,
        k: usize,
    ) -> Self {
        let n = emb.len().min(info.len());
        let section = sections(&info[..n]);
        Mmr {
            info,
            cfg,
            rel: relevance(emb, title, info, cfg),
            covered: vec![false; section.last().map_or(0, |s| s + 1)],
            section,
            max_sim: vec![0f32; n],
            chosen: Vec::with_capacity(k.min(n)),
            is_chosen: vec![false; n],
            words: 0,
            unterminated_too: info[..n].iter().all(|x| x.heading || x.unterminated),
        }
    }

    /// Sentences ranked.
    fn len(&self) -> usize {
        self.max_sim.len()
    }

    /// Whether sentence `i` can be picked at all.
    fn candidate(&self, i: usize) -> bool {
        !self.is_chosen[i]
            && !self.info[i].heading
            && (!self.info[i].unterminated || self.unterminated_too)
    }

    /// The MMR score of sentence `i` against what is chosen now.
    fn score(&self, i: usize) -> f32 {
        let redundancy = if self.chosen.is_empty() {
            0.0
        } else {
            self.max_sim[i]
                + SECTION_REDUNDANCY * f32::from(u8::from(self.covered[self.section[i]]))
        };
        self.cfg.mmr_lambda * self.rel[i] - (1.0 - self.cfg.mmr_lambda) * redundancy
    }

    /// Take sentence `i`, updating the similarities of the sentences in `near`; false
    /// (nothing taken) when it would overrun the word budget.
    fn take(&mut self, i: usize, emb: &Embeddings, near: std::ops::Range<usize>) -> bool {
        let max_words = self.cfg.max_words;
        if max_words > 0 && !self.chosen.is_empty() && self.words + self.info[i].words > max_words {
            return false;
        }
        self.words += self.info[i].words;
        self.chosen.push(i);
        self.is_chosen[i] = true;
        self.covered[self.section[i]] = true;
        for j in near {
            self.max_sim[j] = self.max_sim[j].max(emb.dot(i, j));
        }
        true
    }

    /// The chosen sentences in document order.
    fn finish(self) -> Vec<usize> {
        let mut chosen = self.chosen;
        chosen.sort_unstable();
        chosen
    }
}

/// [`select`] for articles of up to [`EXACT_SENTENCES`]: every pair compared, O(n·k).
fn select_exact(
    emb: &Embeddings,
    title: Option<&[f32]>,
    info: &[SentenceInfo],
    cfg: &SelectConfig,
    k: usize,
) -> Vec<usize> {
    let mut mmr = Mmr::new(emb, title, info, cfg, k);
    let n = mmr.len();
    while mmr.chosen.len() < k {
        let mut best: Option<(usize, f32)> = None;
        for i in (0..n).filter(|&i| mmr.candidate(i)) {
            let s = mmr.score(i);
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((i, s));
            }
        }
        let Some((i, _)) = best else { break };
        if !mmr.take(i, emb, 0..n) {
            break;
        }
    }
    mmr.finish()
}

/// Articles with up to this many sentences are ranked exactly (every pair of sentences
/// compared); longer ones in windows (see [`select`]). Far above any news article: the
/// longest of the BBC corpus has about 100 sentences, a long magazine piece a few hundred.
pub const EXACT_SENTENCES: usize = 2_000;

/// Sentences around each sentence (itself included) that its centrality and its
/// redundancy are measured against, in articles longer than [`EXACT_SENTENCES`].
pub const WINDOW: usize = 512;

/// The section (count of headings so far) of each sentence.
fn sections(info: &[SentenceInfo]) -> Vec<usize> {
    info.iter()
        .scan(0usize, |sec, x| {
            *sec += usize::from(x.heading);
            Some(*sec)
        })
        .collect()
}

/// The [`WINDOW`] sentences around `i` among `n` (clamped at the ends, so every
/// window is full).
fn window(i: usize, n: usize) -> std::ops::Range<usize> {
    let w = WINDOW.min(n);
    let start = i.saturating_sub(w / 2).min(n - w);
    start..start + w
}

/// A candidate in the MMR queue: its score when last computed (an upper bound of its
/// current one, as scores only fall when sentences are chosen), ties to the earlier.
#[derive(PartialEq)]
struct Candidate(f32, usize);

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// [`select`] for long articles: windowed centrality and redundancy, lazy greedy MMR.
fn select_windowed(
    emb: &Embeddings,
    title: Option<&[f32]>,
    info: &[SentenceInfo],
    cfg: &SelectConfig,
    k: usize,
) -> Vec<usize> {
    let mut mmr = Mmr::new(emb, title, info, cfg, k);
    let n = mmr.len();
    let mut queue: std::collections::BinaryHeap<Candidate> = (0..n)
        .filter(|&i| mmr.candidate(i))
        .map(|i| Candidate(mmr.score(i), i))
        .collect();
    while mmr.chosen.len() < k {
        let Some(Candidate(stale, i)) = queue.pop() else {
            break;
        };
        if !mmr.candidate(i) {
            continue;
        }
        let now = mmr.score(i);
        if now < stale {
            // Its score fell since it was queued: queue it again at its current one.
            queue.push(Candidate(now, i));
            continue;
        }
        if !mmr.take(i, emb, window(i, n)) {
            break;
        }
    }
    mmr.finish()
}

/// Extra redundancy of a sentence whose section (between sub-headings) is already in
/// the summary.
const SECTION_REDUNDANCY: f32 = 0.5;

/// Relevance factor of a sentence that leans on its predecessor.
const DANGLING_DAMPING: f32 = 0.8;

/// Relevance of each sentence in `[0, 1]` (see [`select`]).
fn relevance(
    emb: &Embeddings,
    title: Option<&[f32]>,
    info: &[SentenceInfo],
    cfg: &SelectConfig,
) -> Vec<f32> {
    let n = emb.len().min(info.len());
    let mut centrality = vec![0f32; n];
    if n <= EXACT_SENTENCES {
        for i in 0..n {
            for j in (i + 1)..n {
                let s = emb.dot(i, j).max(0.0);
                centrality[i] += s;
                centrality[j] += s;
            }
        }
    } else {
        for (i, c) in centrality.iter_mut().enumerate() {
            *c = window(i, n)
                .filter(|&j| j != i)
                .map(|j| emb.dot(i, j).max(0.0))
                .sum();
        }
    }
    normalise(&mut centrality);
    let mut title_sim: Vec<f32> = match title {
        Some(t) => (0..n).map(|i| emb.dot_with(i, t).max(0.0)).collect(),
        None => vec![0.0; n],
    };
    normalise(&mut title_sim);
    let content_weight = 1.0 - cfg.position_weight.clamp(0.0, 1.0);
    let title_share = if title.is_some() {
        cfg.title_weight.clamp(0.0, 1.0)
    } else {
        0.0
    };
    (0..n)
        .map(|i| {
            let content = (1.0 - title_share) * centrality[i] + title_share * title_sim[i];
            let position = 1.0 / (1.0 + i as f32).sqrt();
            // Very short fragments carry little news; damp them rather than ban them.
            let short = if info[i].words < 6 { 0.5 } else { 1.0 };
            let dangling = if info[i].dangling {
                DANGLING_DAMPING
            } else {
                1.0
            };
            short * dangling * (content_weight * content + (1.0 - content_weight) * position)
        })
        .collect()
}

/// Scale to `[0, 1]` by the maximum (all zeros stay zeros).
fn normalise(v: &mut [f32]) {
    let max = v.iter().cloned().fold(0.0f32, f32::max);
    if max > 0.0 {
        v.iter_mut().for_each(|x| *x /= max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SummaryLength;

    fn emb(rows: &[[f32; 3]]) -> Embeddings {
        let mut data = Vec::new();
        for r in rows {
            let n = r.iter().map(|x| x * x).sum::<f32>().sqrt();
            data.extend(r.iter().map(|x| x / n));
        }
        Embeddings { dim: 3, data }
    }

    fn plain(n: usize) -> Vec<SentenceInfo> {
        vec![
            SentenceInfo {
                words: 10,
                heading: false,
                unterminated: false,
                dangling: false,
            };
            n
        ]
    }

    fn cfg(k: usize) -> SelectConfig {
        SelectConfig {
            length: SummaryLength::Sentences(k),
            max_words: 0,
            ..SelectConfig::default()
        }
    }

    #[test]
    fn sentences_that_need_their_context_are_dangling() {
        for s in [
            "But he said no.",
            "With this decision, the council ends the row.",
            "I’m fortunate I was put into this position at a great club.",
            "We will appeal, the family said.",
            "There, he met the minister.",
            "There they stayed for a week.",
            "\"The second trick is to get rid of the fat.\"",
            "“We will win this,” was the message.",
            "Few details have been released about this agreement and its effects.",
            "Officials said these measures would cut costs.",
        ] {
            assert!(SentenceInfo::of(s).dangling, "{s}");
        }
        // An existential "there" introduces something new.
        for s in [
            "The council voted on Tuesday.",
            "Iran rejected the offer.",
            "There are real parallels between the two alliances.",
            "There’s a history to the partnership.",
            "There has been no comment from the club.",
            "\"The club has been fair,\" the family's lawyer said.",
            "“The deal is done,” Smith told reporters.",
            "The striker has scored 20 goals this season.",
            "Prices rose 3% this year, the bank said on Monday.",
        ] {
            assert!(!SentenceInfo::of(s).dangling, "{s}");
        }
    }

    #[test]
    fn empty_article_selects_nothing() {
        assert!(select(&Embeddings::default(), None, &[], &cfg(3)).is_empty());
    }

    #[test]
    fn output_is_in_document_order_and_bounded() {
        let e = emb(&[
            [1., 0., 0.],
            [0., 1., 0.],
            [1., 1., 0.],
            [0., 0., 1.],
            [1., 0., 1.],
        ]);
        let s = select(&e, None, &plain(5), &cfg(3));
        assert_eq!(s.len(), 3);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(select(&e, None, &plain(5), &cfg(10)).len(), 5);
    }

    #[test]
    fn mmr_skips_a_duplicate_of_a_chosen_sentence() {
        // 0 and 1 are identical; 2 is different. With two picks, MMR must not take both 0 and 1.
        let e = emb(&[[1., 0.1, 0.], [1., 0.1, 0.], [0.2, 1., 0.], [0.5, 0.5, 0.]]);
        let mut c = cfg(2);
        c.mmr_lambda = 0.5;
        let s = select(&e, None, &plain(4), &c);
        assert!(!(s.contains(&0) && s.contains(&1)), "{s:?}");
    }

    #[test]
    fn headings_are_never_selected() {
        let e = emb(&[[1., 0., 0.], [1., 0.1, 0.], [0., 1., 0.]]);
        let mut info = plain(3);
        info[0].heading = true;
        let s = select(&e, None, &info, &cfg(2));
        assert!(!s.contains(&0));
    }

    #[test]
    fn unterminated_captions_are_picked_only_when_nothing_else_is_left() {
        let e = emb(&[[1., 0., 0.], [1., 0.1, 0.], [0., 1., 0.]]);
        let caption = SentenceInfo::of(
            "People who have never been divorced can expect a retirement income 13% higher than a colleague",
        );
        assert!(caption.unterminated && !caption.heading);
        let mut info = plain(3);
        info[0] = caption;
        assert_eq!(select(&e, None, &info, &cfg(2)), vec![1, 2]);
        // A text without any full stop still gets a summary.
        let all = vec![caption; 3];
        assert_eq!(select(&e, None, &all, &cfg(2)).len(), 2);
    }

    #[test]
    fn word_cap_stops_selection_but_keeps_one() {
        let e = emb(&[[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]]);
        let mut c = cfg(3);
        c.max_words = 15;
        assert_eq!(select(&e, None, &plain(3), &c).len(), 1);
    }

    #[test]
    fn title_similarity_pulls_the_matching_sentence_in() {
        // Without a prior on position, the sentence closest to the headline wins.
        let e = emb(&[[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]]);
        let mut c = cfg(1);
        c.position_weight = 0.0;
        let title = [0.0, 0.0, 1.0];
        assert_eq!(select(&e, Some(&title), &plain(3), &c), vec![2]);
    }

    #[test]
    fn sections_between_headings_are_covered() {
        // Sentences 0-2 (section 0) outrank 4-5 (after the heading at 3), but with two
        // picks the second section gets one.
        let e = emb(&[
            [1., 0.2, 0.],
            [1., 0.25, 0.],
            [1., 0.3, 0.],
            [0., 0., 1.],
            [0.3, 1., 0.],
            [0.3, 1., 0.1],
        ]);
        let mut info = plain(6);
        info[3].heading = true;
        let s = select(&e, None, &info, &cfg(2));
        assert!(s.iter().any(|&i| i >= 4), "{s:?}");
    }

    /// `n` unit rows of width 8 from a fixed pseudo-random sequence.
    fn random_emb(n: usize) -> Embeddings {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut data = Vec::with_capacity(n * 8);
        for _ in 0..n {
            let row: Vec<f32> = (0..8)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 40) as f32 / (1u64 << 24) as f32 - 0.3
                })
                .collect();
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            data.extend(row.iter().map(|v| v / norm));
        }
        Embeddings { dim: 8, data }
    }

    #[test]
    fn windowed_ranking_agrees_with_the_exact_one_when_the_window_covers_all() {
        // Up to WINDOW sentences the window is the whole article: same choice.
        for (n, k) in [(40, 4), (300, 12), (WINDOW, 30)] {
            let e = random_emb(n);
            let mut info = plain(n);
            for i in (7..n).step_by(50) {
                info[i].heading = true;
            }
            let title = e.row(3).to_vec();
            let c = cfg(k);
            assert_eq!(
                select_windowed(&e, Some(&title), &info, &c, k),
                select_exact(&e, Some(&title), &info, &c, k),
                "n = {n}"
            );
        }
    }

    #[test]
    fn long_articles_are_ranked_in_windows() {
        let n = EXACT_SENTENCES * 3 + 17;
        let e = random_emb(n);
        let mut info = plain(n);
        info[0].heading = true;
        let s = select(&e, None, &info, &cfg(6));
        assert_eq!(s.len(), 6);
        assert!(s.windows(2).all(|w| w[0] < w[1]), "{s:?}");
        assert!(!s.contains(&0), "headings are never chosen");
        // A ratio asks for many sentences: all distinct, none a heading.
        let c = SelectConfig {
            length: SummaryLength::Ratio(0.5),
            max_words: 0,
            ..SelectConfig::default()
        };
        let s = select(&e, None, &info, &c);
        assert_eq!(s.len(), n / 2 + 1);
        assert!(s.windows(2).all(|w| w[0] < w[1]) && !s.contains(&0));
        // The word cap still stops selection.
        let mut c = cfg(6);
        c.max_words = 25;
        assert_eq!(select(&e, None, &info, &c).len(), 2);
        // Windows are full and hold their sentence.
        for i in [0, 1, 300, n / 2, n - 2, n - 1] {
            let w = window(i, n);
            assert_eq!(w.len(), WINDOW);
            assert!(w.contains(&i) && w.end <= n);
        }
        assert_eq!(window(3, 10), 0..10);
    }

    #[test]
    fn ratio_length() {
        assert_eq!(SummaryLength::Ratio(0.4).count(10), 4);
        assert_eq!(SummaryLength::Ratio(0.01).count(10), 1);
        assert_eq!(SummaryLength::Ratio(0.4).count(0), 0);
        assert_eq!(SummaryLength::Sentences(5).count(3), 3);
    }
}
