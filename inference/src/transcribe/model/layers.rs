//! Whisper's layers: attention (self and cross, with their caches), the MLP, and the
//! encoder and decoder blocks.

use super::*;

pub(super) struct Attention {
    /// Self-attention: q, k and v in one product; cross-attention: q alone.
    pub(super) q_or_qkv: Proj,
    /// Cross-attention: k and v in one product (applied to the encoder's states once).
    pub(super) kv: Option<Proj>,
    pub(super) out: Proj,
    pub(super) heads: usize,
    pub(super) head_dim: usize,
}

impl Attention {
    pub(super) fn load(
        d: usize,
        heads: usize,
        cross: bool,
        vb: VarBuilder,
        p: Precision,
    ) -> candle_core::Result<Self> {
        let AttentionProj { q_or_qkv, kv, out } = AttentionProj::load(d, cross, 1.0, &vb, p)?;
        Ok(Self {
            q_or_qkv,
            kv,
            out,
            heads,
            head_dim: d / heads,
        })
    }

    /// (batch, len, d) → (batch, heads, len, head_dim).
    pub(super) fn split(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// (batch, len, d) → keys transposed: (batch, heads, head_dim, len).
    pub(super) fn split_t(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .permute((0, 2, 3, 1))?
            .contiguous()
    }

    /// Cross-attention keys (transposed) and values of the encoder's states.
    pub(super) fn cross_kv(&self, encoded: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let d = self.heads * self.head_dim;
        let kv = self
            .kv
            .as_ref()
            .expect("a cross-attention layer")
            .forward(encoded)?;
        Ok((
            self.split_t(&kv.narrow(2, 0, d)?)?,
            self.split(&kv.narrow(2, d, d)?)?,
        ))
    }

    pub(super) fn attend(
        &self,
        q: &Tensor,
        keys_t: &Tensor,
        values: &Tensor,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (b, _, t, _) = q.dims4()?;
        let scale = (self.head_dim as f64).powf(-0.5);
        let scores = (q * scale)?.matmul(keys_t)?;
        let scores = match mask {
            Some(m) => scores.broadcast_add(m)?,
            None => scores,
        };
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let ctx =
            probs
                .matmul(values)?
                .transpose(1, 2)?
                .reshape((b, t, self.heads * self.head_dim))?;
        self.out.forward(&ctx)
    }

    /// Self-attention of `x` (new positions), growing `cache` (keys transposed, values).
    pub(super) fn self_attend(
        &self,
        x: &Tensor,
        cache: &mut Option<(Tensor, Tensor)>,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let d = self.heads * self.head_dim;
        let qkv = self.q_or_qkv.forward(x)?;
        let q = self.split(&qkv.narrow(2, 0, d)?)?;
        let k = self.split_t(&qkv.narrow(2, d, d)?)?;
        let v = self.split(&qkv.narrow(2, 2 * d, d)?)?;
        let (k, v) = match cache.take() {
            Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 3)?, Tensor::cat(&[&pv, &v], 2)?),
            None => (k, v),
        };
        let out = self.attend(&q, &k, &v, mask)?;
        *cache = Some((k, v));
        Ok(out)
    }

    /// [`Self::cross_attend`] for one position per row on the CPU, straight over memory:
    /// per (row, head), scores as a sum of key rows scaled by the query, a softmax, and the
    /// context as a sum of value rows scaled by the weights, the pairs across threads.
    pub(super) fn cross_attend_host(
        &self,
        x: &Tensor,
        kv: &(Tensor, Tensor),
    ) -> candle_core::Result<Tensor> {
        let (rows, _, d) = x.dims3()?;
        let q: Vec<f32> = self.q_or_qkv.forward(x)?.flatten_all()?.to_vec1()?;
        let (windows, _, positions, _) = kv.1.dims4()?;
        let ctx = on_host(&kv.0, |keys_t| {
            on_host(&kv.1, |values| {
                self.cross_context(&q, keys_t, values, rows, rows / windows.max(1), positions)
            })
        })??;
        self.out
            .forward(&Tensor::from_vec(ctx, (rows, 1, d), x.device())?)
    }

    /// The context of each (row, head) over one window's transposed keys
    /// (windows, heads, head_dim, positions) and values (windows, heads, positions,
    /// head_dim); `per` rows to a window.
    pub(super) fn cross_context(
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
        let d = self.heads * hd;
        let per = per.max(1);
        let scale = (hd as f32).powf(-0.5);
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
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for s in &mut scores {
                *s = (*s - max).exp();
                sum += *s;
            }
            for (p, value_row) in scores.iter().zip(values.chunks_exact(hd)) {
                let p = p / sum;
                for (o, v) in out.iter_mut().zip(value_row) {
                    *o += p * v;
                }
            }
        });
        ctx
    }

    /// Cross-attention of one new position per row over the encoder's keys and values,
    /// which hold one row per window: the rows of a window (its beam hypotheses) are
    /// queried together, as several queries of one window, so the keys and values are
    /// never copied per hypothesis.
    pub(super) fn cross_attend(
        &self,
        x: &Tensor,
        kv: &(Tensor, Tensor),
    ) -> candle_core::Result<Tensor> {
        let (rows, t, d) = x.dims3()?;
        let windows = kv.0.dim(0)?;
        if t != 1 || rows == windows {
            let q = self.split(&self.q_or_qkv.forward(x)?)?;
            return self.attend(&q, &kv.0, &kv.1, None);
        }
        let per = rows / windows;
        let q = self
            .q_or_qkv
            .forward(x)?
            .reshape((windows, per, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()?;
        let scale = (self.head_dim as f64).powf(-0.5);
        let probs = candle_nn::ops::softmax_last_dim(&(q * scale)?.matmul(&kv.0)?)?;
        let ctx = probs
            .matmul(&kv.1)?
            .transpose(1, 2)?
            .reshape((rows, 1, d))?;
        self.out.forward(&ctx)
    }
}

pub(super) struct Mlp {
    pub(super) fc1: Proj,
    pub(super) fc2: Proj,
}

impl Mlp {
    pub(super) fn load(d: usize, vb: &VarBuilder, p: Precision) -> candle_core::Result<Self> {
        let ffn = vb.pp("fc1").get_unchecked("weight")?.dim(0)?;
        Ok(Self {
            fc1: Proj::new(
                vb.pp("fc1").get((ffn, d), "weight")?,
                Some(vb.pp("fc1").get(ffn, "bias")?),
                p,
            )?,
            fc2: Proj::new(
                vb.pp("fc2").get((d, ffn), "weight")?,
                Some(vb.pp("fc2").get(d, "bias")?),
                p,
            )?,
        })
    }

    pub(super) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.fc2.forward(&self.fc1.forward(x)?.gelu_erf()?)
    }
}

pub(super) struct EncoderLayer {
    pub(super) attn: Attention,
    pub(super) attn_ln: LayerNorm,
    pub(super) mlp: Mlp,
    pub(super) mlp_ln: LayerNorm,
}

pub(super) struct DecoderLayer {
    pub(super) attn: Attention,
    pub(super) attn_ln: LayerNorm,
    pub(super) cross: Attention,
    pub(super) cross_ln: LayerNorm,
    pub(super) mlp: Mlp,
    pub(super) mlp_ln: LayerNorm,
}

/// Per decoder layer: the self-attention cache and the encoder's keys and values.
pub struct LayerState {
    pub(super) self_kv: Option<(Tensor, Tensor)>,
    pub(super) cross_kv: (Tensor, Tensor),
}

pub(super) fn ln(d: usize, vb: VarBuilder) -> candle_core::Result<LayerNorm> {
    candle_nn::layer_norm(d, 1e-5, vb)
}
