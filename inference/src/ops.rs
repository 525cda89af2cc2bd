//! Softmax over the last dimension, the erf GELU and SiLU: on the CPU through `toex_kernels`'
//! vectorised exponential (candle's call glibc's scalar `expf` and libm's `erf` per
//! value), rows shared out over threads; on a GPU, candle's own.

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Shape, Tensor};
use rayon::prelude::*;

/// Values one thread's task takes at least.
const TASK: usize = 1 << 14;

/// A contiguous f32 tensor's values.
fn values<'a>(s: &'a CpuStorage, l: &Layout) -> candle_core::Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((from, to))) => Ok(&v[from..to]),
        _ => candle_core::bail!("toex's CPU softmax and activations take contiguous f32"),
    }
}

struct Softmax;

impl CustomOp1 for Softmax {
    fn name(&self) -> &'static str {
        "toex-softmax-last-dim"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let cols = l.dims().last().copied().unwrap_or(1).max(1);
        let mut out = values(s, l)?.to_vec();
        let rows = (TASK / cols).max(1);
        out.par_chunks_mut(rows * cols)
            .for_each(|chunk| toex_kernels::softmax_rows(chunk, cols));
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }
}

/// An activation applied value by value.
struct Activation(&'static str, fn(&mut [f32]));

impl CustomOp1 for Activation {
    fn name(&self) -> &'static str {
        self.0
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let mut out = values(s, l)?.to_vec();
        out.par_chunks_mut(TASK).for_each(self.1);
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }
}

fn on_cpu_f32(x: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == DType::F32
}

/// Softmax over the last dimension.
pub fn softmax_last_dim(x: &Tensor) -> candle_core::Result<Tensor> {
    if on_cpu_f32(x) {
        x.contiguous()?.apply_op1_no_bwd(&Softmax)
    } else {
        candle_nn::ops::softmax_last_dim(x)
    }
}

/// GELU with the exact (erf) normal CDF.
pub fn gelu_erf(x: &Tensor) -> candle_core::Result<Tensor> {
    if on_cpu_f32(x) {
        let op = Activation("toex-gelu-erf", toex_kernels::gelu_erf);
        x.contiguous()?.apply_op1_no_bwd(&op)
    } else {
        x.gelu_erf()
    }
}

/// SiLU (swish), `x · σ(x)`.
pub fn silu(x: &Tensor) -> candle_core::Result<Tensor> {
    if on_cpu_f32(x) {
        let op = Activation("toex-silu", toex_kernels::silu);
        x.contiguous()?.apply_op1_no_bwd(&op)
    } else {
        candle_nn::ops::silu(x)
    }
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    #[test]
    fn softmax_and_gelu_agree_with_candles_on_strided_tensors() {
        let x = Tensor::arange(0f32, 2.0 * 3.0 * 40.0, &Device::Cpu)
            .unwrap()
            .affine(0.37, -20.0)
            .unwrap()
            .reshape((2, 40, 3))
            .unwrap()
            .transpose(1, 2)
            .unwrap();
        let close = |a: &Tensor, b: &Tensor| {
            let gap = (a - b).unwrap().abs().unwrap().max_all().unwrap();
            gap.to_scalar::<f32>().unwrap()
        };
        let ours = softmax_last_dim(&x).unwrap();
        let theirs = candle_nn::ops::softmax_last_dim(&x.contiguous().unwrap()).unwrap();
        assert!(close(&ours, &theirs) < 1e-6);
        assert_eq!(ours.dims(), x.dims());
        assert!(close(&gelu_erf(&x).unwrap(), &x.gelu_erf().unwrap()) < 1e-5);
        assert!(close(&silu(&x).unwrap(), &candle_nn::ops::silu(&x).unwrap()) < 1e-5);
    }
}
