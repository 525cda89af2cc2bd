//! The CPU's peak for the kernels' arithmetic: independent multiply-adds on registers
//! alone (no memory), the ceiling a kernel's achieved rate is set against.

use std::time::Instant;

use super::Isa;

/// Which arithmetic to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    /// f32 fused multiply-adds.
    F32,
    /// int8 × int8 products summed into 32 bits (the int8 kernel's instructions).
    Int8,
}

/// Multiply-adds per second on the calling thread, over `rounds` rounds of 12
/// independent vector instructions (enough to hide their latency).
pub fn multiply_adds_per_second(isa: Isa, arith: Arith, rounds: u64) -> f64 {
    let start = Instant::now();
    let per_round = run(isa, arith, rounds);
    (per_round * rounds) as f64 / start.elapsed().as_secs_f64()
}

/// Runs the rounds; returns the multiply-adds one round does.
fn run(isa: Isa, arith: Arith, rounds: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Portable {
        assert!(
            Isa::available().contains(&isa),
            "this CPU has no {}",
            isa.name()
        );
        // SAFETY: the CPU has `isa`'s instructions (checked above).
        return unsafe { x86::run(isa, arith, rounds) };
    }
    let _ = (isa, arith);
    let mut acc = [1f32; 12];
    for _ in 0..rounds {
        for a in &mut acc {
            *a = std::hint::black_box(*a).mul_add(0.999, 1e-3);
        }
    }
    std::hint::black_box(acc);
    12
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::hint::black_box;

    use super::{Arith, Isa};

    /// # Safety
    /// The CPU must have `isa`'s instructions.
    pub(super) unsafe fn run(isa: Isa, arith: Arith, rounds: u64) -> u64 {
        // SAFETY: the caller's promise, passed on.
        unsafe {
            match (isa, arith) {
                (Isa::Avx512Vnni, Arith::F32) => fma512(rounds),
                (Isa::Avx512Vnni, Arith::Int8) => dot512(rounds),
                (Isa::AvxVnni, Arith::Int8) => dot256(rounds),
                (_, Arith::F32) => fma256(rounds),
                (_, Arith::Int8) => maddubs256(rounds),
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    fn fma512(rounds: u64) -> u64 {
        let mut acc = [_mm512_set1_ps(1.0); 12];
        let (a, b) = (
            black_box(_mm512_set1_ps(0.999)),
            black_box(_mm512_set1_ps(1e-3)),
        );
        for _ in 0..rounds {
            for v in &mut acc {
                *v = _mm512_fmadd_ps(*v, a, b);
            }
        }
        black_box(acc);
        12 * 16
    }

    #[target_feature(enable = "avx2,fma")]
    fn fma256(rounds: u64) -> u64 {
        let mut acc = [_mm256_set1_ps(1.0); 12];
        let (a, b) = (
            black_box(_mm256_set1_ps(0.999)),
            black_box(_mm256_set1_ps(1e-3)),
        );
        for _ in 0..rounds {
            for v in &mut acc {
                *v = _mm256_fmadd_ps(*v, a, b);
            }
        }
        black_box(acc);
        12 * 8
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    fn dot512(rounds: u64) -> u64 {
        let mut acc = [_mm512_setzero_si512(); 12];
        let (a, b) = (
            black_box(_mm512_set1_epi8(3)),
            black_box(_mm512_set1_epi8(-2)),
        );
        for _ in 0..rounds {
            for v in &mut acc {
                *v = _mm512_dpbusd_epi32(*v, a, b);
            }
        }
        black_box(acc);
        12 * 64
    }

    #[target_feature(enable = "avx2,avxvnni")]
    fn dot256(rounds: u64) -> u64 {
        let mut acc = [_mm256_setzero_si256(); 12];
        let (a, b) = (
            black_box(_mm256_set1_epi8(3)),
            black_box(_mm256_set1_epi8(-2)),
        );
        for _ in 0..rounds {
            for v in &mut acc {
                *v = _mm256_dpbusd_avx_epi32(*v, a, b);
            }
        }
        black_box(acc);
        12 * 32
    }

    /// The AVX2 int8 kernel's three instructions per 32 products.
    #[target_feature(enable = "avx2")]
    fn maddubs256(rounds: u64) -> u64 {
        let mut acc = [_mm256_setzero_si256(); 12];
        let b = black_box(_mm256_set1_epi8(-2));
        let ones = _mm256_set1_epi16(1);
        for _ in 0..rounds {
            for v in &mut acc {
                // Fed from the accumulator, so nothing can be hoisted out of the loop.
                let p = _mm256_madd_epi16(_mm256_maddubs_epi16(*v, b), ones);
                *v = _mm256_add_epi32(*v, p);
            }
        }
        black_box(acc);
        12 * 32
    }
}
