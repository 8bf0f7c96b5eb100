//! Stories: articles about the same event, grouped online in input order.
//!
//! Each article that is not a near-duplicate brings its *lead vector* (the mean
//! sentence embedding of its headline and first two sentences, quantised to int8: see
//! [`Lead`]); it joins the open story whose centroid is most similar to it, at cosine
//! [`DEFAULT_STORY_THRESHOLD`] or more, else it founds a story. A near-duplicate joins
//! its canonical article's story. Only the [`WINDOW`] stories joined most recently are
//! open, which bounds the work per article (news stories are short-lived) and keeps the
//! assignment a pure function of the records in order — so a resumed run and a merge of
//! shards recompute exactly what one run assigns.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Cosine between an article's lead vector and a story's centroid at or above which
/// the article joins the story. Chosen on a labelled set of BBC and CNN/DailyMail
/// stories (`examples/relate_eval.rs`; figures in the README, "Near-duplicates and
/// stories").
pub const DEFAULT_STORY_THRESHOLD: f32 = 0.55;

/// Stories open for new members: the most recently joined ones.
pub const WINDOW: usize = 2000;

/// An article's lead vector, quantised: cosine is scale-free, so int8 values with no
/// scale keep it (to about 1 %) and make every comparison exact integer arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead(pub Vec<i8>);

impl Lead {
    /// The normalised mean of `rows` (embeddings), quantised; `None` without rows.
    pub fn mean_of<'a>(rows: impl IntoIterator<Item = &'a [f32]>) -> Option<Self> {
        let mut sum: Vec<f32> = Vec::new();
        for row in rows {
            if sum.is_empty() {
                sum = vec![0.0; row.len()];
            }
            for (s, v) in sum.iter_mut().zip(row) {
                *s += v;
            }
        }
        let max = sum.iter().fold(0f32, |m, v| m.max(v.abs()));
        if sum.is_empty() || max == 0.0 || !max.is_finite() {
            return None;
        }
        Some(Lead(
            sum.iter()
                .map(|v| (v / max * 127.0).round() as i8)
                .collect(),
        ))
    }

    /// Standard base64 of the values: how records carry it.
    pub fn to_base64(&self) -> String {
        let bytes: Vec<u8> = self.0.iter().map(|&v| v as u8).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Read [`Self::to_base64`]'s text back.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?;
        (!bytes.is_empty()).then(|| Lead(bytes.into_iter().map(|b| b as i8).collect()))
    }

    /// Cosine with a centroid: a sum of lead vectors (or one vector, widened).
    pub fn cosine(&self, centroid: &[i32]) -> f64 {
        if centroid.len() != self.0.len() {
            return 0.0;
        }
        let (mut dot, mut a, mut b) = (0f64, 0f64, 0f64);
        for (&x, &c) in self.0.iter().zip(centroid) {
            let (x, c) = (f64::from(x), c as f64);
            dot += x * c;
            a += x * x;
            b += c * c;
        }
        if a == 0.0 || b == 0.0 {
            0.0
        } else {
            dot / (a.sqrt() * b.sqrt())
        }
    }
}

/// One line of `stories.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    /// Stable id: `s` and 16 hex digits of the BLAKE3 hash of the founding article's id.
    pub id: String,
    /// How many articles.
    pub size: usize,
    /// The members' article ids, in input order.
    pub members: Vec<String>,
    /// The headline (else the first sentence) of the member closest to the centroid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Earliest `published` of the members, when any has a date brief can order
    /// (ISO 8601: `2005-03-01`, `2005-03-01T10:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_published: Option<String>,
    /// Latest such `published`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_published: Option<String>,
}

/// The story id of an article that founds one.
pub fn story_id(founder: &str) -> String {
    format!("s{}", &blake3::hash(founder.as_bytes()).to_hex()[..16])
}

struct Open {
    story: Story,
    /// Sum of the members' lead vectors (i32: 16 million members before it could
    /// overflow); emptied when the story closes.
    centroid: Vec<i32>,
    /// Members with a lead vector, for the label: (vector, label text); emptied when
    /// the story closes and its label is fixed.
    leads: Vec<(Lead, Option<String>)>,
    /// Key in `recent`.
    tick: u64,
    /// Out of the window for good (a duplicate may still join it, through its
    /// canonical article, without opening it again).
    closed: bool,
}

