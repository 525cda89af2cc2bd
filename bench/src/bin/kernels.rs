//! Matrix kernels against the CPU's peak: the multiply-add rate of registers alone (all
//! threads), then toex's packed f32 and int8 kernels and candle's f32 matrix multiply at
//! the shapes a Marian/NLLB decoding step and encoder multiply, in GFLOP/s and % of peak.
//!
//!   kernels [SECONDS_PER_CASE]    default 1.0

use std::time::Instant;

use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};
use toex_kernels::peak::{Arith, multiply_adds_per_second};
use toex_kernels::{Isa, PackedF32, PackedI8};

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .map_or(1.0, |s| s.parse().expect("SECONDS_PER_CASE is a number"));
    let threads = rayon::current_num_threads();
    let isas = Isa::available();
    println!(
        "== peak: multiply-adds on registers, {threads} threads (GFLOP/s = 2 × multiply-adds)"
    );
    let mut peaks = Vec::new();
    for &isa in isas {
        for arith in [Arith::F32, Arith::Int8] {
            let rate = all_threads(threads, || {
                multiply_adds_per_second(isa, arith, 100_000_000)
            });
            println!(
                "{:>11} {:>5}: {:8.1} GFLOP/s",
                isa.name(),
                label(arith),
                2.0 * rate / 1e9
            );
            peaks.push((isa, arith, 2.0 * rate));
        }
    }
    let peak = |isa, arith| {
        peaks
            .iter()
            .find(|p| p.0 == isa && p.1 == arith)
            .map_or(f64::NAN, |p| p.2)
    };

    // (what, outputs, inputs): Marian at opus-mt-ar-en's dimensions.
    let shapes = [
        ("output projection", 62_834, 512),
        ("self-attention qkv", 1_536, 512),
        ("feed-forward in", 2_048, 512),
        ("feed-forward out", 512, 2_048),
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    println!("\n== products y = x·wᵀ + b: GFLOP/s (% of that kernel's peak)");
    println!(
        "{:<20} {:>5}  {:>18} {:>18} {:>18}",
        "shape", "rows", "candle f32", "toex f32", "toex int8"
    );
    for (what, n, k) in shapes {
        let w: Vec<f32> = (0..n * k).map(|_| rng.random_range(-0.1f32..0.1)).collect();
        let b: Vec<f32> = (0..n).map(|_| rng.random_range(-0.1f32..0.1)).collect();
        let f = PackedF32::new(&w, n, k, Some(&b));
        let q = PackedI8::new(&w, n, k, Some(&b));
        let w_t = Tensor::from_slice(&w, (n, k), &Device::Cpu)
            .unwrap()
            .t()
            .unwrap();
        let isa = Isa::chosen();
        for m in [1usize, 8, 32, 64, 640] {
            let x: Vec<f32> = (0..m * k).map(|_| rng.random_range(-1.0f32..1.0)).collect();
            let xt = Tensor::from_slice(&x, (m, k), &Device::Cpu).unwrap();
            let flop = 2.0 * (m * n * k) as f64;
            let candle = flop
                / time(seconds, || {
                    std::hint::black_box(xt.matmul(&w_t).unwrap());
                });
            let ours = flop
                / time(seconds, || {
                    std::hint::black_box(f.forward(&x, m));
                });
            let int8 = flop
                / time(seconds, || {
                    std::hint::black_box(q.forward(&x, m));
                });
            let cell =
                |rate: f64, peak: f64| format!("{:7.1} ({:4.0}%)", rate / 1e9, 100.0 * rate / peak);
            println!(
                "{what:<20} {m:>5}  {:>18} {:>18} {:>18}",
                cell(candle, peak(isa, Arith::F32)),
                cell(ours, peak(isa, Arith::F32)),
                cell(int8, peak(isa, Arith::Int8)),
            );
        }
    }
    println!(
        "\nkernels chosen: {} (TOEX_CPU_KERNEL picks a slower one)",
        Isa::chosen().name()
    );
}

fn label(arith: Arith) -> &'static str {
    match arith {
        Arith::F32 => "f32",
        Arith::Int8 => "int8",
    }
}

/// The summed rate of `f` run on every thread at once.
fn all_threads(threads: usize, f: impl Fn() -> f64 + Sync) -> f64 {
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..threads).map(|_| s.spawn(&f)).collect();
        runs.into_iter()
            .map(|r| r.join().expect("peak thread"))
            .sum()
    })
}

/// Seconds per call of `f`, the best of repeated runs over about `seconds`.
fn time(seconds: f64, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut best = f64::INFINITY;
    while start.elapsed().as_secs_f64() < seconds {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}
