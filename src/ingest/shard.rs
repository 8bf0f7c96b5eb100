//! Shards: which articles one of `N` cooperating runs (`brief run --shard K/N`)
//! processes.
//!
//! An article belongs to shard `K` of `N` when the first eight bytes of the SHA-256 of
//! its id, read as a big-endian unsigned integer, are `K` modulo `N`. The id is the
//! article's own `id` field, else a content hash of its body (for failures, of its
//! source), so the split depends on the articles alone: adding files never moves
//! another article to another shard, and the hash is fixed (unlike std's randomly
//! keyed `SipHash`), so every machine agrees. Python computes the same:
//! `int.from_bytes(hashlib.sha256(id.encode()).digest()[:8], "big") % n`.
//!
//! `K` counts from 0, as Slurm's `$SLURM_ARRAY_TASK_ID` (with `--array=0-N-1`) and
//! Kubernetes' `$JOB_COMPLETION_INDEX` do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Article, Failure};

/// Shard `index` of `count` (`0 <= index < count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl Shard {
    /// Shard `index` of `count`, or why that is not one.
    pub fn new(index: u64, count: u64) -> Result<Self, String> {
        if count == 0 {
            return Err("the number of shards N must be at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard {index} of {count} does not exist: K counts from 0, so 0 <= K < N \
                 (e.g. 0/{count} … {}/{count})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard (of `count`) the article with this id belongs to.
    pub fn bucket(id: &str, count: u64) -> u64 {
        let digest = Sha256::digest(id.as_bytes());
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(head) % count.max(1)
    }

    /// Whether the article with this id is this shard's.
    pub fn contains(&self, id: &str) -> bool {
        Shard::bucket(id, self.count) == self.index
    }
}

/// Drop from `items` (what one unit read) the articles and failures that are not
/// `shard`'s; keep everything without a shard. Returns how many were dropped.
pub fn keep_share(shard: Option<Shard>, items: &mut Vec<Result<Article, Failure>>) -> usize {
    let before = items.len();
    items.retain(|item| owns(shard, item));
    before - items.len()
}

/// Whether `item` (an article or a read failure) is `shard`'s; everything is when
/// there is no shard.
pub fn owns(shard: Option<Shard>, item: &Result<Article, Failure>) -> bool {
    shard.is_none_or(|shard| {
        shard.contains(match item {
            Ok(a) => &a.id,
            Err(f) => &f.id,
        })
    })
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N`, e.g. `0/4`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not K/N (e.g. 0/4: shard 0 of 4)"))?;
        let number = |t: &str, what: &str| {
            t.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{s}`: {what} `{t}` is not a whole number >= 0"))
        };
        Shard::new(number(k, "K")?, number(n, "N")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_zero_based_specs_and_refuses_the_rest() {
        assert_eq!("0/4".parse(), Ok(Shard { index: 0, count: 4 }));
        assert_eq!("3/4".parse(), Ok(Shard { index: 3, count: 4 }));
        assert_eq!("0/1".parse(), Ok(Shard { index: 0, count: 1 }));
        for bad in [
            "4/4", "1/0", "0/0", "-1/4", "a/4", "1", "1/4/2", "", "/4", "1/",
        ] {
            assert!(bad.parse::<Shard>().is_err(), "{bad:?} accepted");
        }
        assert!("4/4".parse::<Shard>().unwrap_err().contains("0 <= K < N"));
    }

    #[test]
    fn buckets_are_sha256_of_the_id_and_cover_every_shard() {
        // Fixed values: the split must never change between versions or machines
        // (these match the Python one-liner in the module docs).
        assert_eq!(Shard::bucket("a", 4), 0xca978112ca1bbdca % 4);
        assert_eq!(Shard::bucket("", 1000), 0xe3b0c44298fc1c14 % 1000);
        let mut seen = [0usize; 4];
        for i in 0..400 {
            let id = format!("article-{i}");
            let b = Shard::bucket(&id, 4) as usize;
            seen[b] += 1;
            let owners = (0..4)
                .filter(|&k| Shard::new(k, 4).unwrap().contains(&id))
                .count();
            assert_eq!(owners, 1, "{id} must belong to exactly one shard");
        }
        assert!(seen.iter().all(|&n| n > 60), "uneven split: {seen:?}");
    }
}
