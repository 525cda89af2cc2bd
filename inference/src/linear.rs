//! Linear projections for inference on candle, shared by the translation and speech
//! models: f32 through candle's matrix multiply for many rows, a host dot-product kernel
//! for the few rows of a decoding step, or int8 (Q8_0) weights.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{D, DType, Module, Tensor};
use candle_nn::VarBuilder;

/// How matrix multiplies run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// f32 weights and activations.
    #[default]
    F32,
    /// Weights quantised to 8 bits per value in blocks of 32 (Q8_0), activations
    /// quantised on the fly: int8 dot products on CPU.
    Int8,
}

/// A linear projection, f32 or quantised.
pub enum Proj {
    F32 {
        w_t: Tensor,
        b: Option<Tensor>,
        /// On the CPU, the (out, in) weights as plain rows, for decoding steps.
        rows: Option<HostRows>,
    },
    Q8 {
        mm: QMatMul,
        b: Option<Tensor>,
    },
}

/// Weights and bias read in place on the CPU for a few-row product: a decoding step
/// multiplies one row per hypothesis, where a general matrix multiply spends more time
/// packing and dispatching than reading the weights. Here every weight row is read once,
/// as one dot product per input row, the output rows split across the pool's threads.
pub struct HostRows {
    /// The (out, in) weights, contiguous, sharing the storage of `Proj::F32::w_t`.
    w: Tensor,
    b: Option<Vec<f32>>,
    inputs: usize,
}

/// Runs `f` over the f32 elements of a contiguous CPU tensor where they lie (no copy).
pub(crate) fn on_host<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> candle_core::Result<R> {
    let (storage, layout) = t.storage_and_layout();
    let candle_core::Storage::Cpu(cpu) = &*storage else {
        candle_core::bail!("the host path needs a CPU tensor");
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("the host path needs a contiguous tensor");
    };
    Ok(f(&cpu.as_slice::<f32>()?[start..end]))
}

/// Input rows at most for the host path.
const HOST_ROWS: usize = 64;

impl HostRows {
    fn outputs(&self) -> usize {
        self.w.dims()[0]
    }

    fn forward(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<f32>> {
        use rayon::prelude::*;
        let k = self.inputs;
        let n = self.outputs();
        // Output-major: out_t[o * m + r], so each weight row's results are contiguous.
        let mut out_t = vec![0f32; n * m];
        const BLOCK: usize = 64;
        on_host(&self.w, |w| {
            out_t
                .par_chunks_mut(BLOCK * m)
                .zip(w.par_chunks(BLOCK * k))
                .for_each(|(out, w)| tile_products(w, x, k, m, out))
        })?;
        let mut y = vec![0f32; m * n];
        for o in 0..n {
            let bias = self.b.as_ref().map_or(0.0, |b| b[o]);
            for r in 0..m {
                y[r * n + o] = out_t[o * m + r] + bias;
            }
        }
        Ok(y)
    }
}

/// `a * b + c`, one rounding where the CPU has fused multiply-add.
#[inline(always)]
fn madd(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(target_feature = "fma")]
    {
        a.mul_add(b, c)
    }
    #[cfg(not(target_feature = "fma"))]
    {
        a * b + c
    }
}

/// A dot product in eight lanes (vectorised by the compiler).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] = madd(x[i], y[i], acc[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `acc += a * b`, lane by lane, over eight lanes.
#[inline(always)]
fn lanes8(acc: &mut [f32; 8], a: &[f32], b: &[f32]) {
    let (a, b): (&[f32; 8], &[f32; 8]) = (
        a.try_into().expect("eight lanes"),
        b.try_into().expect("eight lanes"),
    );
    for l in 0..8 {
        acc[l] = madd(a[l], b[l], acc[l]);
    }
}

/// `out[o * m + r] = w_o · x_r` for the weight rows of `w` and the `m` input rows of `x`
/// (all `k` long). Four weight rows by two input rows at a time, eight lanes each: every
/// value loaded feeds two or four products, so a batch of rows is bound by arithmetic,
/// not by loads, and the weights are still read once.
fn tile_products(w: &[f32], x: &[f32], k: usize, m: usize, out: &mut [f32]) {
    const WR: usize = 4;
    const XR: usize = 2;
    let rows = w.len() / k;
    let lanes = k / 8 * 8;
    fn nth(t: &[f32], i: usize, k: usize) -> &[f32] {
        &t[i * k..(i + 1) * k]
    }
    let mut o = 0;
    while o + WR <= rows && lanes > 0 {
        let ws: [&[f32]; WR] = std::array::from_fn(|i| &nth(w, o + i, k)[..lanes]);
        let mut r = 0;
        while r + XR <= m {
            let xs: [&[f32]; XR] = std::array::from_fn(|j| &nth(x, r + j, k)[..lanes]);
            let steps = ws[0]
                .chunks_exact(8)
                .zip(ws[1].chunks_exact(8))
                .zip(ws[2].chunks_exact(8))
                .zip(ws[3].chunks_exact(8))
                .zip(xs[0].chunks_exact(8))
                .zip(xs[1].chunks_exact(8));
            // Eight named accumulators, so the compiler keeps them in registers.
            let [
                mut a00,
                mut a01,
                mut a10,
                mut a11,
                mut a20,
                mut a21,
                mut a30,
                mut a31,
            ] = [[0f32; 8]; WR * XR];
            for (((((w0, w1), w2), w3), x0), x1) in steps {
                lanes8(&mut a00, w0, x0);
                lanes8(&mut a01, w0, x1);
                lanes8(&mut a10, w1, x0);
                lanes8(&mut a11, w1, x1);
                lanes8(&mut a20, w2, x0);
                lanes8(&mut a21, w2, x1);
                lanes8(&mut a30, w3, x0);
                lanes8(&mut a31, w3, x1);
            }
            let acc = [[a00, a01], [a10, a11], [a20, a21], [a30, a31]];
            for i in 0..WR {
                for j in 0..XR {
                    let tail = dot(&nth(w, o + i, k)[lanes..], &nth(x, r + j, k)[lanes..]);
                    out[(o + i) * m + r + j] = acc[i][j].iter().sum::<f32>() + tail;
                }
            }
            r += XR;
        }
        for r in r..m {
            for i in 0..WR {
                out[(o + i) * m + r] = dot(nth(w, o + i, k), nth(x, r, k));
            }
        }
        o += WR;
    }
    for o in o..rows {
        for r in 0..m {
            out[o * m + r] = dot(nth(w, o, k), nth(x, r, k));
        }
    }
}

