//! The encoder–decoder translation network on candle, for both families toex loads:
//! Marian (OPUS-MT: normalisation after each block, sinusoids from position 0) and
//! M2M100 (NLLB-200: normalisation before each block and after each stack, fairseq's
//! sinusoids from position 2, a forced target-language token). Its own decoding path: a
//! source padding mask, so a padded batch translates exactly as each line alone; the
//! encoder's keys and values computed once per batch for every decoder layer; a
//! self-attention cache grown one step at a time; only the newest position projected
//! onto the vocabulary; greedy decoding and beam search; a length guard against runaway
//! output. Weights as Hugging Face names them, from `model.safetensors` or
//! `pytorch_model.bin`, or from a CTranslate2 folder's `model.bin` ([`ct2`]).

pub mod ct2;
mod generate;
mod layers;

use std::path::Path;

use candle_core::{D, DType, Device, IndexOp, Tensor};
use candle_nn::{LayerNorm, Module, VarBuilder};
use serde::Deserialize;

use crate::InferenceError;
use crate::attention::{Attention, KvCache, QueryScale};
use crate::error::{first_line, weights_digest};
use crate::linear::{Precision, Proj, TiedEmbedding};

pub use self::generate::*;
use self::layers::*;

pub(crate) fn model_err(e: impl std::fmt::Display) -> InferenceError {
    InferenceError::Model(first_line(e))
}

/// Which network a `config.json` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `marian`: post-norm blocks, positions from 0.
    Marian,
    /// `m2m_100` (NLLB-200, M2M100): pre-norm blocks, a final norm after each stack,
    /// positions offset by the padding id + 1.
    M2M100,
}

/// The fields of a Hugging Face `config.json` (Marian or M2M100) that the model needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Seq2SeqConfig {
    #[serde(default)]
    pub model_type: Option<String>,
    pub vocab_size: usize,
    #[serde(default)]
    pub decoder_vocab_size: Option<usize>,
    pub max_position_embeddings: usize,
    pub d_model: usize,
    pub encoder_layers: usize,
    pub encoder_attention_heads: usize,
    pub encoder_ffn_dim: usize,
    pub decoder_layers: usize,
    pub decoder_attention_heads: usize,
    pub decoder_ffn_dim: usize,
    #[serde(default = "swish")]
    pub activation_function: String,
    #[serde(default = "yes")]
    pub scale_embedding: bool,
    pub pad_token_id: u32,
    pub eos_token_id: u32,
    #[serde(default)]
    pub decoder_start_token_id: Option<u32>,
    #[serde(default)]
    pub unk_token_id: Option<u32>,
}

impl Seq2SeqConfig {
    /// `config.json` of a Hugging Face model folder, or the settings of a CTranslate2 one.
    pub fn read(dir: &Path) -> Result<Self, InferenceError> {
        if ct2::is_ct2(dir) {
            return ct2::config(dir);
        }
        let path = dir.join("config.json");
        let err =
            |e: &dyn std::fmt::Display| InferenceError::Model(format!("{}: {e}", path.display()));
        serde_json::from_slice(&std::fs::read(&path).map_err(|e| err(&e))?).map_err(|e| err(&e))
    }

    /// The network's family, from `model_type` (Marian when absent).
    pub fn family(&self) -> Result<Family, InferenceError> {
        match self.model_type.as_deref() {
            None | Some("marian") => Ok(Family::Marian),
            Some("m2m_100" | "nllb") => Ok(Family::M2M100),
            Some(other) => Err(InferenceError::Model(format!(
                "model_type {other:?} is not a translation network toex runs (marian, m2m_100)"
            ))),
        }
    }
}

/// A translation network's weights.
pub struct Seq2Seq {
    config: Seq2SeqConfig,
    family: Family,
    shared: TiedEmbedding,
    /// Vocabulary projection: the shared embeddings, with `final_logits_bias` and the
    /// padding token ruled out (−∞) as its bias.
    lm_head: Proj,
    /// Rows from the first position's (`position_offset` rows are skipped).
    positions: Tensor,
    position_offset: usize,
    encoder: Vec<EncoderLayer>,
    decoder: Vec<DecoderLayer>,
    /// M2M100's norms after the encoder and decoder stacks.
    final_norms: Option<(LayerNorm, LayerNorm)>,
    embed_scale: f64,
    device: Device,
}

