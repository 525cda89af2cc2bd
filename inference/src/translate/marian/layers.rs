//! The Marian network: feed-forward blocks, sinusoidal positions, and the encoder and
//! decoder steps (attention, with a source padding mask and a growing self-attention
//! cache, is the shared [`crate::attention`]).

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
            Self::Swish => candle_nn::ops::silu(x),
            Self::Relu => x.relu(),
            Self::Gelu => x.gelu_erf(),
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

    /// Post-norm residual block.
    pub(super) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.fc2.forward(&self.act.apply(&self.fc1.forward(x)?)?)?;
        self.norm.forward(&(h + x)?)
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

/// The sinusoidal position table Marian uses: sines in the first half, cosines in the
/// second, frequencies 1/10000^(2i/d).
pub(super) fn sinusoids(
    positions: usize,
    dim: usize,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let half = dim / 2;
    let mut table = vec![0f32; positions * dim];
    for p in 0..positions {
        for i in 0..half {
            let angle = p as f64 / 10000f64.powf(2.0 * i as f64 / dim as f64);
            table[p * dim + i] = angle.sin() as f32;
            table[p * dim + half + i] = angle.cos() as f32;
        }
    }
    Tensor::from_vec(table, (positions, dim), device)
}

impl MarianModel {
    /// Builds the model from weights named as Hugging Face's `MarianMTModel` names them.
    pub fn load(
        config: MarianConfig,
        vb: VarBuilder,
        device: &Device,
        p: Precision,
    ) -> Result<Self, InferenceError> {
        let c = &config;
        let heads_fit = |h: usize| h > 0 && c.d_model.is_multiple_of(h);
        if !heads_fit(c.encoder_attention_heads) || !heads_fit(c.decoder_attention_heads) {
            return Err(InferenceError::Model(
                "d_model is not a multiple of the attention heads".into(),
            ));
        }
        if c.decoder_vocab_size.is_some_and(|v| v != c.vocab_size) {
            return Err(InferenceError::Model(
                "separate source and target vocabularies are not supported".into(),
            ));
        }
        let act = Activation::parse(&c.activation_function)?;
        let load = || -> candle_core::Result<Self> {
            let m = vb.pp("model");
            let shared = candle_nn::embedding(c.vocab_size, c.d_model, m.pp("shared"))?;
            let mut bias = if vb.contains_tensor("final_logits_bias") {
                vb.get((1, c.vocab_size), "final_logits_bias")?
                    .flatten_all()?
                    .to_vec1::<f32>()?
            } else {
                vec![0f32; c.vocab_size]
            };
            // The padding token is never a real output.
            if let Some(b) = bias.get_mut(c.pad_token_id as usize) {
                *b = f32::NEG_INFINITY;
            }
            let lm_head = Proj::new(
                shared.embeddings().clone(),
                Some(Tensor::from_vec(bias, c.vocab_size, device)?),
                p,
            )?;
            // The encoder runs once per batch over every source position (hundreds of rows
            // at batch 32), where f32 gemm outruns candle's Q8_0 kernel; int8 pays in the
            // decoding steps, so the encoder stays f32 (as Whisper's does).
            let encoder_p = Precision::F32;
            let mut encoder = Vec::with_capacity(c.encoder_layers);
            for i in 0..c.encoder_layers {
                let l = m.pp("encoder").pp("layers").pp(i);
                encoder.push(EncoderLayer {
                    attn: Attention::load(
                        c.d_model,
                        c.encoder_attention_heads,
                        false,
                        QueryScale::InWeights,
                        &l.pp("self_attn"),
                        encoder_p,
                    )?,
                    attn_norm: candle_nn::layer_norm(
                        c.d_model,
                        1e-5,
                        l.pp("self_attn_layer_norm"),
                    )?,
                    ffn: FeedForward::load(c.d_model, c.encoder_ffn_dim, act, &l, encoder_p)?,
                });
            }
            let mut decoder = Vec::with_capacity(c.decoder_layers);
            for i in 0..c.decoder_layers {
                let l = m.pp("decoder").pp("layers").pp(i);
                decoder.push(DecoderLayer {
                    self_attn: Attention::load(
                        c.d_model,
                        c.decoder_attention_heads,
                        false,
                        QueryScale::InWeights,
                        &l.pp("self_attn"),
                        p,
                    )?,
                    self_norm: candle_nn::layer_norm(
                        c.d_model,
                        1e-5,
                        l.pp("self_attn_layer_norm"),
                    )?,
                    cross_attn: Attention::load(
                        c.d_model,
                        c.decoder_attention_heads,
                        true,
                        QueryScale::InWeights,
                        &l.pp("encoder_attn"),
                        p,
                    )?,
                    cross_norm: candle_nn::layer_norm(
                        c.d_model,
                        1e-5,
                        l.pp("encoder_attn_layer_norm"),
                    )?,
                    ffn: FeedForward::load(c.d_model, c.decoder_ffn_dim, act, &l, p)?,
                });
            }
            Ok(Self {
                shared,
                lm_head,
                positions: sinusoids(c.max_position_embeddings, c.d_model, device)?,
                encoder,
                decoder,
                embed_scale: if c.scale_embedding {
                    (c.d_model as f64).sqrt()
                } else {
                    1.0
                },
                device: device.clone(),
                config: c.clone(),
            })
        };
        load().map_err(|e| {
            InferenceError::Model(format!("loading the Marian weights: {}", first_line(e)))
        })
    }

