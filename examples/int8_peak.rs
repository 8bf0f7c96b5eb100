//! How far brief's int8 kernel is from this CPU's int8 peak, on one core.
//!
//! `RAYON_NUM_THREADS=1 cargo run --release --example int8_peak`
//!
//! The peak is a register-only loop of the instruction sequence every AVX2 int8 dot
//! product needs per 32 multiply-accumulates (`vpmaddubsw`, `vpmaddwd`, `vpaddd`;
//! with AVX-512 VNNI one `vpdpbusd` does 64), with eight independent accumulators so
//! latency does not bound it. The kernel figure is `Int8Matrix::matmul` on
//! Qwen2.5-0.5B's FFN shape (4864 × 896) at 1 row (decode), 16 rows (a decode batch)
//! and 256 rows (prefill), in multiply-accumulates per second.

use std::hint::black_box;
use std::time::Instant;

use brief::model::int8::Int8Matrix;
use brief::model::sampling::SplitMix64;

/// Multiply-accumulates per second of the register-only AVX2 loop.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_peak(iters: usize) -> f64 {
    use std::arch::x86_64::*;
    // `a` changes every round (one extra add per 8 products) so the compiler cannot
    // hoist the products out of the loop.
    let mut a = _mm256_set1_epi8(3);
    let step = _mm256_set1_epi8(1);
    let b: [__m256i; 8] = std::array::from_fn(|i| _mm256_set1_epi8(-(i as i8) - 1));
    let ones = _mm256_set1_epi16(1);
    let mut acc = [_mm256_setzero_si256(); 8];
    let t = Instant::now();
    for _ in 0..iters {
        a = _mm256_and_si256(_mm256_add_epi8(a, step), _mm256_set1_epi8(0x3f));
        for (x, b) in acc.iter_mut().zip(&b) {
            let p = _mm256_maddubs_epi16(a, *b);
            let q = _mm256_madd_epi16(p, ones);
            *x = _mm256_add_epi32(*x, q);
        }
    }
    let s = t.elapsed().as_secs_f64();
    black_box(acc);
    (iters * 8 * 32) as f64 / s
}

/// Multiply-accumulates per second of the register-only AVX-512 VNNI loop.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn vnni_peak(iters: usize) -> f64 {
    use std::arch::x86_64::*;
    let mut a = _mm512_set1_epi8(3);
    let step = _mm512_set1_epi8(1);
    let b: [__m512i; 8] = std::array::from_fn(|i| _mm512_set1_epi8(-(i as i8) - 1));
    let mut acc = [_mm512_setzero_si512(); 8];
    let t = Instant::now();
    for _ in 0..iters {
        a = _mm512_and_si512(_mm512_add_epi8(a, step), _mm512_set1_epi8(0x3f));
        for (x, b) in acc.iter_mut().zip(&b) {
            *x = _mm512_dpbusd_epi32(*x, a, *b);
        }
    }
    let s = t.elapsed().as_secs_f64();
    black_box(acc);
    (iters * 8 * 64) as f64 / s
}

/// Best of `runs` timings of `f`, in calls per second.
fn best_rate(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            1.0 / t.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn main() {
    let mut peak = 0.0;
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked above).
            let p = (0..5)
                .map(|_| unsafe { avx2_peak(20_000_000) })
                .fold(0.0, f64::max);
            println!("AVX2 peak (maddubs+madd+add): {:.1} GMAC/s", p / 1e9);
            peak = p;
        }
        if is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vnni")
        {
            // SAFETY: the CPU has AVX-512 F, BW and VNNI (checked above).
            let p = (0..5)
                .map(|_| unsafe { vnni_peak(20_000_000) })
                .fold(0.0, f64::max);
            println!("AVX-512 VNNI peak (vpdpbusd): {:.1} GMAC/s", p / 1e9);
            peak = p;
        } else {
            println!("AVX-512 VNNI: not on this CPU");
        }
    }
    let (n, k) = (4864, 896);
    // Uniform values in [-1, 1): the kernel's speed does not depend on them.
    let fill = |len: usize, seed: u64| -> Vec<f32> {
        let mut rng = SplitMix64(seed);
        let mut v = Vec::with_capacity(len);
        v.resize_with(len, || {
            (rng.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        });
        v
    };
    let w = Int8Matrix::quantize(&fill(n * k, 7919), n, k);
    for m in [1usize, 16, 256] {
        let x = fill(m * k, 104729);
        let calls = best_rate(if m > 16 { 5 } else { 50 }, || {
            black_box(w.matmul(black_box(&x), m));
        });
        let rate = calls * (m * n * k) as f64;
        let share = if peak > 0.0 {
            format!(" ({:.0} % of the peak above)", 100.0 * rate / peak)
        } else {
            String::new()
        };
        println!(
            "brief int8 matmul 4864x896, {m:>3} rows: {:.1} GMAC/s{share}",
            rate / 1e9
        );
    }
}
