//! The Whisper network on candle with toex's own decoding path: the encoder run once per
//! batch of 30 s windows; per decoder layer, a self-attention cache grown one step at a
//! time and the cross-attention keys and values computed once per window; fused q/k/v
//! projections; only the newest position projected onto the vocabulary; optional int8
//! projections (`toex_kernels`). Weights come from a Hugging Face directory
//! (`model.safetensors`) or a CTranslate2 one (`model.bin`, fused projections split).

mod convert;
mod layers;

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::{Conv1d, Conv1dConfig, LayerNorm, VarBuilder};
use serde::Deserialize;

use crate::InferenceError;
use crate::attention::{Attention, KvCache, QueryScale};
use crate::ct2::Ct2Model;
use crate::error::{first_line, weights_digest};
use crate::linear::{Precision, Proj, TiedEmbedding};

use self::convert::*;
pub use self::layers::*;

/// Shapes of a Whisper model (from `config.json`, or a CTranslate2 model's tensors).
#[derive(Debug, Clone)]
pub struct WhisperConfig {
    pub n_mels: usize,
    pub d_model: usize,
    pub encoder_layers: usize,
    pub decoder_layers: usize,
    pub encoder_heads: usize,
    pub decoder_heads: usize,
    pub vocab_size: usize,
    /// Encoder positions (1500: 30 s at 20 ms).
    pub audio_ctx: usize,
    /// Decoder positions (448).
    pub text_ctx: usize,
    /// Token ids never sampled (non-speech symbols).
    pub suppress: Vec<u32>,
    /// Token ids not sampled first (a blank, the end).
    pub suppress_begin: Vec<u32>,
}

impl WhisperConfig {
    /// Whisper's multilingual models have 51865 or more tokens; `.en` ones 51864.
    pub fn multilingual(&self) -> bool {
        self.vocab_size >= 51865
    }
}

#[derive(Deserialize)]
struct HfConfig {
    num_mel_bins: usize,
    d_model: usize,
    encoder_layers: usize,
    decoder_layers: usize,
    encoder_attention_heads: usize,
    decoder_attention_heads: usize,
    vocab_size: usize,
    max_source_positions: usize,
    max_target_positions: usize,
    #[serde(default)]
    suppress_tokens: Vec<u32>,
    #[serde(default)]
    begin_suppress_tokens: Vec<u32>,
}

/// The suppression lists of a CTranslate2 `config.json`.
#[derive(Deserialize, Default)]
struct Ct2Config {
    #[serde(default)]
    suppress_ids: Vec<u32>,
    #[serde(default)]
    suppress_ids_begin: Vec<u32>,
}

/// A Whisper model's weights.
pub struct WhisperModel {
    pub config: WhisperConfig,
    conv1: Conv1d,
    conv2: Conv1d,
    positions: Tensor,
    encoder: Vec<EncoderLayer>,
    encoder_ln: LayerNorm,
    embed_tokens: TiedEmbedding,
    decoder_positions: Tensor,
    decoder: Vec<DecoderLayer>,
    decoder_ln: LayerNorm,
    /// The vocabulary projection (the token embeddings, tied), quantised with the rest.
    lm_head: Proj,
    device: Device,
}

