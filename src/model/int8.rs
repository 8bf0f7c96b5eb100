//! Projection weights as 8-bit blocks and the matrix product over them.
//!
//! Why not candle's quantised matmul: it computes every (input row, weight row)
//! dot product on its own, streaming the whole weight matrix once per input row.
//! A decode step is one row per sequence, so batching several sequences gave no
//! speed (measured: 0.97–1.07×) and decode ran at the memory bandwidth of one
//! weight pass per token. Here each weight block, once loaded, is multiplied with
//! several input rows (a register tile of weight rows × input rows), so a batch of
//! decode rows shares one pass over the weights, and a prompt chunk runs as a
//! blocked int8 product (the same kernel serves prefill; no dense copy of the
//! weights is needed).
//!
//! Layout: Q8_0's (32 signed bytes and one scale per block), with f32 scales.
//! Inputs are quantised per row to the same blocks (as llama.cpp does for Q8_0
//! weights). Every output is computed by the same sequence of operations whatever
//! the tile it falls in, the number of rows or the instruction set (AVX2 or the
//! portable fallback): results are bit-identical across batch sizes and machines
//! (tests).

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;

/// Elements per block (one scale each).
pub const BLOCK: usize = 32;
/// Input rows per cache block: their quantised rows stay in L2 while every weight
/// row passes over them.
const ROW_BLOCK: usize = 64;

/// A weight matrix `(rows, cols)` held as 8-bit blocks along `cols`.
#[derive(Debug, Clone, PartialEq)]
pub struct Int8Matrix {
    rows: usize,
    cols: usize,
    q: Vec<i8>,
    d: Vec<f32>,
}

/// Input rows quantised to 8-bit blocks.
struct Quantized {
    q: Vec<i8>,
    d: Vec<f32>,
}

impl Int8Matrix {
    /// Quantise a row-major f32 matrix (`cols` a multiple of [`BLOCK`]).
    pub fn quantize(w: &[f32], rows: usize, cols: usize) -> Self {
        assert!(cols.is_multiple_of(BLOCK) && w.len() == rows * cols);
        let mut q = Vec::with_capacity(w.len());
        let mut d = Vec::with_capacity(w.len() / BLOCK);
        quantize_into(w, &mut q, &mut d);
        Int8Matrix { rows, cols, q, d }
    }

    /// From a 2-D quantised tensor: Q8_0 blocks are taken over exactly, any other
    /// type is dequantised and re-quantised (8-bit steps are finer than the 4-6 bit
    /// ones they encode, so the added error is small). `None` if the row length is
    /// not a multiple of [`BLOCK`].
    pub fn from_qtensor(t: &QTensor) -> candle_core::Result<Option<Self>> {
        let (rows, cols) = t.shape().dims2()?;
        if !cols.is_multiple_of(BLOCK) {
            return Ok(None);
        }
        if t.dtype() == GgmlDType::Q8_0 {
            return Ok(Some(Self::from_q8_0_bytes(&t.data()?, rows, cols)?));
        }
        let w = t
            .dequantize(&Device::Cpu)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        Ok(Some(Self::quantize(&w, rows, cols)))
    }

    /// From raw Q8_0 blocks (f16 scale, 32 signed bytes), without loss.
    pub fn from_q8_0_bytes(data: &[u8], rows: usize, cols: usize) -> candle_core::Result<Self> {
        const BYTES: usize = 2 + BLOCK;
        let blocks = rows * cols / BLOCK;
        if data.len() != blocks * BYTES {
            candle_core::bail!(
                "Q8_0 data of {} bytes for a {rows}x{cols} matrix",
                data.len()
            );
        }
        let mut q = Vec::with_capacity(rows * cols);
        let mut d = Vec::with_capacity(blocks);
        for block in data.chunks_exact(BYTES) {
            d.push(half::f16::from_le_bytes([block[0], block[1]]).to_f32());
            q.extend(block[2..].iter().map(|&b| b as i8));
        }
        Ok(Int8Matrix { rows, cols, q, d })
    }

