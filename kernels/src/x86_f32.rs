//! The x86-64 f32 tile kernels: up to 12 rows × 32 outputs with 512-bit fused
//! multiply-adds, 6 rows × 16 outputs at a time with 256-bit ones.

use std::arch::x86_64::*;

use super::Isa;
use super::blocks::BLOCK;
use super::f32::Lane;

/// Rows one tile takes on `isa` (what its registers hold).
pub(super) fn max_rows(isa: Isa) -> usize {
    match isa {
        Isa::Avx512Vnni => 12,
        Isa::AvxVnni | Isa::Avx2 => 6,
        Isa::Portable => 1,
    }
}

/// One tile: `rows` (≤ `max_rows(isa)`) rows of `x`, `k` apart, against block `w`.
///
/// # Safety
/// The CPU must have `isa`'s instructions; `w` holds the block's `k` lanes and `x` at
/// least `rows · k` values.
pub(super) unsafe fn tile(
    isa: Isa,
    w: &[Lane],
    x: &[f32],
    k: usize,
    rows: usize,
    acc: &mut [[f32; BLOCK]],
) -> usize {
    macro_rules! by_rows {
        ($kernel:ident, $($r:literal)+) => {
            match rows {
                // SAFETY: the caller's promise, passed on.
                $($r => unsafe { $kernel::<$r>(w, x, k, acc) },)+
                _ => unreachable!("a tile has 1 to {} rows", max_rows(isa)),
            }
        };
    }
    match isa {
        Isa::Avx512Vnni => by_rows!(fma512, 1 2 3 4 5 6 7 8 9 10 11 12),
        Isa::AvxVnni | Isa::Avx2 => by_rows!(fma256, 1 2 3 4 5 6),
        Isa::Portable => unreachable!("the portable kernel is not x86 code"),
    }
    rows
}

#[target_feature(enable = "avx512f")]
unsafe fn fma512<const R: usize>(w: &[Lane], x: &[f32], k: usize, acc: &mut [[f32; BLOCK]]) {
    let lanes = w.as_ptr().cast::<f32>();
    let xs = x.as_ptr();
    let mut lo = [_mm512_setzero_ps(); R];
    let mut hi = [_mm512_setzero_ps(); R];
    for i in 0..k {
        // SAFETY: lane i of the block is 32 floats at 32·i; x[r·k + i] is in `x`.
        unsafe {
            let w0 = _mm512_load_ps(lanes.add(BLOCK * i));
            let w1 = _mm512_load_ps(lanes.add(BLOCK * i + 16));
            for r in 0..R {
                let xb = _mm512_set1_ps(*xs.add(r * k + i));
                lo[r] = _mm512_fmadd_ps(xb, w0, lo[r]);
                hi[r] = _mm512_fmadd_ps(xb, w1, hi[r]);
            }
        }
    }
    for r in 0..R {
        // SAFETY: each row of `acc` holds 32 floats: 16 at 0, 16 at 16.
        unsafe {
            _mm512_storeu_ps(acc[r].as_mut_ptr(), lo[r]);
            _mm512_storeu_ps(acc[r][16..].as_mut_ptr(), hi[r]);
        }
    }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn fma256<const R: usize>(w: &[Lane], x: &[f32], k: usize, acc: &mut [[f32; BLOCK]]) {
    let lanes = w.as_ptr().cast::<f32>();
    let xs = x.as_ptr();
    // Each half of the block (16 outputs) in turn: 2 × R accumulators.
    for half in 0..2 {
        let mut a = [_mm256_setzero_ps(); R];
        let mut b = [_mm256_setzero_ps(); R];
        for i in 0..k {
            // SAFETY: lane i holds 32 floats at 32·i; x[r·k + i] is in `x`.
            unsafe {
                let w0 = _mm256_load_ps(lanes.add(BLOCK * i + 16 * half));
                let w1 = _mm256_load_ps(lanes.add(BLOCK * i + 16 * half + 8));
                for r in 0..R {
                    let xb = _mm256_set1_ps(*xs.add(r * k + i));
                    a[r] = _mm256_fmadd_ps(xb, w0, a[r]);
                    b[r] = _mm256_fmadd_ps(xb, w1, b[r]);
                }
            }
        }
        for r in 0..R {
            // SAFETY: floats 16·half to 16·half + 16 of a 32-float row.
            unsafe {
                _mm256_storeu_ps(acc[r][16 * half..].as_mut_ptr(), a[r]);
                _mm256_storeu_ps(acc[r][16 * half + 8..].as_mut_ptr(), b[r]);
            }
        }
    }
}
