//! One multi-head attention for the encoder–decoder models (Whisper, Marian): fused
//! projections, keys kept transposed so every step multiplies them as they lie, a
//! self-attention cache grown one step at a time (`kv_cache`), and cross-attention over
//! encoder states projected once — for one row per source or for several hypotheses of it.

use candle_core::Tensor;
use candle_nn::VarBuilder;

use crate::kv_cache::Heads;
pub use crate::kv_cache::KvCache;
use crate::linear::{AttentionProj, Precision, Proj, on_host};

/// Queries whose scores are computed together on the CPU (see `Attention::attend`).
const QUERY_CHUNK: usize = 256;

/// softmax(q · keys_t + mask) · values for queries `q` (batch, heads, queries, head_dim).
fn weigh(
    q: &Tensor,
    keys_t: &Tensor,
    values: &Tensor,
    mask: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    let scores = q.matmul(keys_t)?;
    let scores = match mask {
        Some(m) => scores.broadcast_add(m)?,
        None => scores,
    };
    crate::ops::softmax_last_dim(&scores)?.matmul(values)
}

/// Where the queries' 1/√head_dim scale is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryScale {
    /// Folded into the query projection's weights at load (Marian).
    InWeights,
    /// Multiplied into the queries at every step (Whisper, as its reference does).
    AtRun,
}

/// An attention block with its projections.
pub struct Attention {
    /// Self-attention: q, k and v in one product; cross-attention: q alone.
    q_or_qkv: Proj,
    /// Cross-attention: k and v in one product (applied to the encoder's states once).
    kv: Option<Proj>,
    out: Proj,
    heads: usize,
    head_dim: usize,
    /// The scale still to apply to the queries: 1 when it is in the weights.
    run_scale: f64,
}

impl Attention {
    /// Loads `q_proj`, `k_proj`, `v_proj` and `out_proj` under `vb` (see
    /// [`AttentionProj::load`]) for `heads` heads of width `d / heads`.
    pub fn load(
        d: usize,
        heads: usize,
        cross: bool,
        scale: QueryScale,
        vb: &VarBuilder,
        p: Precision,
    ) -> candle_core::Result<Self> {
        let head_dim = d / heads;
        let factor = (head_dim as f64).powf(-0.5);
        let (in_weights, run_scale) = match scale {
            QueryScale::InWeights => (factor, 1.0),
            QueryScale::AtRun => (1.0, factor),
        };
        let AttentionProj { q_or_qkv, kv, out } = AttentionProj::load(d, cross, in_weights, vb, p)?;
        Ok(Self {
            q_or_qkv,
            kv,
            out,
            heads,
            head_dim,
            run_scale,
        })
    }

    fn width(&self) -> usize {
        self.heads * self.head_dim
    }

