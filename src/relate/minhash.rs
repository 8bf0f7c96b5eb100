//! Word shingles, MinHash signatures and the banded LSH index over them.
//!
//! Hand-written rather than taken from a crate: signatures are persisted in records
//! (resume and `brief merge` recompute from them), so the hash family must be fixed by
//! this code. The MinHash LSH crate that fits otherwise (`gaoya`) draws its
//! permutations from `rand`'s `StdRng`, whose stream `rand` does not promise to keep
//! across versions, and its index keeps a second copy of every signature. What is
//! here is the textbook construction (Broder's MinHash, banding as in *Mining of
//! Massive Datasets*, ch. 3) in about a hundred lines; the shingle hash is BLAKE3,
//! already a dependency.

use std::collections::HashMap;

use base64::Engine as _;

use crate::model::sampling::SplitMix64;

/// Words per shingle: five-word shingles make two unrelated stories on the same topic
/// share almost none, while an edited copy keeps most of its shingles.
pub const SHINGLE_WORDS: usize = 5;
/// MinHash values per signature (estimate error about 1/√128 ≈ 0.09 at worst).
pub const HASHES: usize = 128;
/// LSH bands of [`ROWS`] values: a pair of Jaccard similarity 0.5 becomes a candidate
/// with probability 1 − (1 − 0.5⁴)³² ≈ 0.87, 0.6 with 0.99, 0.3 with 0.23.
pub const BANDS: usize = 32;
/// Values per LSH band.
pub const ROWS: usize = HASHES / BANDS;

/// A MinHash signature of a text's word shingles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u32; HASHES]);

/// The multiply-shift permutations, from a fixed SplitMix64 stream (so signatures
/// never change between versions or machines).
fn permutations() -> &'static [(u64, u64); HASHES] {
    static P: std::sync::OnceLock<[(u64, u64); HASHES]> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let mut rng = SplitMix64(0x6272_6965_665f_6d68); // "brief_mh"
        std::array::from_fn(|_| (rng.next_u64() | 1, rng.next_u64()))
    })
}

/// Stable 64-bit hash of some bytes.
fn hash64(bytes: &[u8]) -> u64 {
    let h = blake3::hash(bytes);
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// The hashes of `text`'s shingles: runs of [`SHINGLE_WORDS`] lower-cased words
/// (letters and digits; punctuation and spacing ignored). A text of fewer words is one
/// shingle; a text without words has none.
pub fn shingles(text: &str) -> Vec<u64> {
    let words: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| hash64(w.to_lowercase().as_bytes()))
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    let k = SHINGLE_WORDS.min(words.len());
    words
        .windows(k)
        .map(|w| {
            w.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &x| {
                (h ^ x).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29)
            })
        })
        .collect()
}

impl Signature {
    /// The signature of `text` (see [`shingles`]). A text without words gets the
    /// all-`u32::MAX` signature, which matches only other wordless texts.
    pub fn of(text: &str) -> Self {
        let perms = permutations();
        let mut mins = [u32::MAX; HASHES];
        for x in shingles(text) {
            for (m, &(a, b)) in mins.iter_mut().zip(perms.iter()) {
                let h = (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32;
                *m = (*m).min(h);
            }
        }
        Signature(mins)
    }

    /// The estimated Jaccard similarity of the two shingle sets: the share of equal
    /// values, a multiple of 1/128 (so it prints exactly).
    pub fn similarity(&self, other: &Signature) -> f32 {
        let same = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        same as f32 / HASHES as f32
    }

    /// Standard base64 of the values, little-endian: how records carry it.
    pub fn to_base64(&self) -> String {
        let bytes: Vec<u8> = self.0.iter().flat_map(|v| v.to_le_bytes()).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Read [`Self::to_base64`]'s text back; `None` when it is not a signature.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?;
        if bytes.len() != HASHES * 4 {
            return None;
        }
        let mut values = [0u32; HASHES];
        for (v, c) in values.iter_mut().zip(bytes.chunks_exact(4)) {
            *v = u32::from_le_bytes(c.try_into().ok()?);
        }
        Some(Signature(values))
    }

    /// The key of each band (band number mixed in, so bands never collide).
    fn band_keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.chunks_exact(ROWS).enumerate().map(|(band, rows)| {
            rows.iter().fold(band as u64, |h, &v| {
                (h ^ u64::from(v))
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .rotate_left(31)
            })
        })
    }
}