impl Proj {
    /// `w` is (out, in) as Hugging Face stores it; `b` is (out).
    pub fn new(w: Tensor, b: Option<Tensor>, precision: Precision) -> candle_core::Result<Self> {
        let cpu = w.device().is_cpu();
        let (_, inputs) = w.dims2()?;
        if precision == Precision::Int8 && cpu && inputs.is_multiple_of(32) {
            let q = QTensor::quantize(&w, GgmlDType::Q8_0)?;
            return Ok(Self::Q8 {
                mm: QMatMul::from_qtensor(q)?,
                b,
            });
        }
        // Many-row products (the encoder) go to gemm through a transposed view of the
        // (out, in) rows; few-row ones (decoding steps) to the host kernel on the CPU.
        let w = w.contiguous()?;
        let rows = if cpu {
            Some(HostRows {
                w: w.clone(),
                b: b.as_ref().map(|b| b.to_vec1()).transpose()?,
                inputs,
            })
        } else {
            None
        };
        Ok(Self::F32 {
            w_t: w.t()?,
            b,
            rows,
        })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (y, b) = match self {
            Self::F32 {
                rows: Some(host), ..
            } if x.elem_count() / x.dim(D::Minus1)? <= HOST_ROWS => {
                let dims = x.dims();
                let m = x.elem_count() / dims[dims.len() - 1];
                let input: Vec<f32> = x.flatten_all()?.to_vec1()?;
                let mut out = dims.to_vec();
                *out.last_mut().expect("rank ≥ 1") = host.outputs();
                return Tensor::from_vec(host.forward(&input, m)?, out, x.device());
            }
            Self::F32 { w_t, b, .. } => {
                let dims = x.dims();
                let rows: usize = dims[..dims.len() - 1].iter().product();
                let y = x.reshape((rows, dims[dims.len() - 1]))?.matmul(w_t)?;
                let mut out = dims.to_vec();
                *out.last_mut().expect("rank ≥ 1") = w_t.dim(1)?;
                (y.reshape(out)?, b)
            }
            Self::Q8 { mm, b } => (mm.forward(x)?, b),
        };
        match b {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

/// The projections of one attention block, fused as decoding wants them.
pub struct AttentionProj {
    /// Self-attention: q, k and v in one product; cross-attention: q alone.
    pub q_or_qkv: Proj,
    /// Cross-attention: k and v in one product (applied to the encoder's states once).
    pub kv: Option<Proj>,
    pub out: Proj,
}

impl AttentionProj {
    /// Loads `q_proj`, `k_proj`, `v_proj` and `out_proj` under `vb` as Hugging Face names
    /// them ((d, d) weights; a missing bias is zero), the queries multiplied by `q_scale`.
    pub fn load(
        d: usize,
        cross: bool,
        q_scale: f64,
        vb: &VarBuilder,
        p: Precision,
    ) -> candle_core::Result<Self> {
        let w = |name: &str| vb.pp(name).get((d, d), "weight");
        let b = |name: &str| -> candle_core::Result<Tensor> {
            let v = vb.pp(name);
            if v.contains_tensor("bias") {
                v.get(d, "bias")
            } else {
                Tensor::zeros(d, DType::F32, vb.device())
            }
        };
        let (q, qb) = ((w("q_proj")? * q_scale)?, (b("q_proj")? * q_scale)?);
        let (k, kb, v, vb_) = (w("k_proj")?, b("k_proj")?, w("v_proj")?, b("v_proj")?);
        let fused = |ws: &[&Tensor], bs: &[&Tensor]| {
            Proj::new(Tensor::cat(ws, 0)?, Some(Tensor::cat(bs, 0)?), p)
        };
        let (q_or_qkv, kv) = if cross {
            // The encoder's keys and values are projected once per window over all its
            // positions: a many-row product, where f32 gemm outruns candle's Q8_0 kernel.
            let kv = Proj::new(
                Tensor::cat(&[&k, &v], 0)?,
                Some(Tensor::cat(&[&kb, &vb_], 0)?),
                Precision::F32,
            )?;
            (Proj::new(q, Some(qb), p)?, Some(kv))
        } else {
            (fused(&[&q, &k, &v], &[&qb, &kb, &vb_])?, None)
        };
        Ok(Self {
            q_or_qkv,
            kv,
            out: Proj::new(w("out_proj")?, Some(b("out_proj")?), p)?,
        })
    }
}