    /// (batch, len, d) → (batch, heads, len, head_dim).
    fn split(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// Keys transposed (batch, heads, head_dim, len) and values (batch, heads, len,
    /// head_dim) from a (batch, len, 2·d) product: the layouts the two attention products
    /// want, so a cache of them is used as it is at every step.
    fn keys_values_of(&self, kv: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let (b, t, _) = kv.dims3()?;
        let d = self.width();
        let keys_t = kv
            .narrow(2, 0, d)?
            .reshape((b, t, self.heads, self.head_dim))?
            .permute((0, 2, 3, 1))?
            .contiguous()?;
        Ok((keys_t, self.split(&kv.narrow(2, d, d)?)?))
    }

    /// Cross-attention: the encoder states' keys and values, computed once.
    pub fn cross_keys_values(&self, encoded: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let kv = self.kv.as_ref().expect("a cross-attention layer");
        self.keys_values_of(&kv.forward(encoded)?)
    }

    /// Self-attention: the queries (split by head), keys and values of `x`.
    fn self_qkv(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
        let y = self.q_or_qkv.forward(x)?;
        let d = self.width();
        let q = self.split(&y.narrow(2, 0, d)?)?;
        let (k, v) = self.keys_values_of(&y.narrow(2, d, 2 * d)?)?;
        Ok((q, k, v))
    }

    /// The queries scaled as the model wants them.
    fn scaled(&self, q: Tensor) -> candle_core::Result<Tensor> {
        if self.run_scale == 1.0 {
            Ok(q)
        } else {
            q * self.run_scale
        }
    }

    /// Attention of queries `q` (split by head) over transposed `keys_t` and `values`;
    /// `mask` is added to the scores (0 or −∞, broadcast over heads and queries).
    fn attend(
        &self,
        q: Tensor,
        keys_t: &Tensor,
        values: &Tensor,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (b, _, t, _) = q.dims4()?;
        let q = self.scaled(q)?;
        // On the CPU many queries (an encoder's 1,500 positions) go in chunks of rows, so
        // the scores held at once are heads × QUERY_CHUNK × keys, not heads × t × keys.
        let same_for_every_query = mask.is_none_or(|m| m.rank() == 4 && m.dims()[2] == 1);
        let ctx = if q.device().is_cpu() && t > QUERY_CHUNK && same_for_every_query {
            let chunks = (0..t)
                .step_by(QUERY_CHUNK)
                .map(|s| {
                    let q = q.narrow(2, s, QUERY_CHUNK.min(t - s))?.contiguous()?;
                    weigh(&q, keys_t, values, mask)
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            Tensor::cat(&chunks, 2)?
        } else {
            weigh(&q, keys_t, values, mask)?
        };
        self.out
            .forward(&ctx.transpose(1, 2)?.reshape((b, t, self.width()))?)
    }

    /// Self-attention of `x` over itself (an encoder layer; `mask` as in `attend`).
    pub fn over_itself(&self, x: &Tensor, mask: Option<&Tensor>) -> candle_core::Result<Tensor> {
        let (q, k, v) = self.self_qkv(x)?;
        self.attend(q, &k, &v, mask)
    }

    /// Causal self-attention of `x` (the new positions) over them and everything in
    /// `cache`, which grows by them: each new position sees itself and what came before.
    /// On a device `mask` says so for several new positions (it must be that causal
    /// mask); on the CPU the cache is read in place and the rule applied directly.
    pub fn self_attend(
        &self,
        x: &Tensor,
        cache: &mut KvCache,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        if !x.device().is_cpu() {
            let (q, k, v) = self.self_qkv(x)?;
            let (k, v) = cache.grow(k, v)?;
            return self.attend(q, &k, &v, mask);
        }
        let (rows, t, _) = x.dims3()?;
        let heads = Heads {
            heads: self.heads,
            head_dim: self.head_dim,
            scale: self.run_scale as f32,
        };
        let qkv = self.q_or_qkv.forward(x)?;
        let ctx = on_host(&qkv, |qkv| cache.attend_host(qkv, rows, t, heads))??;
        self.out
            .forward(&Tensor::from_vec(ctx, (rows, t, self.width()), x.device())?)
    }

    /// Cross-attention of `x` over the encoder's keys and values, one row of them per
    /// row of `x`; `mask` hides source padding.
    pub fn cross(
        &self,
        x: &Tensor,
        kv: &(Tensor, Tensor),
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let q = self.split(&self.q_or_qkv.forward(x)?)?;
        self.attend(q, &kv.0, &kv.1, mask)
    }

    /// Cross-attention of one new position per row over keys and values that hold one
    /// row per source: the rows of a source (its beam hypotheses, in order) are queried
    /// together, as several queries of one source, so the keys and values are never
    /// copied per hypothesis. No padding mask: every source fills its positions.
    pub fn cross_grouped(&self, x: &Tensor, kv: &(Tensor, Tensor)) -> candle_core::Result<Tensor> {
        let (rows, t, d) = x.dims3()?;
        let sources = kv.0.dim(0)?;
        if t != 1 || rows == sources {
            return self.cross(x, kv, None);
        }
        let per = rows / sources;
        let q = self
            .q_or_qkv
            .forward(x)?
            .reshape((sources, per, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()?;
        let probs = crate::ops::softmax_last_dim(&self.scaled(q)?.matmul(&kv.0)?)?;
        let ctx = probs
            .matmul(&kv.1)?
            .transpose(1, 2)?
            .reshape((rows, 1, d))?;
        self.out.forward(&ctx)
    }

    /// [`Self::cross_grouped`] on the CPU, straight over memory: per (row, head), scores
    /// as a sum of key rows scaled by the query, a softmax, and the context as a sum of
    /// value rows scaled by the weights, the pairs across threads.
    pub fn cross_grouped_host(
        &self,
        x: &Tensor,
        kv: &(Tensor, Tensor),
    ) -> candle_core::Result<Tensor> {
        let (rows, _, d) = x.dims3()?;
        let q: Vec<f32> = self.q_or_qkv.forward(x)?.flatten_all()?.to_vec1()?;
        let (sources, _, positions, _) = kv.1.dims4()?;
        let ctx = on_host(&kv.0, |keys_t| {
            on_host(&kv.1, |values| {
                self.cross_context(&q, keys_t, values, rows, rows / sources.max(1), positions)
            })
        })??;
        self.out
            .forward(&Tensor::from_vec(ctx, (rows, 1, d), x.device())?)
    }

    /// The context of each (row, head) over one source's transposed keys
    /// (sources, heads, head_dim, positions) and values (sources, heads, positions,
    /// head_dim); `per` rows to a source.
    fn cross_context(
        &self,
        q: &[f32],
        keys_t: &[f32],
        values: &[f32],
        rows: usize,
        per: usize,
        positions: usize,
    ) -> Vec<f32> {
        use rayon::prelude::*;
        let hd = self.head_dim;
        let d = self.width();
        let per = per.max(1);
        let scale = self.run_scale as f32;
        let mut ctx = vec![0f32; rows * d];
        ctx.par_chunks_mut(hd).enumerate().for_each(|(pair, out)| {
            let (row, head) = (pair / self.heads, pair % self.heads);
            let block = (row / per) * self.heads + head;
            let keys = &keys_t[block * hd * positions..(block + 1) * hd * positions];
            let values = &values[block * positions * hd..(block + 1) * positions * hd];
            let query = &q[row * d + head * hd..row * d + (head + 1) * hd];
            let mut scores = vec![0f32; positions];
            for (qd, key_row) in query.iter().zip(keys.chunks_exact(positions)) {
                let qd = qd * scale;
                for (s, k) in scores.iter_mut().zip(key_row) {
                    *s += qd * k;
                }
            }
            toex_kernels::softmax_rows(&mut scores, positions);
            for (&p, value_row) in scores.iter().zip(values.chunks_exact(hd)) {
                for (o, v) in out.iter_mut().zip(value_row) {
                    *o += p * v;
                }
            }
        });
        ctx
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use candle_core::{DType, Device, IndexOp};

    use super::*;

    const D: usize = 16;
    const HEADS: usize = 4;

    /// An attention block with seeded random projections.
    fn block(cross: bool, scale: QueryScale) -> Attention {
        let device = Device::Cpu;
        let mut tensors = HashMap::new();
        for (i, name) in ["q_proj", "k_proj", "v_proj", "out_proj"]
            .iter()
            .enumerate()
        {
            let w = Tensor::randn(0f32, 0.3, (D, D), &device).unwrap();
            let b = (Tensor::ones(D, DType::F32, &device).unwrap() * (0.01 * i as f64)).unwrap();
            tensors.insert(format!("{name}.weight"), w);
            tensors.insert(format!("{name}.bias"), b);
        }
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        Attention::load(D, HEADS, cross, scale, &vb, Precision::F32).unwrap()
    }

    fn close(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    #[test]
    fn a_cached_step_by_step_decode_equals_masked_attention_over_the_whole_sequence() {
        for scale in [QueryScale::InWeights, QueryScale::AtRun] {
            let a = block(false, scale);
            let x = Tensor::randn(0f32, 1.0, (2, 5, D), &Device::Cpu).unwrap();
            let causal: Vec<f32> = (0..5)
                .flat_map(|i| (0..5).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
                .collect();
            let mask = Tensor::from_vec(causal, (1, 1, 5, 5), &Device::Cpu).unwrap();
            let whole = a.over_itself(&x, Some(&mask)).unwrap();
            let mut cache = KvCache::default();
            let steps: Vec<Tensor> = (0..5)
                .map(|t| {
                    a.self_attend(&x.narrow(1, t, 1).unwrap(), &mut cache, None)
                        .unwrap()
                })
                .collect();
            let stepped = Tensor::cat(&steps, 1).unwrap();
            assert!(close(&whole, &stepped) < 1e-5, "{scale:?}");
        }
    }

    #[test]
    fn a_host_cache_prompted_then_reordered_equals_attention_over_the_reordered_sequence() {
        // Whisper's first step carries several positions (its prompt); beam search then
        // reorders and duplicates rows between steps.
        let a = block(false, QueryScale::AtRun);
        let x = Tensor::randn(0f32, 1.0, (2, 5, D), &Device::Cpu).unwrap();
        let causal: Vec<f32> = (0..5)
            .flat_map(|i| (0..5).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        let mask = Tensor::from_vec(causal, (1, 1, 5, 5), &Device::Cpu).unwrap();
        let rows = Tensor::new(&[1u32, 1, 0], &Device::Cpu).unwrap();
        let reordered = x.index_select(&rows, 0).unwrap();
        let whole = a.over_itself(&reordered, Some(&mask)).unwrap();
        let mut cache = KvCache::default();
        let prompt = a
            .self_attend(&x.narrow(1, 0, 3).unwrap(), &mut cache, None)
            .unwrap();
        cache.select_rows(&rows).unwrap();
        let prompt = prompt.index_select(&rows, 0).unwrap();
        let next: Vec<Tensor> = (3..5)
            .map(|t| {
                a.self_attend(&reordered.narrow(1, t, 1).unwrap(), &mut cache, None)
                    .unwrap()
            })
            .collect();
        let stepped = Tensor::cat(&[&prompt, &next[0], &next[1]], 1).unwrap();
        assert!(close(&whole, &stepped) < 1e-5);
        assert!(
            cache
                .select_rows(&Tensor::new(&[3u32], &Device::Cpu).unwrap())
                .is_err()
        );
    }

    #[test]
    fn grouped_cross_attention_on_device_and_host_equals_one_copy_per_hypothesis() {
        let a = block(true, QueryScale::AtRun);
        let (sources, per, positions) = (2, 3, 7);
        let encoded = Tensor::randn(0f32, 1.0, (sources, positions, D), &Device::Cpu).unwrap();
        let kv = a.cross_keys_values(&encoded).unwrap();
        let x = Tensor::randn(0f32, 1.0, (sources * per, 1, D), &Device::Cpu).unwrap();
        let rows: Vec<u32> = (0..sources * per).map(|r| (r / per) as u32).collect();
        let rows = Tensor::new(rows.as_slice(), &Device::Cpu).unwrap();
        let copied = (
            kv.0.index_select(&rows, 0).unwrap(),
            kv.1.index_select(&rows, 0).unwrap(),
        );
        let reference = a.cross(&x, &copied, None).unwrap();
        let grouped = a.cross_grouped(&x, &kv).unwrap();
        let host = a.cross_grouped_host(&x, &kv).unwrap();
        assert!(close(&reference, &grouped) < 1e-5);
        assert!(close(&reference, &host) < 1e-5);
        assert_eq!(reference.i(0).unwrap().dims(), &[1, D]);
    }
}
