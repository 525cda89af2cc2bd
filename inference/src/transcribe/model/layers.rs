//! Whisper's layers: the MLP, the encoder and decoder blocks (their attention is the
//! shared [`crate::attention`]), and the decoder's per-layer state.

use super::*;

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
        self.fc2
            .forward(&crate::ops::gelu_erf(&self.fc1.forward(x)?)?)
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
    pub(super) self_kv: KvCache,
    pub(super) cross_kv: (Tensor, Tensor),
}

pub(super) fn ln(d: usize, vb: VarBuilder) -> candle_core::Result<LayerNorm> {
    candle_nn::layer_norm(d, 1e-5, vb)
}