impl Open {
    /// Fix the label (the member closest to the centroid) and free what only an open
    /// story needs: memory stays bounded by the open stories.
    fn close(&mut self) {
        let mut best: Option<(f64, &Option<String>)> = None;
        for (lead, label) in &self.leads {
            let c = lead.cosine(&self.centroid);
            if best.is_none_or(|(bc, _)| c > bc) {
                best = Some((c, label));
            }
        }
        self.story.label = best.and_then(|(_, l)| l.clone());
        self.centroid = Vec::new();
        self.leads = Vec::new();
        self.closed = true;
    }
}

/// One article as story assignment sees it.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// Its id.
    pub id: &'a str,
    /// The canonical article it repeats, if any.
    pub duplicate_of: Option<&'a str>,
    /// Its lead vector, if it has one.
    pub lead: Option<&'a Lead>,
    /// Its headline, else its first sentence: a story label candidate.
    pub label: Option<&'a str>,
    /// Its `published`, as given.
    pub published: Option<&'a str>,
}

/// Stories so far, in founding order.
pub struct Stories {
    threshold: f32,
    stories: Vec<Open>,
    /// Story of every canonical article, by id (how a near-duplicate finds its
    /// canonical's).
    of_article: HashMap<String, u32>,
    /// Open stories by last join, oldest first.
    recent: BTreeMap<u64, u32>,
    tick: u64,
}

impl Stories {
    /// No stories yet; articles join at cosine `threshold` or more.
    pub fn new(threshold: f32) -> Self {
        Stories {
            threshold,
            stories: Vec::new(),
            of_article: HashMap::new(),
            recent: BTreeMap::new(),
            tick: 0,
        }
    }

    /// Assign `m` (the next article in input order) to a story; returns its id.
    pub fn observe(&mut self, m: Member<'_>) -> String {
        let joined = m
            .duplicate_of
            .and_then(|c| self.of_article.get(c).copied())
            .or_else(|| m.lead.and_then(|lead| self.closest(lead)));
        let s = match joined {
            Some(s) => s,
            None => {
                self.stories.push(Open {
                    story: Story {
                        id: story_id(m.id),
                        size: 0,
                        members: Vec::new(),
                        label: None,
                        first_published: None,
                        last_published: None,
                    },
                    centroid: Vec::new(),
                    leads: Vec::new(),
                    tick: 0,
                    closed: false,
                });
                (self.stories.len() - 1) as u32
            }
        };
        if !self.stories[s as usize].closed {
            self.tick += 1;
            let before = std::mem::replace(&mut self.stories[s as usize].tick, self.tick);
            self.recent.remove(&before);
            self.recent.insert(self.tick, s);
            while self.recent.len() > WINDOW {
                if let Some((_, closed)) = self.recent.pop_first() {
                    self.stories[closed as usize].close();
                }
            }
        }
        let open = &mut self.stories[s as usize];
        let story = &mut open.story;
        story.size += 1;
        story.members.push(m.id.to_string());
        if let Some(p) = m.published.filter(|p| orderable(p)) {
            if story.first_published.as_deref().is_none_or(|f| p < f) {
                story.first_published = Some(p.to_string());
            }
            if story.last_published.as_deref().is_none_or(|l| p > l) {
                story.last_published = Some(p.to_string());
            }
        }
        if let Some(lead) = m.lead.filter(|_| m.duplicate_of.is_none()) {
            if open.centroid.is_empty() {
                open.centroid = vec![0; lead.0.len()];
            }
            if open.centroid.len() == lead.0.len() {
                for (c, &v) in open.centroid.iter_mut().zip(&lead.0) {
                    *c += i32::from(v);
                }
            }
            open.leads.push((lead.clone(), m.label.map(label_text)));
        }
        let id = story.id.clone();
        // Duplicates point at canonical articles only: only those are looked up.
        if m.duplicate_of.is_none() {
            self.of_article.insert(m.id.to_string(), s);
        }
        id
    }

    /// The open story closest to `lead`, at the threshold or above (ties: the older).
    fn closest(&self, lead: &Lead) -> Option<u32> {
        let mut best: Option<(u32, f64)> = None;
        for &s in self.recent.values() {
            let c = lead.cosine(&self.stories[s as usize].centroid);
            if c >= f64::from(self.threshold)
                && best.is_none_or(|(b, bc)| c > bc || (c == bc && s < b))
            {
                best = Some((s, c));
            }
        }
        best.map(|(s, _)| s)
    }

    /// The stories, in founding order, labelled.
    pub fn finish(self) -> Vec<Story> {
        self.stories
            .into_iter()
            .map(|mut open| {
                if !open.closed {
                    open.close();
                }
                open.story
            })
            .collect()
    }
}

