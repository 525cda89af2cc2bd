//! The x86-64 int8 tile kernels: up to 12 rows × 32 outputs with 512-bit VNNI, 6 rows with
//! 256-bit VNNI, 4 rows with AVX2; accumulators stay in registers for the whole dot product.

use std::arch::x86_64::*;

use super::Isa;
use super::blocks::BLOCK;
use super::int8::Line;

/// Rows one tile takes on `isa` (what its registers hold).
pub(super) fn max_rows(isa: Isa) -> usize {
    match isa {
        Isa::Avx512Vnni => 12,
        Isa::AvxVnni => 6,
        Isa::Avx2 => 4,
        Isa::Portable => 1,
    }
}

/// One tile: `rows` (≤ `max_rows(isa)`) rows of `x`, `k4` bytes apart, against block `w`.
///
/// # Safety
/// The CPU must have `isa`'s instructions; `w` holds the block's `k4 / 2` lines and `x`
/// at least `rows · k4` bytes.
pub(super) unsafe fn tile(
    isa: Isa,
    w: &[Line],
    x: &[u8],
    k4: usize,
    rows: usize,
    acc: &mut [[i32; BLOCK]],
) -> usize {
    macro_rules! by_rows {
        ($kernel:ident, $($r:literal)+) => {
            match rows {
                // SAFETY: the caller's promise, passed on.
                $($r => unsafe { $kernel::<$r>(w, x, k4, acc) },)+
                _ => unreachable!("a tile has 1 to {} rows", max_rows(isa)),
            }
        };
    }
    match isa {
        Isa::Avx512Vnni => by_rows!(vnni512, 1 2 3 4 5 6 7 8 9 10 11 12),
        Isa::AvxVnni => by_rows!(vnni256, 1 2 3 4 5 6),
        Isa::Avx2 => by_rows!(avx2, 1 2 3 4),
        Isa::Portable => unreachable!("the portable kernel is not x86 code"),
    }
    rows
}

/// Four bytes of row `r` at group `g`, as one 32-bit lane to broadcast.
#[inline(always)]
unsafe fn group(x: &[u8], k4: usize, r: usize, g: usize) -> i32 {
    // SAFETY: the caller's bounds: r < rows and g < k4 / 4.
    unsafe {
        x.as_ptr()
            .add(r * k4 + 4 * g)
            .cast::<i32>()
            .read_unaligned()
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn vnni512<const R: usize>(w: &[Line], x: &[u8], k4: usize, acc: &mut [[i32; BLOCK]]) {
    let lines = w.as_ptr().cast::<__m512i>();
    let mut lo = [_mm512_setzero_si512(); R];
    let mut hi = [_mm512_setzero_si512(); R];
    for g in 0..k4 / 4 {
        // SAFETY: lines 2g and 2g + 1 are in the block; the rows are in `x`.
        unsafe {
            let w0 = _mm512_load_si512(lines.add(2 * g));
            let w1 = _mm512_load_si512(lines.add(2 * g + 1));
            for r in 0..R {
                let xb = _mm512_set1_epi32(group(x, k4, r, g));
                lo[r] = _mm512_dpbusd_epi32(lo[r], xb, w0);
                hi[r] = _mm512_dpbusd_epi32(hi[r], xb, w1);
            }
        }
    }
    for r in 0..R {
        // SAFETY: each row of `acc` holds 32 lanes: 16 at 0, 16 at 16.
        unsafe {
            _mm512_storeu_si512(acc[r].as_mut_ptr().cast(), lo[r]);
            _mm512_storeu_si512(acc[r][16..].as_mut_ptr().cast(), hi[r]);
        }
    }
}

#[target_feature(enable = "avx2,avxvnni")]
unsafe fn vnni256<const R: usize>(w: &[Line], x: &[u8], k4: usize, acc: &mut [[i32; BLOCK]]) {
    let lines = w.as_ptr().cast::<__m256i>();
    // Each half of the block (16 outputs, one line per group) in turn: 2 × R accumulators.
    for half in 0..2 {
        let mut a = [_mm256_setzero_si256(); R];
        let mut b = [_mm256_setzero_si256(); R];
        for g in 0..k4 / 4 {
            // SAFETY: line 2g + half is in the block; the rows are in `x`.
            unsafe {
                let w0 = _mm256_load_si256(lines.add(4 * g + 2 * half));
                let w1 = _mm256_load_si256(lines.add(4 * g + 2 * half + 1));
                for r in 0..R {
                    let xb = _mm256_set1_epi32(group(x, k4, r, g));
                    a[r] = _mm256_dpbusd_avx_epi32(a[r], xb, w0);
                    b[r] = _mm256_dpbusd_avx_epi32(b[r], xb, w1);
                }
            }
        }
        for r in 0..R {
            // SAFETY: lanes 16·half to 16·half + 16 of a 32-lane row.
            unsafe {
                _mm256_storeu_si256(acc[r][16 * half..].as_mut_ptr().cast(), a[r]);
                _mm256_storeu_si256(acc[r][16 * half + 8..].as_mut_ptr().cast(), b[r]);
            }
        }
    }
}

/// Signed activations: `|w| · (x signed as w)` by `vpmaddubsw` cannot saturate, since
/// both are at most 127 in size, and `vpmaddwd` by ones sums each pair into 32 bits.
#[target_feature(enable = "avx2")]
unsafe fn avx2<const R: usize>(w: &[Line], x: &[u8], k4: usize, acc: &mut [[i32; BLOCK]]) {
    let lines = w.as_ptr().cast::<__m256i>();
    let ones = _mm256_set1_epi16(1);
    for half in 0..2 {
        let mut a = [_mm256_setzero_si256(); R];
        let mut b = [_mm256_setzero_si256(); R];
        for g in 0..k4 / 4 {
            // SAFETY: line 2g + half is in the block; the rows are in `x`.
            unsafe {
                let w0 = _mm256_load_si256(lines.add(4 * g + 2 * half));
                let w1 = _mm256_load_si256(lines.add(4 * g + 2 * half + 1));
                let (m0, m1) = (_mm256_abs_epi8(w0), _mm256_abs_epi8(w1));
                for r in 0..R {
                    let xb = _mm256_set1_epi32(group(x, k4, r, g));
                    let p0 = _mm256_maddubs_epi16(m0, _mm256_sign_epi8(xb, w0));
                    let p1 = _mm256_maddubs_epi16(m1, _mm256_sign_epi8(xb, w1));
                    a[r] = _mm256_add_epi32(a[r], _mm256_madd_epi16(p0, ones));
                    b[r] = _mm256_add_epi32(b[r], _mm256_madd_epi16(p1, ones));
                }
            }
        }
        for r in 0..R {
            // SAFETY: lanes 16·half to 16·half + 16 of a 32-lane row.
            unsafe {
                _mm256_storeu_si256(acc[r][16 * half..].as_mut_ptr().cast(), a[r]);
                _mm256_storeu_si256(acc[r][16 * half + 8..].as_mut_ptr().cast(), b[r]);
            }
        }
    }
}
