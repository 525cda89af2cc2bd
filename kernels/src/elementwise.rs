//! Softmax, the erf GELU and SiLU over f32 slices, with an exponential the compiler vectorises:
//! glibc's `expf` and libm's `erf` are scalar calls, and an encoder spends a fifth of its
//! time in them (Whisper: every attention score and every feed-forward activation).

use crate::Isa;

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so `n × LN2_HI` is exact for the `n` an f32 exponent can have.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Below this, e^x is under f32's smallest normal: 0.
const EXP_MIN: f32 = -87.336_55;
const EXP_MAX: f32 = 88.722_83;
/// Lanes each loop keeps independent, so it compiles to whole vectors.
const LANES: usize = 16;

/// e^x within about 2 ulp (Cephes' polynomial on x − n ln 2, scaled by 2ⁿ through the
/// exponent bits); 0 below the normal range, saturating above it, NaN as NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let c = x.clamp(EXP_MIN, EXP_MAX);
    let n = (c * LOG2E + 0.5).floor();
    let r = c - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_2e-4f32;
    p = p * r + 1.398_2e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    let e = y * scale;
    if x < EXP_MIN {
        0.0
    } else if x.is_nan() {
        x
    } else {
        e
    }
}

/// erf(x) within 1.5 × 10⁻⁷ (Abramowitz and Stegun 7.1.26).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let mut p = 1.061_405_4f32;
    p = p * t - 1.453_152_1;
    p = p * t + 1.421_413_8;
    p = p * t - 0.284_496_74;
    p = p * t + 0.254_829_6;
    let y = 1.0 - p * t * exp(-z * z);
    y.copysign(x)
}

#[inline(always)]
fn softmax_rows_body(x: &mut [f32], cols: usize) {
    for row in x.chunks_exact_mut(cols) {
        let mut top = [f32::NEG_INFINITY; LANES];
        let mut chunks = row.chunks_exact(LANES);
        for c in &mut chunks {
            for (t, v) in top.iter_mut().zip(c) {
                *t = t.max(*v);
            }
        }
        let mut max = top.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for v in chunks.remainder() {
            max = max.max(*v);
        }
        let mut sums = [0f32; LANES];
        let mut chunks = row.chunks_exact_mut(LANES);
        for c in &mut chunks {
            for (s, v) in sums.iter_mut().zip(c.iter_mut()) {
                *v = exp(*v - max);
                *s += *v;
            }
        }
        let mut sum: f32 = sums.iter().sum();
        for v in chunks.into_remainder() {
            *v = exp(*v - max);
            sum += *v;
        }
        let inv = 1.0 / sum;
        for v in row.iter_mut() {
            *v *= inv;
        }
    }
}