/// A label of at most 200 characters.
fn label_text(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Whether `p` starts like an ISO 8601 date (`YYYY-MM-DD`), so that text order is
/// time order.
fn orderable(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(v: &[f32]) -> Lead {
        Lead::mean_of([v]).unwrap()
    }

    fn member<'a>(id: &'a str, lead: Option<&'a Lead>, label: &'a str) -> Member<'a> {
        Member {
            id,
            duplicate_of: None,
            lead,
            label: Some(label),
            published: None,
        }
    }

    #[test]
    fn similar_leads_share_a_story_and_others_found_one() {
        let mut s = Stories::new(0.8);
        let (a, b, c) = (
            lead(&[1.0, 0.1, 0.0]),
            lead(&[0.9, 0.2, 0.05]),
            lead(&[0.0, 0.1, 1.0]),
        );
        let sa = s.observe(member("a", Some(&a), "Rates rise"));
        let sb = s.observe(member("b", Some(&b), "Bank lifts rates"));
        let sc = s.observe(member("c", Some(&c), "Cup final tonight"));
        let sd = s.observe(Member {
            duplicate_of: Some("c"),
            ..member("d", None, "Cup final tonight (copy)")
        });
        assert_eq!(sa, story_id("a"));
        assert_eq!(sb, sa);
        assert_eq!(sc, story_id("c"));
        assert_eq!(sd, sc);
        let stories = s.finish();
        assert_eq!(stories.len(), 2);
        assert_eq!(stories[0].members, ["a", "b"]);
        assert_eq!(stories[1].members, ["c", "d"]);
        assert_eq!(stories[1].size, 2);
        // The duplicate has no vector: the label is the canonical's headline.
        assert_eq!(stories[1].label.as_deref(), Some("Cup final tonight"));
    }

    #[test]
    fn the_label_is_the_most_central_member() {
        let mut s = Stories::new(0.5);
        for (id, v, l) in [
            ("a", [1.0, 0.6, 0.0], "edge one"),
            ("b", [1.0, 0.3, 0.0], "middle"),
            ("c", [1.0, 0.0, 0.0], "edge two"),
        ] {
            s.observe(member(id, Some(&lead(&v)), l));
        }
        let stories = s.finish();
        assert_eq!(stories.len(), 1);
        assert_eq!(stories[0].label.as_deref(), Some("middle"));
    }

    #[test]
    fn dates_span_the_members_and_odd_dates_are_ignored() {
        let mut s = Stories::new(0.5);
        let v = lead(&[1.0, 0.0]);
        for (id, p) in [
            ("a", "2005-03-02"),
            ("b", "March 1, 2005"),
            ("c", "2005-02-27T10:00:00Z"),
        ] {
            s.observe(Member {
                published: Some(p),
                ..member(id, Some(&v), id)
            });
        }
        let st = &s.finish()[0];
        assert_eq!(st.first_published.as_deref(), Some("2005-02-27T10:00:00Z"));
        assert_eq!(st.last_published.as_deref(), Some("2005-03-02"));
    }

    #[test]
    fn leads_round_trip_base64_and_keep_their_cosine() {
        let l = lead(&[0.3, -0.2, 0.9, 0.0]);
        assert_eq!(Lead::from_base64(&l.to_base64()), Some(l.clone()));
        assert_eq!(Lead::from_base64(""), None);
        assert!(Lead::mean_of(std::iter::empty::<&[f32]>()).is_none());
        let centroid: Vec<i32> = l.0.iter().map(|&v| i32::from(v) * 3).collect();
        assert!((l.cosine(&centroid) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn only_recent_stories_are_open() {
        let one_hot = |i: usize| {
            let mut v = vec![0.0; WINDOW + 1];
            v[i] = 1.0;
            lead(&v)
        };
        let mut s = Stories::new(0.9);
        let first = one_hot(0);
        s.observe(member("first", Some(&first), "x"));
        assert_eq!(
            s.observe(member("near", Some(&first), "x")),
            story_id("first")
        );
        // WINDOW stories founded after it push it out of the window.
        for i in 1..=WINDOW {
            s.observe(member(&format!("o{i}"), Some(&one_hot(i)), "y"));
        }
        let again = s.observe(member("again", Some(&first), "x"));
        assert_eq!(again, story_id("again"));
        assert_eq!(s.finish().len(), WINDOW + 2);
    }
}