/// Banded LSH over signatures: entries are numbered by the caller (0, 1, 2, … in
/// insertion order); a query returns the entries sharing at least one band, in number
/// order. Each bucket is a chain through the entries (the newest entry of a band key
/// in a map, each entry's link to the one before it per band): about 650 bytes an
/// entry, against some 2 KB for a map of vectors.
#[derive(Debug, Default)]
pub struct Lsh {
    heads: HashMap<u64, u32>,
    links: Vec<[u32; BANDS]>,
}

/// The end of a chain.
const NONE: u32 = u32::MAX;

impl Lsh {
    /// Add entry `n` (the next number: entries are added in order) with `sig`.
    pub fn insert(&mut self, n: u32, sig: &Signature) {
        debug_assert_eq!(n as usize, self.links.len());
        let mut links = [NONE; BANDS];
        for (link, key) in links.iter_mut().zip(sig.band_keys()) {
            *link = self.heads.insert(key, n).unwrap_or(NONE);
        }
        self.links.push(links);
    }

    /// The entries sharing a band with `sig`, ascending, each once.
    pub fn candidates(&self, sig: &Signature) -> Vec<u32> {
        let mut found = Vec::new();
        for (band, key) in sig.band_keys().enumerate() {
            let mut at = self.heads.get(&key).copied().unwrap_or(NONE);
            while at != NONE {
                found.push(at);
                at = self.links[at as usize][band];
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "The central bank raised interest rates by a quarter of a point on \
        Thursday, its third rise this year, saying inflation was still too high. The \
        governor told reporters that the committee had voted seven to two for the move. \
        Markets had expected the decision, and the pound barely moved after it was \
        announced. Economists said further rises were likely before the summer.";

    #[test]
    fn shingles_ignore_case_and_punctuation() {
        assert_eq!(
            shingles("One two, THREE four five six"),
            shingles("one Two three -- four five: six")
        );
        assert_eq!(shingles("one two three four five six").len(), 2);
        assert_eq!(shingles("just three words").len(), 1);
        assert!(shingles(" ,.; ").is_empty());
    }

    #[test]
    fn similarity_follows_the_overlap() {
        let a = Signature::of(STORY);
        assert_eq!(a.similarity(&a), 1.0);
        let edited = STORY.replace(
            "Economists said further rises were likely before the summer.",
            "",
        );
        let s = a.similarity(&Signature::of(&edited));
        assert!(s > 0.6 && s < 1.0, "{s}");
        let other = Signature::of(
            "The football club sacked its manager after a run of six defeats, and the \
             chairman said a new appointment would be made within a fortnight.",
        );
        assert!(a.similarity(&other) < 0.1);
    }

    #[test]
    fn signatures_are_fixed_and_round_trip_base64() {
        let a = Signature::of(STORY);
        assert_eq!(Signature::from_base64(&a.to_base64()), Some(a.clone()));
        assert_eq!(Signature::from_base64("AAAA"), None);
        assert_eq!(Signature::from_base64("not base64!"), None);
        // The hash family is part of the record format: it must never change.
        assert_eq!(
            &Signature::of("the cat sat on the mat").to_base64()[..12],
            FIXED_PREFIX
        );
        assert_eq!(Signature::of("").0, [u32::MAX; HASHES]);
    }
    const FIXED_PREFIX: &str = "SFBnCS9Kzh8j";

    #[test]
    fn lsh_finds_near_copies_and_not_strangers() {
        let mut lsh = Lsh::default();
        let a = Signature::of(STORY);
        let b = Signature::of("Nothing in common with the other text at all, not a word of it.");
        lsh.insert(0, &a);
        lsh.insert(1, &b);
        let copy = Signature::of(&STORY.replace("Thursday", "Friday"));
        assert_eq!(lsh.candidates(&copy), vec![0]);
        assert_eq!(lsh.candidates(&b), vec![1]);
        assert!(lsh
            .candidates(&Signature::of("A third story about gardening in spring."))
            .is_empty());
    }
}
