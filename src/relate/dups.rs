//! Near-duplicates in input order: each article is compared with the articles before
//! it, online, through the LSH index of their signatures (texts are never kept).

use std::collections::HashMap;

use super::minhash::{Lsh, Signature};

/// What identifies an article's cleaned text for duplicate detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Print {
    /// BLAKE3 of the cleaned text (hex, 32 digits): exact copies.
    pub text: String,
    /// MinHash of its shingles: near copies.
    pub signature: Signature,
}

impl Print {
    /// The print of a cleaned text.
    pub fn of(text: &str) -> Self {
        Print {
            text: blake3::hash(text.as_bytes()).to_hex()[..32].to_string(),
            signature: Signature::of(text),
        }
    }
}

/// An article found to repeat an earlier one.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    /// The canonical article's id: the first of the group of near-copies it joins.
    pub of: String,
    /// Estimated Jaccard similarity of the shingles with the canonical article (1 for
    /// the same cleaned text).
    pub similarity: f32,
}

struct Entry<P> {
    pos: P,
    print: Print,
    /// Index of the canonical entry of this one's group (itself when canonical).
    root: u32,
    id: String,
}

/// The articles seen so far, by position `P` (anything ordered: input positions in a
/// run, record numbers in a results file).
///
/// An article is a duplicate when an earlier one (by position) has the same text or a
/// signature similarity of at least the threshold; it then belongs to the group of its
/// best match (ties: the earliest), whose first article is the canonical one. Every
/// article is indexed, duplicates too, so being a duplicate depends only on the
/// articles before it: adding articles before never makes one canonical again.
pub struct Duplicates<P> {
    threshold: f32,
    entries: Vec<Entry<P>>,
    lsh: Lsh,
    exact: HashMap<String, Vec<u32>>,
}

impl<P: Ord + Copy> Duplicates<P> {
    /// An empty index; pairs at or above `threshold` similarity are near-duplicates.
    pub fn new(threshold: f32) -> Self {
        Duplicates {
            threshold,
            entries: Vec::new(),
            lsh: Lsh::default(),
            exact: HashMap::new(),
        }
    }

    /// Articles indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the article at `pos` with `print` repeats an article before it, then
    /// index it under `id`. Articles may arrive out of position order (a resumed run
    /// indexes what earlier runs wrote first): only those before `pos` count.
    pub fn observe(&mut self, pos: P, id: &str, print: &Print) -> Option<Duplicate> {
        let best = self.best_match(pos, print);
        let n = self.entries.len() as u32;
        let root = best.map_or(n, |(m, _)| self.entries[m as usize].root);
        self.lsh.insert(n, &print.signature);
        self.exact.entry(print.text.clone()).or_default().push(n);
        self.entries.push(Entry {
            pos,
            print: print.clone(),
            root,
            id: id.to_string(),
        });
        best.map(|_| {
            let canonical = &self.entries[root as usize];
            Duplicate {
                of: canonical.id.clone(),
                similarity: similarity(print, &canonical.print),
            }
        })
    }

    /// The best earlier match of `print` before `pos`: (entry, similarity).
    fn best_match(&self, pos: P, print: &Print) -> Option<(u32, f32)> {
        let earlier = |&n: &u32| self.entries[n as usize].pos < pos;
        if let Some(&n) = self.exact.get(&print.text).and_then(|same| {
            same.iter()
                .filter(|n| earlier(n))
                .min_by_key(|&&n| self.entries[n as usize].pos)
        }) {
            return Some((n, 1.0));
        }
        let mut best: Option<(u32, f32)> = None;
        for n in self.lsh.candidates(&print.signature) {
            if !earlier(&n) {
                continue;
            }
            let e = &self.entries[n as usize];
            let s = print.signature.similarity(&e.print.signature);
            let better = match best {
                None => true,
                Some((b, bs)) => s > bs || (s == bs && e.pos < self.entries[b as usize].pos),
            };
            if s >= self.threshold && better {
                best = Some((n, s));
            }
        }
        best
    }
}

fn similarity(a: &Print, b: &Print) -> f32 {
    if a.text == b.text {
        1.0
    } else {
        a.signature.similarity(&b.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "Flood warnings were issued for twelve towns along the river on Monday \
        after two days of heavy rain, and the army was called in to help build defences. \
        Residents of the lowest streets were told to leave their homes by nightfall. The \
        agency said the river would peak on Tuesday morning at a level not seen since 1947.";

    fn edited() -> String {
        A.replace(" The agency said the river would peak on Tuesday morning at a level not seen since 1947.", "")
    }

    #[test]
    fn copies_point_at_the_first_of_their_group() {
        let mut d = Duplicates::new(0.5);
        assert_eq!(d.observe(0, "a", &Print::of(A)), None);
        let near = d.observe(1, "b", &Print::of(&edited())).unwrap();
        assert_eq!(near.of, "a");
        assert!(near.similarity >= 0.5 && near.similarity < 1.0, "{near:?}");
        // An exact copy of the near copy still points at the canonical "a".
        let exact = d.observe(2, "c", &Print::of(&edited())).unwrap();
        assert_eq!(exact.of, "a");
        let other = "Tickets for the summer festival sold out within an hour of going on \
            sale, the organisers said, and a second weekend has been added for August.";
        assert_eq!(d.observe(3, "d", &Print::of(other)), None);
        assert_eq!(d.len(), 4);
    }

    #[test]
    fn only_earlier_positions_count() {
        let mut d = Duplicates::new(0.5);
        // Seen first but placed later in the input (a record kept by a resumed run).
        assert_eq!(d.observe(10, "late", &Print::of(A)), None);
        assert_eq!(d.observe(5, "early", &Print::of(A)), None);
        assert_eq!(d.observe(11, "next", &Print::of(A)).unwrap().of, "early");
    }

    #[test]
    fn same_text_is_similarity_one() {
        let mut d = Duplicates::new(0.99);
        d.observe(0, "a", &Print::of(A));
        let dup = d.observe(1, "b", &Print::of(A)).unwrap();
        assert_eq!((dup.of.as_str(), dup.similarity), ("a", 1.0));
    }
}