impl WhisperModel {
    /// Loads a Whisper directory: CTranslate2 (`model.bin`) when there is one, else
    /// Hugging Face (`config.json` + `model.safetensors`). Returns the model and its
    /// weights' digest (the first 12 hex digits of their SHA-256, for provenance).
    pub fn load(
        dir: &Path,
        precision: Precision,
        device: &Device,
    ) -> Result<(Self, String), InferenceError> {
        let at = |name: &str| dir.join(name);
        let read = |name: &str| {
            std::fs::read(at(name))
                .map_err(|e| InferenceError::Model(format!("{}: {e}", at(name).display())))
        };
        let (config, vb, digest) = if at("model.bin").is_file() {
            let bytes = read("model.bin")?;
            let digest = weights_digest(&bytes);
            let ct2 = Ct2Model::parse(&bytes).map_err(|e| {
                InferenceError::Model(format!("{}: {e}", at("model.bin").display()))
            })?;
            let extra: Ct2Config = if at("config.json").is_file() {
                serde_json::from_slice(&read("config.json")?).map_err(|e| {
                    InferenceError::Model(format!("{}: {e}", at("config.json").display()))
                })?
            } else {
                Ct2Config::default()
            };
            let (config, tensors) = from_ct2(ct2, extra).map_err(|e| {
                InferenceError::Model(format!("{}: {e}", at("model.bin").display()))
            })?;
            (
                config,
                VarBuilder::from_tensors(tensors, DType::F32, device),
                digest,
            )
        } else if at("model.safetensors").is_file() {
            let hf: HfConfig = serde_json::from_slice(&read("config.json")?).map_err(|e| {
                InferenceError::Model(format!("{}: {e}", at("config.json").display()))
            })?;
            let mut config = WhisperConfig {
                n_mels: hf.num_mel_bins,
                d_model: hf.d_model,
                encoder_layers: hf.encoder_layers,
                decoder_layers: hf.decoder_layers,
                encoder_heads: hf.encoder_attention_heads,
                decoder_heads: hf.decoder_attention_heads,
                vocab_size: hf.vocab_size,
                audio_ctx: hf.max_source_positions,
                text_ctx: hf.max_target_positions,
                suppress: hf.suppress_tokens,
                suppress_begin: hf.begin_suppress_tokens,
            };
            // generation_config.json, where present, has the lists newer exports moved.
            if let Ok(bytes) = std::fs::read(at("generation_config.json"))
                && let Ok(g) = serde_json::from_slice::<serde_json::Value>(&bytes)
            {
                let ids = |key: &str| -> Option<Vec<u32>> {
                    serde_json::from_value(g.get(key)?.clone()).ok()
                };
                if let Some(s) = ids("suppress_tokens") {
                    config.suppress = s;
                }
                if let Some(s) = ids("begin_suppress_tokens") {
                    config.suppress_begin = s;
                }
            }
            let bytes = read("model.safetensors")?;
            let digest = weights_digest(&bytes);
            let vb =
                VarBuilder::from_buffered_safetensors(bytes, DType::F32, device).map_err(|e| {
                    InferenceError::Model(format!(
                        "{}: {}",
                        at("model.safetensors").display(),
                        first_line(e)
                    ))
                })?;
            (config, vb, digest)
        } else {
            return Err(InferenceError::Model(format!(
                "{}: no Whisper model (model.bin, or config.json with model.safetensors)",
                dir.display()
            )));
        };
        let model = Self::from_varbuilder(config, vb, precision, device).map_err(|e| {
            InferenceError::Model(format!("loading the Whisper weights: {}", first_line(e)))
        })?;
        Ok((model, digest))
    }

