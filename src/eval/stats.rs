//! Bootstrap confidence intervals for mean scores, deterministic for a seed.

use serde::{Deserialize, Serialize};

/// A sample mean with a percentile bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Interval {
    /// Mean of the observed values.
    pub mean: f64,
    /// Lower bound (2.5th percentile of the resampled means).
    pub low: f64,
    /// Upper bound (97.5th percentile of the resampled means).
    pub high: f64,
}

/// Mean of `values` with a 95 % percentile bootstrap interval from `resamples`
/// resamples drawn with replacement; the same `seed` always gives the same interval.
///
/// Percentiles interpolate linearly between order statistics (NumPy's default).
/// No values gives all zeros; zero resamples gives an interval collapsed on the mean.
/// Non-finite values propagate into the result rather than being dropped.
pub fn bootstrap_mean(values: &[f64], resamples: usize, seed: u64) -> Interval {
    resampled(values, resamples, seed).0
}

/// The mean difference `a[i] - b[i]` of paired scores (the same articles scored for
/// two systems) with its 95 % bootstrap interval, and how often a resample's mean
/// difference falls on the other side of zero: the paired bootstrap test of Koehn
/// (2004) and Berg-Kirkpatrick et al. (2012). Pairs beyond the shorter slice are
/// ignored.
pub fn paired_difference(a: &[f64], b: &[f64], resamples: usize, seed: u64) -> Difference {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let (interval, means) = resampled(&d, resamples, seed);
    let against = means
        .iter()
        .filter(|&&m| {
            if interval.mean >= 0.0 {
                m <= 0.0
            } else {
                m >= 0.0
            }
        })
        .count();
    Difference {
        interval,
        p: if means.is_empty() {
            1.0
        } else {
            against as f64 / means.len() as f64
        },
    }
}

/// A paired difference of means (see [`paired_difference`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Difference {
    /// Mean difference with its 95 % interval.
    pub interval: Interval,
    /// Share of resamples whose mean difference has the other sign (or is zero):
    /// a one-sided p-value for the observed sign.
    pub p: f64,
}

/// [`bootstrap_mean`] and the sorted resampled means behind it.
fn resampled(values: &[f64], resamples: usize, seed: u64) -> (Interval, Vec<f64>) {
    if values.is_empty() {
        return (Interval::default(), Vec::new());
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    if resamples == 0 {
        let point = Interval {
            mean,
            low: mean,
            high: mean,
        };
        return (point, Vec::new());
    }
    let mut rng = SplitMix64(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let sum: f64 = (0..n)
                .map(|_| values.get(rng.below(n)).copied().unwrap_or(0.0))
                .sum();
            sum / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let interval = Interval {
        mean,
        low: percentile(&means, 2.5),
        high: percentile(&means, 97.5),
    };
    (interval, means)
}

/// Linear-interpolation percentile of sorted, non-empty `sorted`.
fn percentile(sorted: &[f64], pct: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let pos = pct / 100.0 * last as f64;
    let lo = (pos.floor() as usize).min(last);
    let hi = (lo + 1).min(last);
    let frac = pos - lo as f64;
    let (a, b) = (sorted.get(lo), sorted.get(hi));
    match (a, b) {
        (Some(&a), Some(&b)) => a + (b - a) * frac,
        _ => 0.0,
    }
}

/// SplitMix64 (Steele, Lea & Flood): tiny, fast and statistically sound enough for
/// resampling indices; fixed here so intervals never change with a dependency.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform integer in `0..n` (n > 0) by Lemire's multiply-and-reject, unbiased.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic, skew-free sample in [0, 1).
    fn sample(len: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64(seed);
        (0..len)
            .map(|_| (rng.next() >> 11) as f64 / (1u64 << 53) as f64)
            .collect()
    }

    #[test]
    fn paired_difference_sees_a_consistent_small_gain() {
        // b is a with a small constant gain and noise that is large between items:
        // unpaired intervals would overlap, the paired one excludes zero.
        let a = sample(60, 4);
        let b: Vec<f64> = a.iter().map(|x| x - 0.01).collect();
        let d = paired_difference(&a, &b, 1000, 1);
        assert!((d.interval.mean - 0.01).abs() < 1e-9, "{d:?}");
        assert!(d.interval.low > 0.0 && d.p == 0.0, "{d:?}");
        let same = paired_difference(&a, &a, 1000, 1);
        assert_eq!(same.interval.mean, 0.0);
        assert_eq!(same.p, 1.0);
        // Noise both ways: not significant.
        let c = sample(60, 5);
        let mixed = paired_difference(&a, &c, 1000, 1);
        assert!(
            mixed.interval.low < 0.0 && mixed.interval.high > 0.0,
            "{mixed:?}"
        );
        assert!(mixed.p > 0.05, "{mixed:?}");
    }

    #[test]
    fn deterministic_for_a_seed() {
        let v = sample(50, 1);
        assert_eq!(bootstrap_mean(&v, 500, 42), bootstrap_mean(&v, 500, 42));
        assert_ne!(bootstrap_mean(&v, 500, 42), bootstrap_mean(&v, 500, 43));
    }

    #[test]
    fn interval_contains_the_mean() {
        let v = sample(40, 2);
        let i = bootstrap_mean(&v, 1000, 7);
        let expected = v.iter().sum::<f64>() / v.len() as f64;
        assert!((i.mean - expected).abs() < 1e-12);
        assert!(i.low < i.mean && i.mean < i.high, "{i:?}");
        assert!(i.low >= 0.0 && i.high < 1.0);
    }

    #[test]
    fn width_shrinks_with_more_data() {
        let small = bootstrap_mean(&sample(20, 3), 1000, 9);
        let large = bootstrap_mean(&sample(2000, 3), 1000, 9);
        let (ws, wl) = (small.high - small.low, large.high - large.low);
        // Width scales like 1/sqrt(n): 10x for 100x the data; demand at least 4x.
        assert!(wl * 4.0 < ws, "small {ws}, large {wl}");
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(bootstrap_mean(&[], 100, 1), Interval::default());
        let constant = bootstrap_mean(&[0.3; 10], 100, 1);
        // Summation rounding only: a constant sample has (almost) no spread.
        assert!((constant.low - 0.3).abs() < 1e-12 && (constant.high - 0.3).abs() < 1e-12);
        assert_eq!(
            (constant.low, constant.high),
            (constant.mean, constant.mean)
        );
        let none = bootstrap_mean(&[0.0, 1.0], 0, 1);
        assert_eq!((none.mean, none.low, none.high), (0.5, 0.5, 0.5));
        let one = bootstrap_mean(&[0.8], 10, 1);
        assert_eq!((one.low, one.high), (0.8, 0.8));
    }

    #[test]
    fn percentile_interpolates() {
        let sorted = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&sorted, 0.0), 0.0);
        assert_eq!(percentile(&sorted, 100.0), 4.0);
        assert_eq!(percentile(&sorted, 50.0), 2.0);
        assert!((percentile(&sorted, 2.5) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SplitMix64(5);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let k = rng.below(7);
            assert!(k < 7);
            seen[k] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