    /// Output features.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Input features.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.q.len() + self.d.len() * 4
    }

    /// `x · Wᵀ` for `x` of `m` rows of [`Self::cols`] values: `m × rows` values.
    pub fn matmul(&self, x: &[f32], m: usize) -> Vec<f32> {
        assert_eq!(x.len(), m * self.cols, "input of the wrong length");
        let xq = quantize_rows(x);
        let mut out = vec![0f32; m * self.rows];
        for c0 in (0..m).step_by(ROW_BLOCK) {
            let cn = ROW_BLOCK.min(m - c0);
            self.block(&xq, c0, cn, &mut out);
        }
        out
    }

    /// Input rows `c0..c0 + cn` against every weight row.
    fn block(&self, x: &Quantized, c0: usize, cn: usize, out: &mut [f32]) {
        let kernel = Kernel::detect(self.cols / BLOCK);
        let (tile_rows, tile_cols) = kernel.tile();
        let mut r = 0;
        while r < self.rows {
            let rr = tile_rows.min(self.rows - r);
            let mut c = c0;
            while c < c0 + cn {
                let cc = tile_cols.min(c0 + cn - c);
                let tile = Tile {
                    w: self,
                    x,
                    r,
                    c,
                    n: self.rows,
                };
                kernel.run(&tile, rr, cc, out);
                c += cc;
            }
            r += rr;
        }
    }
}

/// Quantise rows of values (length a multiple of [`BLOCK`]) block by block:
/// scale `max|x| / 127`, values rounded half away from zero.
fn quantize_rows(x: &[f32]) -> Quantized {
    let mut q = Vec::with_capacity(x.len());
    let mut d = Vec::with_capacity(x.len() / BLOCK);
    quantize_into(x, &mut q, &mut d);
    Quantized { q, d }
}

/// [`quantize_rows`], appending to `q` and `d`.
fn quantize_into(x: &[f32], q: &mut Vec<i8>, d: &mut Vec<f32>) {
    for src in x.chunks_exact(BLOCK) {
        let amax = src.iter().fold(0f32, |a, v| a.max(v.abs()));
        let scale = amax / 127.0;
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        q.extend(src.iter().map(|v| (v * inv).round() as i8));
        d.push(scale);
    }
}

/// One register tile: weight rows from `r`, input rows from `c`; outputs are
/// written at `out[c * n + r]`.
struct Tile<'a> {
    w: &'a Int8Matrix,
    x: &'a Quantized,
    r: usize,
    c: usize,
    n: usize,
}

/// Which implementation runs the tiles; chosen once per product at run time.
#[derive(Clone, Copy)]
enum Kernel {
    /// AVX-512 VNNI: two blocks per 512-bit register, one `vpdpbusd` per pair of
    /// blocks and row pair, 4 × 4 tiles. About twice the multiply-accumulates per
    /// instruction of the AVX2 kernel; sums in another order, so its last bits
    /// differ from the other kernels' (each kernel is consistent with itself).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

impl Kernel {
    /// The fastest kernel this CPU runs for rows of `blocks` blocks.
    fn detect(blocks: usize) -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx2") && has!("fma") {
                if blocks.is_multiple_of(2)
                    && has!("avx512f")
                    && has!("avx512bw")
                    && has!("avx512vnni")
                {
                    return Kernel::Avx512;
                }
                return Kernel::Avx2;
            }
        }
        let _ = blocks;
        Kernel::Portable
    }

    /// Register tile: (weight rows, input rows).
    fn tile(self) -> (usize, usize) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => (4, 4),
            _ => (2, 4),
        }
    }

    /// Run a tile of `rr` weight rows by `cc` input rows (at most [`Self::tile`]).
    fn run(self, t: &Tile, rr: usize, cc: usize, out: &mut [f32]) {
        macro_rules! dispatch {
            ($f:ident) => {
                match (rr, cc) {
                    (4, 4) => $f::<4, 4>(t, out),
                    (4, 3) => $f::<4, 3>(t, out),
                    (4, 2) => $f::<4, 2>(t, out),
                    (4, 1) => $f::<4, 1>(t, out),
                    (3, 4) => $f::<3, 4>(t, out),
                    (3, 3) => $f::<3, 3>(t, out),
                    (3, 2) => $f::<3, 2>(t, out),
                    (3, 1) => $f::<3, 1>(t, out),
                    (2, 4) => $f::<2, 4>(t, out),
                    (2, 3) => $f::<2, 3>(t, out),
                    (2, 2) => $f::<2, 2>(t, out),
                    (2, 1) => $f::<2, 1>(t, out),
                    (1, 4) => $f::<1, 4>(t, out),
                    (1, 3) => $f::<1, 3>(t, out),
                    (1, 2) => $f::<1, 2>(t, out),
                    (1, 1) => $f::<1, 1>(t, out),
                    _ => unreachable!("tile {rr}x{cc}"),
                }
            };
        }
        match self {
            // SAFETY: `detect` checked for AVX-512 F/BW/VNNI (and an even number of
            // blocks per row).
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => unsafe { dispatch!(tile_avx512) },
            // SAFETY: `detect` checked that the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => unsafe { dispatch!(tile_avx2) },
            Kernel::Portable => dispatch!(tile_portable),
        }
    }
}

