//! The network's blocks: feed-forward, sinusoidal positions, and the encoder and decoder
//! layers, post-norm (Marian) or pre-norm (M2M100); attention, with a source padding mask
//! and a growing self-attention cache, is the shared [`crate::attention`].

use super::*;

pub(super) fn swish() -> String {
    "swish".to_owned()
}

pub(super) fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Activation {
    Swish,
    Relu,
    Gelu,
}

impl Activation {
    pub(super) fn parse(name: &str) -> Result<Self, InferenceError> {
        match name {
            "swish" | "silu" => Ok(Self::Swish),
            "relu" => Ok(Self::Relu),
            "gelu" | "gelu_new" => Ok(Self::Gelu),
            other => Err(InferenceError::Model(format!(
                "activation function {other:?} is not supported"
            ))),
        }
    }

    pub(super) fn apply(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Swish => crate::ops::silu(x),
            Self::Relu => x.relu(),
            Self::Gelu => crate::ops::gelu_erf(x),
        }
    }
}

pub(super) struct FeedForward {
    pub(super) fc1: Proj,
    pub(super) fc2: Proj,
    pub(super) act: Activation,
    pub(super) norm: LayerNorm,
}

impl FeedForward {
    pub(super) fn load(
        d: usize,
        ffn: usize,
        act: Activation,
        vb: &VarBuilder,
        p: Precision,
    ) -> candle_core::Result<Self> {
        let lin = |name: &str, out: usize, inp: usize| {
            Proj::new(
                vb.pp(name).get((out, inp), "weight")?,
                Some(vb.pp(name).get(out, "bias")?),
                p,
            )
        };
        Ok(Self {
            fc1: lin("fc1", ffn, d)?,
            fc2: lin("fc2", d, ffn)?,
            act,
            norm: candle_nn::layer_norm(d, 1e-5, vb.pp("final_layer_norm"))?,
        })
    }

    /// The residual block, normalised after (Marian) or before (M2M100).
    pub(super) fn forward(&self, x: &Tensor, family: Family) -> candle_core::Result<Tensor> {
        let inner = |x: &Tensor| self.fc2.forward(&self.act.apply(&self.fc1.forward(x)?)?);
        match family {
            Family::Marian => self.norm.forward(&(inner(x)? + x)?),
            Family::M2M100 => inner(&self.norm.forward(x)?)? + x,
        }
    }
}

pub(super) struct EncoderLayer {
    pub(super) attn: Attention,
    pub(super) attn_norm: LayerNorm,
    pub(super) ffn: FeedForward,
}

pub(super) struct DecoderLayer {
    pub(super) self_attn: Attention,
    pub(super) self_norm: LayerNorm,
    pub(super) cross_attn: Attention,
    pub(super) cross_norm: LayerNorm,
    pub(super) ffn: FeedForward,
}

/// Per decoder layer: the self-attention cache (grown each step) and the encoder's keys
/// and values (computed once); keys transposed.
pub(super) struct LayerState {
    pub(super) self_kv: KvCache,
    pub(super) cross_kv: (Tensor, Tensor),
}

/// A sinusoidal position table: sines in the first half, cosines in the second, row `p`
/// at angle `p × 10000^(−i/h)` for `i < d/2`, where `h` is `d/2` (Marian's) or `d/2 − 1`
/// (fairseq's, `fairseq`: M2M100's).
pub(super) fn sinusoids(
    positions: usize,
    dim: usize,
    fairseq: bool,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let half = dim / 2;
    let h = if fairseq {
        half.saturating_sub(1).max(1)
    } else {
        half
    } as f64;
    let mut table = vec![0f32; positions * dim];
    for p in 0..positions {
        for i in 0..half {
            let angle = p as f64 * (-(10000f64.ln()) * i as f64 / h).exp();
            table[p * dim + i] = angle.sin() as f32;
            table[p * dim + half + i] = angle.cos() as f32;
        }
    }
    Tensor::from_vec(table, (positions, dim), device)
}

impl EncoderLayer {
    pub(super) fn load(
        c: &Seq2SeqConfig,
        act: Activation,
        l: &VarBuilder,
        p: Precision,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            attn: Attention::load(
                c.d_model,
                c.encoder_attention_heads,
                false,
                QueryScale::InWeights,
                &l.pp("self_attn"),
                p,
            )?,
            attn_norm: candle_nn::layer_norm(c.d_model, 1e-5, l.pp("self_attn_layer_norm"))?,
            ffn: FeedForward::load(c.d_model, c.encoder_ffn_dim, act, l, p)?,
        })
    }

    pub(super) fn forward(
        &self,
        x: &Tensor,
        mask: &Tensor,
        family: Family,
    ) -> candle_core::Result<Tensor> {
        let x = match family {
            Family::Marian => {
                let h = self.attn.over_itself(x, Some(mask))?;
                self.attn_norm.forward(&(h + x)?)?
            }
            Family::M2M100 => {
                (self
                    .attn
                    .over_itself(&self.attn_norm.forward(x)?, Some(mask))?
                    + x)?
            }
        };
        self.ffn.forward(&x, family)
    }
}

impl DecoderLayer {
    pub(super) fn load(
        c: &Seq2SeqConfig,
        act: Activation,
        l: &VarBuilder,
        p: Precision,
    ) -> candle_core::Result<Self> {
        let attention = |name: &str, cross: bool| {
            Attention::load(
                c.d_model,
                c.decoder_attention_heads,
                cross,
                QueryScale::InWeights,
                &l.pp(name),
                p,
            )
        };
        let norm = |name: &str| candle_nn::layer_norm(c.d_model, 1e-5, l.pp(name));
        Ok(Self {
            self_attn: attention("self_attn", false)?,
            self_norm: norm("self_attn_layer_norm")?,
            cross_attn: attention("encoder_attn", true)?,
            cross_norm: norm("encoder_attn_layer_norm")?,
            ffn: FeedForward::load(c.d_model, c.decoder_ffn_dim, act, l, p)?,
        })
    }

    /// One step of this layer over the newest position.
    pub(super) fn forward(
        &self,
        x: &Tensor,
        s: &mut LayerState,
        source_mask: &Tensor,
        family: Family,
    ) -> candle_core::Result<Tensor> {
        let x = match family {
            Family::Marian => {
                let h = self.self_attn.self_attend(x, &mut s.self_kv, None)?;
                let x = self.self_norm.forward(&(h + x)?)?;
                let h = self.cross_attn.cross(&x, &s.cross_kv, Some(source_mask))?;
                self.cross_norm.forward(&(h + &x)?)?
            }
            Family::M2M100 => {
                let h = self.self_norm.forward(x)?;
                let x = (self.self_attn.self_attend(&h, &mut s.self_kv, None)? + x)?;
                let h = self.cross_norm.forward(&x)?;
                (self.cross_attn.cross(&h, &s.cross_kv, Some(source_mask))? + &x)?
            }
        };
        self.ffn.forward(&x, family)
    }
}
