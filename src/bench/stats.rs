//! Small descriptive statistics for benchmark figures.

/// The `p`-th percentile (`p` in `[0, 100]`) of `values`, by linear interpolation
/// between the closest ranks (NumPy's default, so the comparison script agrees).
/// `None` for an empty slice; `p` outside the range is clamped. NaNs sort last.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(percentile_sorted(&sorted, p))
}

/// [`percentile`] of an already sorted, non-empty slice.
fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    let p = if p.is_nan() {
        50.0
    } else {
        p.clamp(0.0, 100.0)
    };
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let (a, b) = (sorted[lo], sorted[hi.min(sorted.len() - 1)]);
    a + (b - a) * (rank - lo as f64)
}

/// The median (50th percentile) of `values`; `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    percentile(values, 50.0)
}

/// The arithmetic mean of `values`; `None` when empty.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// `num / den`, or 0 when `den` is not positive (a rate over no time).
pub fn rate(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [15.0, 20.0, 35.0, 40.0, 50.0];
        // numpy.percentile(v, [0, 25, 50, 95, 100]) == [15, 20, 35, 48, 50]
        assert_eq!(percentile(&v, 0.0), Some(15.0));
        assert_eq!(percentile(&v, 25.0), Some(20.0));
        assert_eq!(percentile(&v, 50.0), Some(35.0));
        assert!((percentile(&v, 95.0).unwrap() - 48.0).abs() < 1e-9);
        assert_eq!(percentile(&v, 100.0), Some(50.0));
        // Order of the input does not matter.
        let shuffled = [50.0, 15.0, 40.0, 35.0, 20.0];
        assert_eq!(percentile(&shuffled, 25.0), Some(20.0));
        // Between ranks: numpy.percentile([1, 2, 3, 4], 50) == 2.5
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[]), None);
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0], 250.0), Some(2.0));
        assert_eq!(percentile(&[1.0, 2.0], -5.0), Some(1.0));
        assert_eq!(percentile(&[1.0, 3.0], f64::NAN), Some(2.0));
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(rate(10.0, 4.0), 2.5);
        assert_eq!(rate(10.0, 0.0), 0.0);
    }
}