/// Lanes of the float accumulator: each holds the sum over 4 consecutive
/// elements of every block (the shape AVX2's `maddubs` + `madd` produce).
const LANES: usize = 8;

/// Reduce the 8 lanes in the order `_mm256` halves, then pairs, then the last two.
fn reduce(a: [f32; LANES]) -> f32 {
    let s = [a[0] + a[4], a[1] + a[5], a[2] + a[6], a[3] + a[7]];
    let t = [s[0] + s[2], s[1] + s[3]];
    t[0] + t[1]
}

/// The portable tile: the AVX2 kernel's arithmetic, lane by lane.
fn tile_portable<const R: usize, const C: usize>(t: &Tile, out: &mut [f32]) {
    let k = t.w.cols;
    let nb = k / BLOCK;
    let mut acc = [[[0f32; LANES]; C]; R];
    for j in 0..nb {
        for (ri, acc_r) in acc.iter_mut().enumerate() {
            let row = t.r + ri;
            let w = &t.w.q[row * k + j * BLOCK..][..BLOCK];
            let dw = t.w.d[row * nb + j];
            for (ci, acc_rc) in acc_r.iter_mut().enumerate() {
                let col = t.c + ci;
                let x = &t.x.q[col * k + j * BLOCK..][..BLOCK];
                let scale = dw * t.x.d[col * nb + j];
                for (l, lane) in acc_rc.iter_mut().enumerate() {
                    let s: i32 = (0..4)
                        .map(|e| i32::from(w[4 * l + e]) * i32::from(x[4 * l + e]))
                        .sum();
                    *lane = (s as f32).mul_add(scale, *lane);
                }
            }
        }
    }
    for (ri, acc_r) in acc.iter().enumerate() {
        for (ci, lanes) in acc_r.iter().enumerate() {
            out[(t.c + ci) * t.n + t.r + ri] = reduce(*lanes);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn tile_avx2<const R: usize, const C: usize>(t: &Tile, out: &mut [f32]) {
    use std::arch::x86_64::*;
    let k = t.w.cols;
    let nb = k / BLOCK;
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    let wq = &t.w.q[t.r * k..(t.r + R) * k];
    let xq = &t.x.q[t.c * k..(t.c + C) * k];
    for j in 0..nb {
        let mut wv = [_mm256_setzero_si256(); R];
        let mut wa = [_mm256_setzero_si256(); R];
        let mut dw = [0f32; R];
        for ri in 0..R {
            let blk = &wq[ri * k + j * BLOCK..][..BLOCK];
            // SAFETY: `blk` holds exactly 32 bytes; unaligned load.
            wv[ri] = unsafe { _mm256_loadu_si256(blk.as_ptr().cast()) };
            wa[ri] = _mm256_abs_epi8(wv[ri]);
            dw[ri] = t.w.d[(t.r + ri) * nb + j];
        }
        for ci in 0..C {
            let blk = &xq[ci * k + j * BLOCK..][..BLOCK];
            // SAFETY: as above.
            let xv = unsafe { _mm256_loadu_si256(blk.as_ptr().cast()) };
            let dx = t.x.d[(t.c + ci) * nb + j];
            for ri in 0..R {
                // |w| · (x · sign w) = w · x; |w| ≤ 128 and |x| ≤ 127, so the
                // 16-bit pair sums of `maddubs` cannot saturate.
                let sx = _mm256_sign_epi8(xv, wv[ri]);
                let pairs = _mm256_maddubs_epi16(wa[ri], sx);
                let quads = _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
                let scale = _mm256_set1_ps(dw[ri] * dx);
                acc[ri][ci] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(quads), scale, acc[ri][ci]);
            }
        }
    }
    for (ri, acc_r) in acc.iter().enumerate() {
        for (ci, a) in acc_r.iter().enumerate() {
            let mut lanes = [0f32; LANES];
            // SAFETY: `lanes` holds 8 floats; unaligned store.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), *a) };
            out[(t.c + ci) * t.n + t.r + ri] = reduce(lanes);
        }
    }
}

/// Scales of blocks `i` and `i + 1` spread over the low and high eight lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512vnni")]
fn scale_pair(d: &[f32], i: usize) -> std::arch::x86_64::__m512 {
    use std::arch::x86_64::*;
    let halves = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    _mm512_permutexvar_ps(
        halves,
        _mm512_castps128_ps512(_mm_set_ps(0.0, 0.0, d[i + 1], d[i])),
    )
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512vnni")]
fn tile_avx512<const R: usize, const C: usize>(t: &Tile, out: &mut [f32]) {
    use std::arch::x86_64::*;
    let k = t.w.cols;
    let nb = k / BLOCK;
    let wq = &t.w.q[t.r * k..(t.r + R) * k];
    let xq = &t.x.q[t.c * k..(t.c + C) * k];
    // `vpdpbusd` multiplies unsigned by signed bytes: weights are shifted to
    // `w + 128` (a sign-bit flip) and `128 · Σx` taken off again, exactly.
    let flip = _mm512_set1_epi8(i8::MIN);
    let ones = _mm512_set1_epi8(1);
    let zero = _mm512_setzero_si512();
    let mut acc = [[_mm512_setzero_ps(); C]; R];
    for j in (0..nb).step_by(2) {
        let mut wu = [zero; R];
        let mut dw = [_mm512_setzero_ps(); R];
        for ri in 0..R {
            let blk = &wq[ri * k + j * BLOCK..][..2 * BLOCK];
            // SAFETY: `blk` holds exactly 64 bytes; unaligned load.
            let wv = unsafe { _mm512_loadu_si512(blk.as_ptr().cast()) };
            wu[ri] = _mm512_xor_si512(wv, flip);
            dw[ri] = scale_pair(&t.w.d, (t.r + ri) * nb + j);
        }
        for ci in 0..C {
            let blk = &xq[ci * k + j * BLOCK..][..2 * BLOCK];
            // SAFETY: as above.
            let xv = unsafe { _mm512_loadu_si512(blk.as_ptr().cast()) };
            let x_sums = _mm512_dpbusd_epi32(zero, ones, xv);
            let correction = _mm512_sub_epi32(zero, _mm512_slli_epi32::<7>(x_sums));
            let dx = scale_pair(&t.x.d, (t.c + ci) * nb + j);
            for ri in 0..R {
                // Per lane: Σ (w + 128)·x − 128·Σ x over 4 bytes = Σ w·x, no overflow.
                let quads = _mm512_dpbusd_epi32(correction, wu[ri], xv);
                let scale = _mm512_mul_ps(dw[ri], dx);
                acc[ri][ci] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(quads), scale, acc[ri][ci]);
            }
        }
    }
    for (ri, acc_r) in acc.iter().enumerate() {
        for (ci, a) in acc_r.iter().enumerate() {
            out[(t.c + ci) * t.n + t.r + ri] = _mm512_reduce_add_ps(*a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn exact(w: &[f32], x: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
        let mut out = vec![0f32; m * n];
        for i in 0..m {
            for r in 0..n {
                out[i * n + r] = (0..k).map(|e| x[i * k + e] * w[r * k + e]).sum();
            }
        }
        out
    }

    #[test]
    fn product_is_close_to_the_exact_one() {
        let (n, k, m) = (37, 96, 11);
        let w = values(n * k, 1);
        let x = values(m * k, 2);
        let got = Int8Matrix::quantize(&w, n, k).matmul(&x, m);
        let want = exact(&w, &x, m, n, k);
        // Two 8-bit roundings (steps of 1/127) of values in [-1, 1], over 96 terms:
        // errors of a few hundredths, random in sign.
        let mut sq = 0f32;
        for (g, e) in got.iter().zip(&want) {
            assert!((g - e).abs() < 0.15, "{g} vs {e}");
            sq += (g - e) * (g - e);
        }
        let rms = (sq / got.len() as f32).sqrt();
        assert!(rms < 0.05, "rms error {rms}");
    }

    #[test]
    fn each_row_is_the_same_whatever_the_batch() {
        let (n, k) = (9, 64);
        let w = Int8Matrix::quantize(&values(n * k, 3), n, k);
        let x = values(150 * k, 4);
        let all = w.matmul(&x, 150);
        for i in [0, 3, 4, 63, 64, 65, 149] {
            let alone = w.matmul(&x[i * k..(i + 1) * k], 1);
            assert_eq!(alone, all[i * n..(i + 1) * n], "row {i}");
        }
        // And in a batch of a different size at a different offset.
        let some = w.matmul(&x[5 * k..12 * k], 7);
        assert_eq!(some, all[5 * n..12 * n]);
    }

    /// Every output through `kernel`, in tiles of `rr × cc`.
    fn run_all(
        kernel: Kernel,
        w: &Int8Matrix,
        x: &Quantized,
        m: usize,
        rr: usize,
        cc: usize,
    ) -> Vec<f32> {
        let n = w.rows;
        let mut out = vec![0f32; m * n];
        for r in (0..n - n % rr).step_by(rr) {
            for c in (0..m - m % cc).step_by(cc) {
                let t = Tile { w, x, r, c, n };
                kernel.run(&t, rr, cc, &mut out);
            }
        }
        out
    }

    #[test]
    fn kernels_agree_and_no_tile_changes_a_result() {
        // Sizes divisible by every tile side, so each tile shape covers all outputs.
        let (n, k, m) = (12, 128, 12);
        let w = Int8Matrix::quantize(&values(n * k, 5), n, k);
        let x = quantize_rows(&values(m * k, 6));
        let want = run_all(Kernel::Portable, &w, &x, m, 1, 1);
        assert!(want.iter().all(|v| *v != 0.0));
        let tiles = [
            (1, 1),
            (2, 4),
            (2, 3),
            (1, 2),
            (2, 1),
            (4, 4),
            (3, 2),
            (4, 3),
        ];
        for (rr, cc) in tiles {
            assert_eq!(run_all(Kernel::Portable, &w, &x, m, rr, cc), want);
        }
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx2") && has!("fma") {
                for (rr, cc) in tiles {
                    let got = run_all(Kernel::Avx2, &w, &x, m, rr, cc);
                    assert_eq!(got, want, "AVX2 {rr}x{cc}");
                }
            } else {
                eprintln!("note: no AVX2 here; only the portable kernel is compared");
            }
            if matches!(Kernel::detect(k / BLOCK), Kernel::Avx512) {
                // Same integers, another float summation order: the same to a few
                // ulps, and bit-identical to itself in every tile.
                let own = run_all(Kernel::Avx512, &w, &x, m, 1, 1);
                for (a, b) in own.iter().zip(&want) {
                    assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
                }
                for (rr, cc) in tiles {
                    let got = run_all(Kernel::Avx512, &w, &x, m, rr, cc);
                    assert_eq!(got, own, "AVX-512 {rr}x{cc}");
                }
            } else {
                eprintln!("note: no AVX-512 VNNI here; that kernel is not compared");
            }
        }
    }

    #[test]
    fn q8_0_blocks_are_taken_over_exactly() {
        let (n, k) = (3, 64);
        let w = values(n * k, 7);
        let t = candle_core::Tensor::from_vec(w, (n, k), &Device::Cpu).unwrap();
        let q = QTensor::quantize(&t, GgmlDType::Q8_0).unwrap();
        let m = Int8Matrix::from_qtensor(&q).unwrap().unwrap();
        let deq = q.dequantize(&Device::Cpu).unwrap();
        let deq = deq.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        for (i, v) in deq.iter().enumerate() {
            assert_eq!(*v, m.q[i] as f32 * m.d[i / BLOCK]);
        }
        assert_eq!(m.bytes(), n * k + n * k / BLOCK * 4);
    }

    #[test]
    fn zero_blocks_give_zero() {
        let w = Int8Matrix::quantize(&[0.0; 64], 2, 32);
        assert_eq!(w.matmul(&[1.0; 32], 1), vec![0.0, 0.0]);
        let w = Int8Matrix::quantize(&values(64, 8), 2, 32);
        assert_eq!(w.matmul(&[0.0; 32], 1), vec![0.0, 0.0]);
    }
}
