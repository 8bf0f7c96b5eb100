//! Choosing the next token from logits: greedy, or seeded temperature / top-p
//! sampling, with an optional repetition penalty.

/// How to pick each next token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// Always the most likely token (ties: the lowest id, as llama.cpp does).
    Greedy,
    /// Random draw from the temperature-scaled distribution restricted to the
    /// smallest set of tokens whose probability reaches `top_p`; reproducible
    /// for a given `seed`.
    Seeded {
        /// Seed of the random generator.
        seed: u64,
        /// Softmax temperature (> 0; lower is more deterministic).
        temperature: f32,
        /// Nucleus mass in (0, 1]; 1 disables the cut.
        top_p: f32,
    },
}

/// Penalise tokens that already occur (CTRL-style, as HF transformers and
/// llama.cpp do): positive logits are divided by `penalty`, negative ones
/// multiplied. `penalty = 1` is a no-op.
pub fn apply_repetition_penalty(logits: &mut [f32], recent: &[u32], penalty: f32) {
    if penalty == 1.0 || !penalty.is_finite() || penalty <= 0.0 {
        return;
    }
    let mut seen = std::collections::HashSet::with_capacity(recent.len());
    for &id in recent {
        if !seen.insert(id) {
            continue;
        }
        if let Some(l) = logits.get_mut(id as usize) {
            *l = if *l > 0.0 { *l / penalty } else { *l * penalty };
        }
    }
}

/// Index of the largest logit (first one on ties); `None` for empty or all-NaN input.
pub fn argmax(logits: &[f32]) -> Option<u32> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &l) in logits.iter().enumerate() {
        if l.is_nan() {
            continue;
        }
        if best.is_none_or(|(_, b)| l > b) {
            best = Some((i, l));
        }
    }
    best.and_then(|(i, _)| u32::try_from(i).ok())
}

/// A token sampler with its own random state.
#[derive(Debug, Clone)]
pub struct Sampler {
    sampling: Sampling,
    rng: SplitMix64,
}

impl Sampler {
    /// A sampler for `sampling`.
    pub fn new(sampling: Sampling) -> Self {
        let seed = match sampling {
            Sampling::Seeded { seed, .. } => seed,
            Sampling::Greedy => 0,
        };
        Sampler {
            sampling,
            rng: SplitMix64(seed),
        }
    }

    /// Pick the next token; `None` only when every logit is NaN.
    pub fn sample(&mut self, logits: &[f32]) -> Option<u32> {
        match self.sampling {
            Sampling::Greedy => argmax(logits),
            Sampling::Seeded {
                temperature, top_p, ..
            } => {
                if !(temperature > 0.0 && temperature.is_finite()) {
                    return argmax(logits);
                }
                self.sample_top_p(logits, temperature, top_p)
            }
        }
    }

    fn sample_top_p(&mut self, logits: &[f32], temperature: f32, top_p: f32) -> Option<u32> {
        let max = logits[argmax(logits)? as usize];
        let mut probs: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.is_nan())
            .map(|(i, &l)| (i as u32, ((l - max) / temperature).exp()))
            .collect();
        let total: f32 = probs.iter().map(|p| p.1).sum();
        let top_p = if top_p > 0.0 && top_p < 1.0 {
            top_p
        } else {
            1.0
        };
        // Sorting the whole vocabulary (~150k) per token is measurable but small next
        // to a forward pass; only done when sampling is requested.
        probs.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut kept = 0.0;
        let mut cut = probs.len();
        for (i, p) in probs.iter().enumerate() {
            kept += p.1 / total;
            if kept >= top_p {
                cut = i + 1;
                break;
            }
        }
        probs.truncate(cut.max(1));
        let mass: f32 = probs.iter().map(|p| p.1).sum();
        let mut r = self.rng.next_f32() * mass;
        for &(id, p) in &probs {
            if r < p {
                return Some(id);
            }
            r -= p;
        }
        probs.last().map(|p| p.0)
    }
}

/// SplitMix64: small, fast, good enough for sampling, and reproducible across
/// platforms (no dependency on `rand`'s algorithm choices). Also the fixed stream of
/// the MinHash permutations (`relate::minhash`), so its output must never change.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next value of the stream.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_prefers_first_on_ties_and_skips_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, f32::NAN]), Some(1));
        assert_eq!(argmax(&[f32::NAN, -1.0]), Some(1));
        assert_eq!(argmax(&[]), None);
        assert_eq!(argmax(&[f32::NAN]), None);
    }

    #[test]
    fn repetition_penalty_pushes_seen_tokens_down() {
        let mut l = vec![2.0, -2.0, 1.0];
        apply_repetition_penalty(&mut l, &[0, 1, 1, 99], 2.0);
        assert_eq!(l, vec![1.0, -4.0, 1.0]);
        let mut same = vec![2.0];
        apply_repetition_penalty(&mut same, &[0], 1.0);
        assert_eq!(same, vec![2.0]);
    }

    #[test]
    fn seeded_sampling_is_reproducible_and_respects_top_p() {
        let logits = vec![5.0, 4.9, 0.0, -3.0];
        let s = Sampling::Seeded {
            seed: 7,
            temperature: 1.0,
            top_p: 0.9,
        };
        let draw = |n| {
            let mut sampler = Sampler::new(s);
            (0..n)
                .map(|_| sampler.sample(&logits).unwrap())
                .collect::<Vec<_>>()
        };
        let a = draw(200);
        assert_eq!(a, draw(200));
        // Tokens 0 and 1 hold > 90 % of the mass: nothing else is ever drawn,
        // and both are drawn.
        assert!(a.iter().all(|&t| t < 2));
        assert!(a.contains(&0) && a.contains(&1));
        // A different seed gives a different sequence.
        let mut other = Sampler::new(Sampling::Seeded {
            seed: 8,
            temperature: 1.0,
            top_p: 0.9,
        });
        let b: Vec<u32> = (0..200).map(|_| other.sample(&logits).unwrap()).collect();
        assert_ne!(a, b);
    }

    #[test]
    fn zero_temperature_is_greedy() {
        let mut s = Sampler::new(Sampling::Seeded {
            seed: 1,
            temperature: 0.0,
            top_p: 1.0,
        });
        assert_eq!(s.sample(&[0.0, 1.0, 0.5]), Some(1));
    }
}
