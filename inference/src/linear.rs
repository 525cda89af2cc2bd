//! Linear projections for inference on candle, shared by the translation and speech
//! models: on the CPU through toex's packed f32 or int8 kernels (`toex_kernels`), on a
//! GPU through candle's matrix multiply.

use candle_core::{D, DType, Tensor};
use candle_nn::{Module, VarBuilder};

use toex_kernels::{PackedF32, PackedI8};

/// How matrix multiplies run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// f32 weights and activations.
    #[default]
    F32,
    /// Weights quantised to 8 bits with one scale per output, activations with one scale
    /// per row once per product: integer dot products on the CPU (`toex_kernels::PackedI8`).
    Int8,
}

/// A linear projection: on the CPU, weights packed once for toex's kernels; on a GPU,
/// candle's matrix multiply.
pub enum Proj {
    /// f32 on the CPU, the bias inside.
    F32(PackedF32),
    /// int8 on the CPU, the bias inside.
    I8(PackedI8),
    /// On an accelerator: a transposed view of the (out, in) weights for candle.
    Device { w_t: Tensor, b: Option<Tensor> },
}

/// A packed projection's weights of the given outputs, one after the other.
type RowLookup<'a> = &'a dyn Fn(&[usize]) -> Vec<f32>;

/// Token embeddings tied to a model's output projection: on the CPU looked up in the
/// projection's packed weights (so the table is held once: in int8 for an int8 model, as
/// CTranslate2 holds it), on a device in the table.
pub struct TiedEmbedding {
    table: Option<Tensor>,
}

impl TiedEmbedding {
    /// `table` is (vocabulary, d), the weights `head` was made from.
    pub fn new(table: Tensor, head: &Proj) -> Self {
        let table = matches!(head, Proj::Device { .. }).then_some(table);
        Self { table }
    }

    /// The embeddings of `ids` (any shape): that shape and d.
    pub fn forward(&self, ids: &Tensor, head: &Proj) -> candle_core::Result<Tensor> {
        if let Some(table) = &self.table {
            return candle_nn::Embedding::new(table.clone(), table.dim(1)?).forward(ids);
        }
        let (vocabulary, d, rows): (usize, usize, RowLookup<'_>) = match head {
            Proj::F32(p) => (p.outputs(), p.inputs(), &|r| p.weight_rows(r)),
            Proj::I8(p) => (p.outputs(), p.inputs(), &|r| p.weight_rows(r)),
            Proj::Device { .. } => {
                candle_core::bail!("a tied embedding on a device without its table")
            }
        };
        let ids_host: Vec<usize> = ids
            .flatten_all()?
            .to_vec1::<u32>()?
            .iter()
            .map(|&i| i as usize)
            .collect();
        if let Some(&bad) = ids_host.iter().find(|&&i| i >= vocabulary) {
            candle_core::bail!("token {bad} is outside the vocabulary of {vocabulary}");
        }
        let mut dims = ids.dims().to_vec();
        dims.push(d);
        Tensor::from_vec(rows(&ids_host), dims, ids.device())
    }
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

impl Proj {
    /// `w` is (out, in) as Hugging Face stores it; `b` is (out).
    pub fn new(w: Tensor, b: Option<Tensor>, precision: Precision) -> candle_core::Result<Self> {
        if !w.device().is_cpu() {
            return Ok(Self::Device { w_t: w.t()?, b });
        }
        let (outputs, inputs) = w.dims2()?;
        let w = w.contiguous()?;
        let bias = b.as_ref().map(|b| b.to_vec1::<f32>()).transpose()?;
        let bias = bias.as_deref();
        on_host(&w, |w| match precision {
            Precision::F32 => Self::F32(PackedF32::new(w, outputs, inputs, bias)),
            Precision::Int8 => Self::I8(PackedI8::new(w, outputs, inputs, bias)),
        })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let dims = x.dims();
        let (rows, inputs) = (x.elem_count() / x.dim(D::Minus1)?, x.dim(D::Minus1)?);
        let host = |outputs: usize, f: &dyn Fn(&[f32]) -> Vec<f32>| {
            let y = on_host(&x.contiguous()?, f)?;
            let mut out = dims.to_vec();
            *out.last_mut().expect("rank ≥ 1") = outputs;
            Tensor::from_vec(y, out, x.device())
        };
        match self {
            Self::F32(p) => host(p.outputs(), &|x| p.forward(x, rows)),
            Self::I8(p) => host(p.outputs(), &|x| p.forward(x, rows)),
            Self::Device { w_t, b } => {
                let y = x.reshape((rows, inputs))?.matmul(w_t)?;
                let mut out = dims.to_vec();
                *out.last_mut().expect("rank ≥ 1") = w_t.dim(1)?;
                let y = y.reshape(out)?;
                match b {
                    Some(b) => y.broadcast_add(b),
                    None => Ok(y),
                }
            }
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
            // The encoder's keys and values, projected once per source over all its positions.
            let kv = fused(&[&k, &v], &[&kb, &vb_])?;
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