/// The weights of a model folder (`model.safetensors`, else `pytorch_model.bin`, else a
/// CTranslate2 `model.bin`), with the first 12 hex digits of their SHA-256.
pub fn read_weights(
    dir: &Path,
    device: &Device,
) -> Result<(VarBuilder<'static>, String), InferenceError> {
    if ct2::is_ct2(dir) {
        return ct2::weights(dir, device);
    }
    let safetensors = dir.join("model.safetensors");
    let pytorch = dir.join("pytorch_model.bin");
    let path = if safetensors.is_file() || !pytorch.is_file() {
        safetensors
    } else {
        pytorch
    };
    let err = |e: &dyn std::fmt::Display| {
        InferenceError::Model(format!("{}: {}", path.display(), first_line(e)))
    };
    let bytes = std::fs::read(&path).map_err(|e| err(&e))?;
    let hex = weights_digest(&bytes);
    let vb = if path.extension().is_some_and(|e| e == "bin") {
        drop(bytes);
        VarBuilder::from_pth(&path, DType::F32, device).map_err(|e| err(&e))?
    } else {
        VarBuilder::from_buffered_safetensors(bytes, DType::F32, device).map_err(|e| err(&e))?
    };
    Ok((vb, hex))
}

impl Seq2Seq {
    /// Builds the network from weights named as Hugging Face's `MarianMTModel` or
    /// `M2M100ForConditionalGeneration` names them.
    pub fn load(
        config: Seq2SeqConfig,
        vb: VarBuilder,
        device: &Device,
        p: Precision,
    ) -> Result<Self, InferenceError> {
        let c = &config;
        let family = c.family()?;
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
            // Some checkpoints keep the bare model's names (no `model.` prefix).
            let m = if vb.contains_tensor("model.shared.weight") {
                vb.pp("model")
            } else {
                vb.clone()
            };
            let shared = m.pp("shared").get((c.vocab_size, c.d_model), "weight")?;
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
                shared.clone(),
                Some(Tensor::from_vec(bias, c.vocab_size, device)?),
                p,
            )?;
            // int8 quantises the encoder too (as CTranslate2's int8 does): its products over
            // every source position run on the int8 kernel about twice as fast as in f32.
            let encoder = (0..c.encoder_layers)
                .map(|i| EncoderLayer::load(c, act, &m.pp("encoder").pp("layers").pp(i), p))
                .collect::<candle_core::Result<_>>()?;
            let decoder = (0..c.decoder_layers)
                .map(|i| DecoderLayer::load(c, act, &m.pp("decoder").pp("layers").pp(i), p))
                .collect::<candle_core::Result<_>>()?;
            let (positions, position_offset, final_norms) = match family {
                Family::Marian => (
                    sinusoids(c.max_position_embeddings, c.d_model, false, device)?,
                    0,
                    None,
                ),
                Family::M2M100 => {
                    let offset = c.pad_token_id as usize + 1;
                    let norm = |stack: &str| {
                        candle_nn::layer_norm(c.d_model, 1e-5, m.pp(stack).pp("layer_norm"))
                    };
                    (
                        sinusoids(c.max_position_embeddings + offset, c.d_model, true, device)?,
                        offset,
                        Some((norm("encoder")?, norm("decoder")?)),
                    )
                }
            };
            Ok(Self {
                family,
                shared: TiedEmbedding::new(shared, &lm_head),
                lm_head,
                positions,
                position_offset,
                encoder,
                decoder,
                final_norms,
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
            InferenceError::Model(format!("loading the {family:?} weights: {}", first_line(e)))
        })
    }

    pub fn config(&self) -> &Seq2SeqConfig {
        &self.config
    }

    pub fn family(&self) -> Family {
        self.family
    }

    fn embed(&self, ids: &Tensor, start: usize) -> candle_core::Result<Tensor> {
        let (_, t) = ids.dims2()?;
        let x = (self.shared.forward(ids, &self.lm_head)? * self.embed_scale)?;
        let positions = self.positions.narrow(0, start + self.position_offset, t)?;
        x.broadcast_add(&positions.unsqueeze(0)?)
    }

    /// Encodes a padded batch: (batch, len) ids and, per row, how many are real.
    /// Returns the states and the additive mask over source positions (batch, 1, 1, len).
    fn encode(&self, ids: &Tensor, lengths: &[usize]) -> candle_core::Result<(Tensor, Tensor)> {
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
            x = layer.forward(&x, &mask, self.family)?;
        }
        if let Some((encoder_norm, _)) = &self.final_norms {
            x = encoder_norm.forward(&x)?;
        }
        Ok((x, mask))
    }

    /// The decoder's per-layer state for these encoder states.
    fn start_state(&self, encoded: &Tensor) -> candle_core::Result<Vec<LayerState>> {
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
    fn step(
        &self,
        tokens: &Tensor,
        step: usize,
        state: &mut [LayerState],
        source_mask: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let mut x = self.embed(tokens, step)?;
        for (layer, s) in self.decoder.iter().zip(state.iter_mut()) {
            x = layer.forward(&x, s, source_mask, self.family)?;
        }
        if let Some((_, decoder_norm)) = &self.final_norms {
            x = decoder_norm.forward(&x)?;
        }
        self.lm_head.forward(&x.i((.., 0, ..))?)
    }

    /// Keeps rows `rows` of every cache (beam search reorders and prunes hypotheses).
    fn select_rows(state: &mut [LayerState], rows: &Tensor) -> candle_core::Result<()> {
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
