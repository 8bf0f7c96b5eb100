use brief::model::int8::Int8Matrix;
use std::time::Instant;
fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (n, k) = (args[0], args[1]);
    let w: Vec<f32> = (0..n * k)
        .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
        .collect();
    let m8 = Int8Matrix::quantize(&w, n, k);
    for m in [1usize, 2, 4, 8, 16] {
        let x: Vec<f32> = (0..m * k)
            .map(|i| ((i * 104729) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let reps = 20;
        let t = Instant::now();
        let mut s = 0f32;
        for _ in 0..reps {
            s += m8.matmul(&x, m)[0];
        }
        let dt = t.elapsed().as_secs_f64();
        let gmac = (m * n * k * reps) as f64 / dt / 1e9;
        println!(
            "m={m:4} {:.3} ms/call  {gmac:.2} GMAC/s  {:.2} GB/s weights ({s})",
            dt / reps as f64 * 1e3,
            (m8.bytes() * reps) as f64 / dt / 1e9
        );
    }
}