    /// Builds the model from weights named as Hugging Face's `WhisperForConditionalGeneration`.
    pub fn from_varbuilder(
        config: WhisperConfig,
        vb: VarBuilder,
        p: Precision,
        device: &Device,
    ) -> candle_core::Result<Self> {
        let c = &config;
        let d = c.d_model;
        for heads in [c.encoder_heads, c.decoder_heads] {
            if heads == 0 || !d.is_multiple_of(heads) {
                candle_core::bail!("d_model {d} is not a multiple of {heads} heads");
            }
        }
        let m = vb.pp("model");
        let e = m.pp("encoder");
        // int8 quantises every projection (as faster-whisper's int8 does); the
        // convolutions stay f32.
        let conv = |stride| Conv1dConfig {
            padding: 1,
            stride,
            ..Default::default()
        };
        let conv1 = candle_nn::conv1d(c.n_mels, d, 3, conv(1), e.pp("conv1"))?;
        let conv2 = candle_nn::conv1d(d, d, 3, conv(2), e.pp("conv2"))?;
        let positions = e.pp("embed_positions").get((c.audio_ctx, d), "weight")?;
        let mut encoder = Vec::with_capacity(c.encoder_layers);
        for i in 0..c.encoder_layers {
            let l = e.pp("layers").pp(i);
            encoder.push(EncoderLayer {
                attn: Attention::load(
                    d,
                    c.encoder_heads,
                    false,
                    QueryScale::AtRun,
                    &l.pp("self_attn"),
                    p,
                )?,
                attn_ln: ln(d, l.pp("self_attn_layer_norm"))?,
                mlp: Mlp::load(d, &l, p)?,
                mlp_ln: ln(d, l.pp("final_layer_norm"))?,
            });
        }
        let dec = m.pp("decoder");
        let embed_tokens = dec.pp("embed_tokens").get((c.vocab_size, d), "weight")?;
        let lm_head = Proj::new(embed_tokens.clone(), None, p)?;
        let mut decoder = Vec::with_capacity(c.decoder_layers);
        for i in 0..c.decoder_layers {
            let l = dec.pp("layers").pp(i);
            decoder.push(DecoderLayer {
                attn: Attention::load(
                    d,
                    c.decoder_heads,
                    false,
                    QueryScale::AtRun,
                    &l.pp("self_attn"),
                    p,
                )?,
                attn_ln: ln(d, l.pp("self_attn_layer_norm"))?,
                cross: Attention::load(
                    d,
                    c.decoder_heads,
                    true,
                    QueryScale::AtRun,
                    &l.pp("encoder_attn"),
                    p,
                )?,
                cross_ln: ln(d, l.pp("encoder_attn_layer_norm"))?,
                mlp: Mlp::load(d, &l, p)?,
                mlp_ln: ln(d, l.pp("final_layer_norm"))?,
            });
        }
        Ok(Self {
            conv1,
            conv2,
            positions,
            encoder,
            encoder_ln: ln(d, e.pp("layer_norm"))?,
            embed_tokens: TiedEmbedding::new(embed_tokens, &lm_head),
            lm_head,
            decoder_positions: dec.pp("embed_positions").get((c.text_ctx, d), "weight")?,
            decoder,
            decoder_ln: ln(d, dec.pp("layer_norm"))?,
            device: device.clone(),
            config,
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Encodes log-mel windows (batch, n_mels, 3000) into (batch, 1500, d_model).
    ///
    /// On the CPU the windows go through one at a time, so a batch never holds more than
    /// one window's activations (its attention scores above all: heads × 1500² each); a
    /// window's projections are 1,500 rows already, which batching would not speed up.
    pub fn encode(&self, mel: &Tensor) -> candle_core::Result<Tensor> {
        let windows = mel.dim(0)?;
        if self.device.is_cpu() && windows > 1 {
            let encoded = (0..windows)
                .map(|i| self.encode_together(&mel.narrow(0, i, 1)?))
                .collect::<candle_core::Result<Vec<_>>>()?;
            return Tensor::cat(&encoded, 0);
        }
        self.encode_together(mel)
    }

    /// [`Self::encode`] with every window in each operation.
    fn encode_together(&self, mel: &Tensor) -> candle_core::Result<Tensor> {
        let x = crate::ops::gelu_erf(&self.conv1.forward(mel)?)?;
        let x = crate::ops::gelu_erf(&self.conv2.forward(&x)?)?;
        let x = x.transpose(1, 2)?;
        let t = x.dim(1)?;
        let mut x = x.broadcast_add(&self.positions.narrow(0, 0, t)?)?;
        for l in &self.encoder {
            x = (&x + l.attn.over_itself(&l.attn_ln.forward(&x)?, None)?)?;
            x = (&x + l.mlp.forward(&l.mlp_ln.forward(&x)?)?)?;
        }
        self.encoder_ln.forward(&x)
    }

    /// The decoder's per-layer state for these encoder states.
    pub fn start(&self, encoded: &Tensor) -> candle_core::Result<Vec<LayerState>> {
        self.decoder
            .iter()
            .map(|l| {
                Ok(LayerState {
                    self_kv: KvCache::default(),
                    cross_kv: l.cross.cross_keys_values(encoded)?,
                })
            })
            .collect()
    }

    /// Feeds `tokens` (batch, len) at positions `offset..offset+len`; returns the logits
    /// (batch, vocab) of each row's last position.
    pub fn step(
        &self,
        tokens: &Tensor,
        offset: usize,
        state: &mut [LayerState],
    ) -> candle_core::Result<Tensor> {
        let (_, t) = tokens.dims2()?;
        if offset + t > self.config.text_ctx {
            candle_core::bail!("the decoder holds {} positions", self.config.text_ctx);
        }
        let mut x = self
            .embed_tokens
            .forward(&tokens.flatten_all()?, &self.lm_head)?
            .reshape((tokens.dim(0)?, t, self.config.d_model))?
            .broadcast_add(&self.decoder_positions.narrow(0, offset, t)?)?;
        let mask = if t > 1 {
            // Query i (at offset + i) sees keys 0..=offset + i.
            let keys = offset + t;
            let m: Vec<f32> = (0..t)
                .flat_map(|i| {
                    (0..keys).map(move |j| {
                        if j > offset + i {
                            f32::NEG_INFINITY
                        } else {
                            0.0
                        }
                    })
                })
                .collect();
            Some(Tensor::from_vec(m, (1, 1, t, keys), &self.device)?)
        } else {
            None
        };
        for (l, s) in self.decoder.iter().zip(state.iter_mut()) {
            x = (&x
                + l.attn
                    .self_attend(&l.attn_ln.forward(&x)?, &mut s.self_kv, mask.as_ref())?)?;
            x = (&x
                + if t == 1 && self.device.is_cpu() {
                    l.cross
                        .cross_grouped_host(&l.cross_ln.forward(&x)?, &s.cross_kv)?
                } else {
                    l.cross
                        .cross_grouped(&l.cross_ln.forward(&x)?, &s.cross_kv)?
                })?;
            x = (&x + l.mlp.forward(&l.mlp_ln.forward(&x)?)?)?;
        }
        let last = self.decoder_ln.forward(&x.i((.., t - 1, ..))?)?;
        self.lm_head.forward(&last)
    }

    /// Keeps rows `rows` of every self-attention cache (beam search reorders hypotheses,
    /// always within their window, so the encoder's keys and values stay as they are).
    pub fn select_rows(state: &mut [LayerState], rows: &Tensor) -> candle_core::Result<()> {
        for s in state {
            s.self_kv.select_rows(rows)?;
        }
        Ok(())
    }

    /// Keeps windows `rows` (greedy decoding, one row a window): their self-attention
    /// caches and their encoder's keys and values; the others' are freed.
    pub fn keep_windows(state: &mut [LayerState], rows: &Tensor) -> candle_core::Result<()> {
        Self::select_rows(state, rows)?;
        for s in state {
            let (k, v) = &s.cross_kv;
            s.cross_kv = (k.index_select(rows, 0)?, v.index_select(rows, 0)?);
        }
        Ok(())
    }
}
