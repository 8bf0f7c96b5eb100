//! Longest common subsequence over token ids, bit-parallel (Allison–Dix / Hyyrö).
//!
//! A row of the classic LCS table is kept as a bit vector over the columns whose zero
//! bits mark where the row's value steps up by one, so a row costs `ceil(columns / 64)`
//! word operations instead of `columns` cell updates. ROUGE-Lsum needs the actual
//! subsequence rouge-score picks, so [`Lcs::mark`] replays its `_backtrack_norec`
//! tie-breaking on these compressed rows; for very large tables it keeps only every
//! k-th row (k ≈ √rows) and recomputes one block at a time during the walk back, which
//! bounds memory without changing the result.

/// Above this many 64-bit words (8 MiB) a table is checkpointed instead of stored whole.
const DIRECT_TABLE_WORDS: usize = 1 << 20;

/// Reusable LCS workspace for token ids below a fixed vocabulary size.
///
/// One sequence at a time is "loaded" as the columns; rows are then streamed against it.
/// Ids at or above the vocabulary size simply never match.
pub(crate) struct Lcs {
    /// Per token id: 1 + a position of it in the loaded columns, 0 if absent.
    head: Vec<u32>,
    /// Per column: 1 + the next position holding the same token, 0 at the end.
    next: Vec<u32>,
    /// Current row state (the bit vector V).
    state: Vec<u64>,
    /// Match mask scratch, all zero between rows.
    mask: Vec<u64>,
    /// Cached rows of the table (`!V`, valid bits only), from row `cache_start` on.
    cache: Vec<u64>,
    cache_start: usize,
    cache_rows: usize,
    /// Row states after rows 0, k, 2k, ... when the table is checkpointed.
    checkpoints: Vec<u64>,
    /// Rows per checkpoint block.
    block: usize,
    /// 64-bit words per row for the loaded columns.
    words: usize,
    /// Valid bits of a row's last word.
    last_mask: u64,
    /// Largest table stored whole (a field so tests can force checkpointing).
    direct_limit: usize,
}

impl Lcs {
    /// A workspace for ids in `0..vocab`.
    pub(crate) fn new(vocab: usize) -> Self {
        Lcs {
            head: vec![0; vocab],
            next: Vec::new(),
            state: Vec::new(),
            mask: Vec::new(),
            cache: Vec::new(),
            cache_start: 0,
            cache_rows: 0,
            checkpoints: Vec::new(),
            block: 1,
            words: 0,
            last_mask: u64::MAX,
            direct_limit: DIRECT_TABLE_WORDS,
        }
    }

    /// Makes `columns` the column sequence of following computations.
    pub(crate) fn load(&mut self, columns: &[u32]) {
        self.next.clear();
        self.next.resize(columns.len(), 0);
        for (j, &t) in columns.iter().enumerate().rev() {
            if let Some(h) = self.head.get_mut(t as usize) {
                if let Some(n) = self.next.get_mut(j) {
                    *n = *h;
                }
                // Positions beyond u32 cannot come from text held in memory.
                *h = j as u32 + 1;
            }
        }
        self.words = columns.len().div_ceil(64);
        self.last_mask = match columns.len() % 64 {
            0 => u64::MAX,
            r => (1u64 << r) - 1,
        };
        self.mask.clear();
        self.mask.resize(self.words, 0);
    }

    /// Forgets `columns` (the sequence last passed to [`Lcs::load`]).
    pub(crate) fn unload(&mut self, columns: &[u32]) {
        for &t in columns {
            if let Some(h) = self.head.get_mut(t as usize) {
                *h = 0;
            }
        }
    }

    fn reset_state(&mut self) {
        self.state.clear();
        self.state.resize(self.words, u64::MAX);
    }

    /// Advances the state by one row for `token`; false if the token is not a column
    /// (then the row equals the previous one and nothing is computed).
    fn advance(&mut self, token: u32) -> bool {
        let first = self.head.get(token as usize).copied().unwrap_or(0);
        if first == 0 {
            return false;
        }
        let mut p = first;
        while let Some(j) = (p as usize).checked_sub(1) {
            if let Some(w) = self.mask.get_mut(j / 64) {
                *w |= 1u64 << (j % 64);
            }
            p = self.next.get(j).copied().unwrap_or(0);
        }
        // V' = (V + (V & M)) | (V & !M), the addition carrying across words.
        let mut carry = 0u64;
        for (v, m) in self.state.iter_mut().zip(self.mask.iter_mut()) {
            let u = *v & *m;
            let (sum, c1) = v.overflowing_add(u);
            let (sum, c2) = sum.overflowing_add(carry);
            carry = u64::from(c1 || c2);
            *v = sum | (*v & !*m);
            *m = 0;
        }
        true
    }

    /// Appends the current row, as step bits, to the cache.
    fn cache_row(&mut self) {
        let start = self.cache.len();
        self.cache.extend(self.state.iter().map(|w| !w));
        if let Some(last) = self.cache.get_mut(start + self.words.saturating_sub(1)) {
            *last &= self.last_mask;
        }
        self.cache_rows += 1;
    }