    pub fn config(&self) -> &MarianConfig {
        &self.config
    }

    pub(super) fn embed(&self, ids: &Tensor, start: usize) -> candle_core::Result<Tensor> {
        let (_, t) = ids.dims2()?;
        let x = (self.shared.forward(ids)? * self.embed_scale)?;
        x.broadcast_add(&self.positions.narrow(0, start, t)?.unsqueeze(0)?)
    }

    /// Encodes a padded batch: (batch, len) ids and, per row, how many are real.
    /// Returns the states and the additive mask over source positions (batch, 1, 1, len).
    pub(super) fn encode(
        &self,
        ids: &Tensor,
        lengths: &[usize],
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let (b, t) = ids.dims2()?;
        let mut mask = vec![0f32; b * t];
        for (row, &len) in lengths.iter().enumerate() {
            for m in &mut mask[row * t + len..(row + 1) * t] {
                *m = f32::NEG_INFINITY;
            }
        }
        let mask = Tensor::from_vec(mask, (b, 1, 1, t), &self.device)?;
        let mut x = self.embed(ids, 0)?;
        for layer in &self.encoder {
            let h = layer.attn.over_itself(&x, Some(&mask))?;
            x = layer.ffn.forward(&layer.attn_norm.forward(&(h + &x)?)?)?;
        }
        Ok((x, mask))
    }

    /// The decoder's per-layer state for these encoder states.
    pub(super) fn start_state(&self, encoded: &Tensor) -> candle_core::Result<Vec<LayerState>> {
        self.decoder
            .iter()
            .map(|l| {
                Ok(LayerState {
                    self_kv: KvCache::default(),
                    cross_kv: l.cross_attn.cross_keys_values(encoded)?,
                })
            })
            .collect()
    }

    /// One decoding step: the previous token of each row at position `step`; returns
    /// the logits over the vocabulary (batch, vocab).
    pub(super) fn step(
        &self,
        tokens: &Tensor,
        step: usize,
        state: &mut [LayerState],
        source_mask: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let mut x = self.embed(tokens, step)?;
        for (layer, s) in self.decoder.iter().zip(state.iter_mut()) {
            let h = layer.self_attn.self_attend(&x, &mut s.self_kv, None)?;
            x = layer.self_norm.forward(&(h + &x)?)?;
            let h = layer.cross_attn.cross(&x, &s.cross_kv, Some(source_mask))?;
            x = layer.cross_norm.forward(&(h + &x)?)?;
            x = layer.ffn.forward(&x)?;
        }
        self.lm_head.forward(&x.i((.., 0, ..))?)
    }

    /// Keeps rows `rows` of every cache (beam search reorders and prunes hypotheses).
    pub(super) fn select_rows(state: &mut [LayerState], rows: &Tensor) -> candle_core::Result<()> {
        for s in state {
            s.self_kv.select_rows(rows)?;
            s.cross_kv = (
                s.cross_kv.0.index_select(rows, 0)?,
                s.cross_kv.1.index_select(rows, 0)?,
            );
        }
        Ok(())
    }
}