#[inline(always)]
fn gelu_body(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

#[inline(always)]
fn silu_body(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v /= 1.0 + exp(-*v);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn silu_avx512(x: &mut [f32]) {
    silu_body(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn silu_avx2(x: &mut [f32]) {
    silu_body(x)
}

/// SiLU (swish), `x · σ(x)`, in place.
pub fn silu(x: &mut [f32]) {
    match Isa::chosen() {
        // SAFETY: `Isa::chosen` only names instruction sets this CPU has.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512Vnni => unsafe { silu_avx512(x) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above: the CPU has AVX2 and FMA.
        Isa::AvxVnni | Isa::Avx2 => unsafe { silu_avx2(x) },
        _ => silu_body(x),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn softmax_rows_avx512(x: &mut [f32], cols: usize) {
    softmax_rows_body(x, cols)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn softmax_rows_avx2(x: &mut [f32], cols: usize) {
    softmax_rows_body(x, cols)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn gelu_avx512(x: &mut [f32]) {
    gelu_body(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gelu_avx2(x: &mut [f32]) {
    gelu_body(x)
}

/// Softmax of each row of `cols` values in `x` (rows back to back), in place.
pub fn softmax_rows(x: &mut [f32], cols: usize) {
    if cols == 0 {
        return;
    }
    match Isa::chosen() {
        // SAFETY: `Isa::chosen` only names instruction sets this CPU has.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512Vnni => unsafe { softmax_rows_avx512(x, cols) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above: the CPU has AVX2 and FMA.
        Isa::AvxVnni | Isa::Avx2 => unsafe { softmax_rows_avx2(x, cols) },
        _ => softmax_rows_body(x, cols),
    }
}

/// GELU, `x · Φ(x)` with the exact (erf) normal CDF, in place.
pub fn gelu_erf(x: &mut [f32]) {
    match Isa::chosen() {
        // SAFETY: `Isa::chosen` only names instruction sets this CPU has.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512Vnni => unsafe { gelu_avx512(x) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above: the CPU has AVX2 and FMA.
        Isa::AvxVnni | Isa::Avx2 => unsafe { gelu_avx2(x) },
        _ => gelu_body(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulp_and_exact_at_the_edges() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (ours, libm) = (exp(x) as f64, (x as f64).exp());
            worst = worst.max(((ours - libm) / libm).abs());
            x += 0.0137;
        }
        assert!(worst < 2.5e-7, "relative error {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(-100.0), 0.0);
        assert!(exp(f32::NAN).is_nan());
    }

    #[test]
    fn softmax_and_gelu_match_the_scalar_formulas_vectorised_and_portable() {
        let cols = 37;
        let x: Vec<f32> = (0..cols * 5)
            .map(|i| ((i * 7919 % 200) as f32 - 100.0) / 9.0)
            .collect();
        let mut masked = x.clone();
        masked[3] = f32::NEG_INFINITY;
        let mut soft = masked.clone();
        softmax_rows(&mut soft, cols);
        for (row, out) in masked.chunks(cols).zip(soft.chunks(cols)) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f64 = row.iter().map(|v| ((v - max) as f64).exp()).sum();
            for (v, o) in row.iter().zip(out) {
                let want = ((v - max) as f64).exp() / sum;
                assert!((*o as f64 - want).abs() < 1e-6, "{o} vs {want}");
            }
        }
        assert_eq!(soft[3], 0.0, "a masked score weighs nothing");
        let mut swish = x.clone();
        silu(&mut swish);
        for (v, o) in x.iter().zip(&swish) {
            let want = *v as f64 / (1.0 + (-*v as f64).exp());
            assert!(
                (*o as f64 - want).abs() < 1e-6 * (1.0 + v.abs() as f64),
                "{o} vs {want}"
            );
        }
        let mut g = x.clone();
        gelu_erf(&mut g);
        let mut portable = x.clone();
        gelu_body(&mut portable);
        for ((v, o), p) in x.iter().zip(&g).zip(&portable) {
            let want = 0.5 * *v as f64 * (1.0 + libm_erf(*v as f64 / std::f64::consts::SQRT_2));
            assert!(
                (*o as f64 - want).abs() < 2e-6 * (1.0 + v.abs() as f64),
                "{o} vs {want}"
            );
            assert!(
                (o - p).abs() <= 1e-6 * (1.0 + v.abs()),
                "the vector and portable kernels agree"
            );
        }
    }

    /// erf by its series (|x| < 3) or continued fraction, in f64: the reference.
    fn libm_erf(x: f64) -> f64 {
        let z = x.abs();
        let y = if z < 3.0 {
            let (mut term, mut sum, mut n) = (z, z, 0.0);
            while term.abs() > 1e-17 {
                n += 1.0;
                term *= -z * z / n;
                sum += term / (2.0 * n + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            let mut f = 0.0;
            for k in (1..60).rev() {
                f = k as f64 / 2.0 / (z + f);
            }
            1.0 - (-z * z).exp() / std::f64::consts::PI.sqrt() / (z + f)
        };
        y.copysign(x)
    }
}