    /// Length of the LCS of `rows` against the loaded columns.
    pub(crate) fn len_against_loaded(&mut self, rows: &[u32]) -> usize {
        self.reset_state();
        let mut any = false;
        for &t in rows {
            any |= self.advance(t);
        }
        if !any {
            return 0;
        }
        let last = self.words.saturating_sub(1);
        let last_mask = self.last_mask;
        self.state
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let valid = if k == last { last_mask } else { u64::MAX };
                (!v & valid).count_ones() as usize
            })
            .sum()
    }

    /// Length of the LCS of `a` and `b`; the shorter one becomes the columns, so the
    /// working memory beyond the id table is linear in the shorter sequence.
    pub(crate) fn len(&mut self, a: &[u32], b: &[u32]) -> usize {
        let (rows, columns) = if a.len() >= b.len() { (a, b) } else { (b, a) };
        if columns.is_empty() {
            return 0;
        }
        self.load(columns);
        let n = self.len_against_loaded(rows);
        self.unload(columns);
        n
    }

    /// Marks in `selected` the positions of `reference` in the LCS that rouge-score's
    /// `lcs_ind(reference, candidate)` returns, `candidate` being the loaded columns.
    pub(crate) fn mark(&mut self, reference: &[u32], candidate: &[u32], selected: &mut [bool]) {
        let rows = reference.len();
        if rows == 0 || candidate.is_empty() {
            return;
        }
        // Forward pass: keep every row if the table is small, else checkpoints.
        self.block = if rows.saturating_mul(self.words) <= self.direct_limit {
            rows
        } else {
            rows.isqrt().max(1)
        };
        let direct = self.block == rows;
        self.reset_state();
        self.cache.clear();
        self.cache_start = 0;
        self.cache_rows = 0;
        self.checkpoints.clear();
        if direct {
            self.cache_row();
        } else {
            self.checkpoints.extend_from_slice(&self.state);
        }
        let mut any = false;
        for (i, &t) in reference.iter().enumerate() {
            any |= self.advance(t);
            if direct {
                self.cache_row();
            } else if (i + 1) % self.block == 0 {
                self.checkpoints.extend_from_slice(&self.state);
            }
        }
        if !any {
            return;
        }
        // Walk back from the bottom-right corner: diagonal on a token match, else left
        // when t[i][j-1] > t[i-1][j], else up. `here` = t[i][j], `up` = t[i-1][j].
        let (mut i, mut j) = (rows, candidate.len());
        self.ensure(reference, i);
        let mut here = self.value(i, j);
        let mut up = self.value(i - 1, j);
        while i > 0 && j > 0 {
            if reference.get(i - 1) == candidate.get(j - 1) {
                if let Some(s) = selected.get_mut(i - 1) {
                    *s = true;
                }
                i -= 1;
                j -= 1;
                here = here.saturating_sub(1);
                if i > 0 {
                    self.ensure(reference, i);
                    up = self.value(i - 1, j);
                }
            } else {
                let left = here.saturating_sub(self.step(i, j - 1));
                if left > up {
                    up = up.saturating_sub(self.step(i - 1, j - 1));
                    here = left;
                    j -= 1;
                } else {
                    i -= 1;
                    here = up;
                    if i > 0 {
                        self.ensure(reference, i);
                        up = self.value(i - 1, j);
                    }
                }
            }
        }
    }

    /// Makes rows `i - 1` and `i` (1 ≤ i ≤ rows) available in the cache, recomputing
    /// their block from its checkpoint if needed.
    fn ensure(&mut self, reference: &[u32], i: usize) {
        if i > self.cache_start && i < self.cache_start + self.cache_rows {
            return;
        }
        let b = (i - 1) / self.block;
        let start = b * self.block;
        let end = (start + self.block).min(reference.len());
        let words = self.words;
        self.state.clear();
        self.state.extend_from_slice(
            self.checkpoints
                .get(b * words..(b + 1) * words)
                .unwrap_or(&[]),
        );
        self.state.resize(words, u64::MAX);
        self.cache.clear();
        self.cache_start = start;
        self.cache_rows = 0;
        self.cache_row();
        for &t in reference.get(start..end).unwrap_or(&[]) {
            self.advance(t);
            self.cache_row();
        }
    }

    fn row(&self, i: usize) -> &[u64] {
        let k = i.wrapping_sub(self.cache_start);
        self.cache
            .get(k.saturating_mul(self.words)..(k + 1).saturating_mul(self.words))
            .unwrap_or(&[])
    }

    /// `t[i][j]` for a cached row `i`: the LCS of the first `i` reference tokens and
    /// the first `j` columns.
    fn value(&self, i: usize, j: usize) -> usize {
        let row = self.row(i);
        let full = (j / 64).min(row.len());
        let mut n: usize = row[..full].iter().map(|w| w.count_ones() as usize).sum();
        if !j.is_multiple_of(64) {
            if let Some(w) = row.get(full) {
                n += (w & ((1u64 << (j % 64)) - 1)).count_ones() as usize;
            }
        }
        n
    }

    /// `t[i][j+1] - t[i][j]` (0 or 1) for a cached row `i`.
    fn step(&self, i: usize, j: usize) -> usize {
        self.row(i)
            .get(j / 64)
            .map_or(0, |w| ((w >> (j % 64)) & 1) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rouge-score's own table + backtrack, as the reference for the compressed one.
    fn naive(r: &[u32], c: &[u32]) -> (usize, Vec<usize>) {
        let (n, m) = (r.len(), c.len());
        let mut t = vec![vec![0usize; m + 1]; n + 1];
        for i in 1..=n {
            for j in 1..=m {
                t[i][j] = if r[i - 1] == c[j - 1] {
                    t[i - 1][j - 1] + 1
                } else {
                    t[i - 1][j].max(t[i][j - 1])
                };
            }
        }
        let (mut i, mut j) = (n, m);
        let mut out = Vec::new();
        while i > 0 && j > 0 {
            if r[i - 1] == c[j - 1] {
                out.push(i - 1);
                i -= 1;
                j -= 1;
            } else if t[i][j - 1] > t[i - 1][j] {
                j -= 1;
            } else {
                i -= 1;
            }
        }
        out.reverse();
        (t[n][m], out)
    }

    fn vocab(r: &[u32], c: &[u32]) -> usize {
        r.iter().chain(c).max().map_or(0, |&m| m as usize + 1)
    }

    fn fast_indices(lcs: &mut Lcs, r: &[u32], c: &[u32]) -> Vec<usize> {
        let mut selected = vec![false; r.len()];
        lcs.load(c);
        lcs.mark(r, c, &mut selected);
        lcs.unload(c);
        (0..r.len()).filter(|&i| selected[i]).collect()
    }

    fn lcs_len(a: &[u32], b: &[u32]) -> usize {
        Lcs::new(vocab(a, b)).len(a, b)
    }

    /// Small deterministic generator so the comparison covers many shapes.
    fn sequence(seed: &mut u64, len: usize, alphabet: u64) -> Vec<u32> {
        (0..len)
            .map(|_| {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((*seed >> 33) % alphabet) as u32
            })
            .collect()
    }

    #[test]
    fn matches_naive_table_and_backtrack() {
        let mut seed = 7u64;
        // Lengths straddle the 64-bit word boundary; small alphabets force many ties.
        for &(n, m) in &[
            (0, 5),
            (5, 0),
            (1, 1),
            (3, 7),
            (20, 20),
            (63, 64),
            (64, 65),
            (130, 70),
            (70, 200),
        ] {
            for alphabet in [2, 3, 5, 26] {
                let r = sequence(&mut seed, n, alphabet);
                let c = sequence(&mut seed, m, alphabet);
                let (len, idx) = naive(&r, &c);
                assert_eq!(lcs_len(&r, &c), len, "len {n}x{m} a={alphabet}");
                assert_eq!(lcs_len(&c, &r), len);
                let mut lcs = Lcs::new(vocab(&r, &c));
                assert_eq!(fast_indices(&mut lcs, &r, &c), idx, "{n}x{m} a={alphabet}");
                // Forced checkpointing (blocks of ~√rows) must pick the same path.
                if n > 0 {
                    lcs.load(&c);
                    let mut selected = vec![false; n];
                    lcs.direct_limit = 0;
                    lcs.mark(&r, &c, &mut selected);
                    lcs.direct_limit = DIRECT_TABLE_WORDS;
                    lcs.unload(&c);
                    let got: Vec<usize> = (0..n).filter(|&i| selected[i]).collect();
                    assert_eq!(got, idx, "checkpointed {n}x{m} a={alphabet}");
                }
            }
        }
    }

    #[test]
    fn disjoint_and_identical() {
        assert_eq!(lcs_len(&[1, 2, 3], &[4, 5]), 0);
        let mut lcs = Lcs::new(6);
        assert!(fast_indices(&mut lcs, &[1, 2, 3], &[4, 5]).is_empty());
        // The workspace is reusable: a second load sees only its own columns.
        // Tie: rouge-score moves up before left, so it keeps "2", not "3".
        assert_eq!(fast_indices(&mut lcs, &[1, 2, 3], &[3, 2]), vec![1]);
        assert_eq!(naive(&[1, 2, 3], &[3, 2]).1, vec![1]);
        let long: Vec<u32> = (0..300).collect();
        assert_eq!(lcs_len(&long, &long), 300);
        let mut lcs = Lcs::new(300);
        assert_eq!(
            fast_indices(&mut lcs, &long, &long),
            (0..300).collect::<Vec<_>>()
        );
        // Ids outside the vocabulary never match and never panic.
        assert_eq!(Lcs::new(2).len(&[7, 1], &[7, 1]), 1);
    }
}
