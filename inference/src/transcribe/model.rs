//! The Whisper network on candle with toex's own decoding path: the encoder run once per
//! batch of 30 s windows; per decoder layer, a self-attention cache grown one step at a
//! time and the cross-attention keys and values computed once per window; fused q/k/v
//! projections; only the newest position projected onto the vocabulary; optional int8
//! (Q8_0) matrix multiplies. Weights come from a Hugging Face directory
//! (`model.safetensors`) or a CTranslate2 one (`model.bin`, fused projections split).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::{Conv1d, Conv1dConfig, LayerNorm, VarBuilder};
use serde::Deserialize;

use super::ct2::Ct2Model;
use crate::InferenceError;
use crate::error::{first_line, weights_digest};
use crate::linear::{AttentionProj, Precision, Proj, on_host};

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

struct Attention {
    /// Self-attention: q, k and v in one product; cross-attention: q alone.
    q_or_qkv: Proj,
    /// Cross-attention: k and v in one product (applied to the encoder's states once).
    kv: Option<Proj>,
    out: Proj,
    heads: usize,
    head_dim: usize,
}

impl Attention {
    fn load(
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
    fn split(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// (batch, len, d) → keys transposed: (batch, heads, head_dim, len).
    fn split_t(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .permute((0, 2, 3, 1))?
            .contiguous()
    }

    /// Cross-attention keys (transposed) and values of the encoder's states.
    fn cross_kv(&self, encoded: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
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

    fn attend(
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
    fn self_attend(
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
    fn cross_attend_host(&self, x: &Tensor, kv: &(Tensor, Tensor)) -> candle_core::Result<Tensor> {
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
    fn cross_attend(&self, x: &Tensor, kv: &(Tensor, Tensor)) -> candle_core::Result<Tensor> {
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

struct Mlp {
    fc1: Proj,
    fc2: Proj,
}

impl Mlp {
    fn load(d: usize, vb: &VarBuilder, p: Precision) -> candle_core::Result<Self> {
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

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.fc2.forward(&self.fc1.forward(x)?.gelu_erf()?)
    }
}

struct EncoderLayer {
    attn: Attention,
    attn_ln: LayerNorm,
    mlp: Mlp,
    mlp_ln: LayerNorm,
}

struct DecoderLayer {
    attn: Attention,
    attn_ln: LayerNorm,
    cross: Attention,
    cross_ln: LayerNorm,
    mlp: Mlp,
    mlp_ln: LayerNorm,
}

/// Per decoder layer: the self-attention cache and the encoder's keys and values.
pub struct LayerState {
    self_kv: Option<(Tensor, Tensor)>,
    cross_kv: (Tensor, Tensor),
}

/// A Whisper model's weights.
pub struct WhisperModel {
    pub config: WhisperConfig,
    conv1: Conv1d,
    conv2: Conv1d,
    encoder_positions: Tensor,
    encoder: Vec<EncoderLayer>,
    encoder_ln: LayerNorm,
    embed_tokens: Tensor,
    decoder_positions: Tensor,
    decoder: Vec<DecoderLayer>,
    decoder_ln: LayerNorm,
    /// The vocabulary projection (the token embeddings, tied), quantised with the rest.
    lm_head: Proj,
    device: Device,
}

fn ln(d: usize, vb: VarBuilder) -> candle_core::Result<LayerNorm> {
    candle_nn::layer_norm(d, 1e-5, vb)
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
        // The encoder multiplies 1,500 positions per window: f32 gemm does that faster than
        // candle's Q8_0 kernel (which took half of a base int8 run when the encoder used
        // it), so int8 applies where decoding steps read the weights for a few rows.
        let encoder_p = match p {
            Precision::Int8 if device.is_cpu() => Precision::F32,
            other => other,
        };
        let conv = |stride| Conv1dConfig {
            padding: 1,
            stride,
            ..Default::default()
        };
        let conv1 = candle_nn::conv1d(c.n_mels, d, 3, conv(1), e.pp("conv1"))?;
        let conv2 = candle_nn::conv1d(d, d, 3, conv(2), e.pp("conv2"))?;
        let encoder_positions = e.pp("embed_positions").get((c.audio_ctx, d), "weight")?;
        let mut encoder = Vec::with_capacity(c.encoder_layers);
        for i in 0..c.encoder_layers {
            let l = e.pp("layers").pp(i);
            encoder.push(EncoderLayer {
                attn: Attention::load(d, c.encoder_heads, false, l.pp("self_attn"), encoder_p)?,
                attn_ln: ln(d, l.pp("self_attn_layer_norm"))?,
                mlp: Mlp::load(d, &l, encoder_p)?,
                mlp_ln: ln(d, l.pp("final_layer_norm"))?,
            });
        }
        let dec = m.pp("decoder");
        let embed_tokens = dec.pp("embed_tokens").get((c.vocab_size, d), "weight")?;
        let mut decoder = Vec::with_capacity(c.decoder_layers);
        for i in 0..c.decoder_layers {
            let l = dec.pp("layers").pp(i);
            decoder.push(DecoderLayer {
                attn: Attention::load(d, c.decoder_heads, false, l.pp("self_attn"), p)?,
                attn_ln: ln(d, l.pp("self_attn_layer_norm"))?,
                cross: Attention::load(d, c.decoder_heads, true, l.pp("encoder_attn"), p)?,
                cross_ln: ln(d, l.pp("encoder_attn_layer_norm"))?,
                mlp: Mlp::load(d, &l, p)?,
                mlp_ln: ln(d, l.pp("final_layer_norm"))?,
            });
        }
        Ok(Self {
            conv1,
            conv2,
            encoder_positions,
            encoder,
            encoder_ln: ln(d, e.pp("layer_norm"))?,
            lm_head: Proj::new(embed_tokens.clone(), None, p)?,
            embed_tokens,
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
    pub fn encode(&self, mel: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.conv1.forward(mel)?.gelu_erf()?;
        let x = self.conv2.forward(&x)?.gelu_erf()?;
        let x = x.transpose(1, 2)?;
        let t = x.dim(1)?;
        let mut x = x.broadcast_add(&self.encoder_positions.narrow(0, 0, t)?)?;
        for l in &self.encoder {
            let mut cache = None;
            x = (&x
                + l.attn
                    .self_attend(&l.attn_ln.forward(&x)?, &mut cache, None)?)?;
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
                    self_kv: None,
                    cross_kv: l.cross.cross_kv(encoded)?,
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
            .embedding(&tokens.flatten_all()?)?
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
                        .cross_attend_host(&l.cross_ln.forward(&x)?, &s.cross_kv)?
                } else {
                    l.cross
                        .cross_attend(&l.cross_ln.forward(&x)?, &s.cross_kv)?
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
            if let Some((k, v)) = s.self_kv.take() {
                s.self_kv = Some((k.index_select(rows, 0)?, v.index_select(rows, 0)?));
            }
        }
        Ok(())
    }
}

/// A CTranslate2 Whisper model's tensors under Hugging Face names, with its shapes.
fn from_ct2(
    mut m: Ct2Model,
    extra: Ct2Config,
) -> Result<(WhisperConfig, HashMap<String, Tensor>), String> {
    if m.spec != "WhisperSpec" {
        return Err(format!("a {} model, not Whisper", m.spec));
    }
    let dims = |m: &Ct2Model, name: &str| -> Result<Vec<usize>, String> {
        Ok(m.tensors
            .get(name)
            .ok_or_else(|| format!("no {name}"))?
            .dims()
            .to_vec())
    };
    let conv1 = dims(&m, "encoder/conv1/weight")?;
    let (d, n_mels) = (conv1[0], conv1[1]);
    let count = |prefix: &str| {
        (0..)
            .take_while(|i| {
                m.tensors
                    .contains_key(&format!("{prefix}/layer_{i}/ffn/linear_0/weight"))
            })
            .count()
    };
    let heads = |name: &str| {
        m.scalar(name)
            .map(|h| h as usize)
            .ok_or_else(|| format!("no {name}"))
    };
    let config = WhisperConfig {
        n_mels,
        d_model: d,
        encoder_layers: count("encoder"),
        decoder_layers: count("decoder"),
        encoder_heads: heads("encoder/num_heads")?,
        decoder_heads: heads("decoder/num_heads")?,
        vocab_size: dims(&m, "decoder/embeddings/weight")?[0],
        audio_ctx: dims(&m, "encoder/position_encodings/encodings")?[0],
        text_ctx: dims(&m, "decoder/position_encodings/encodings")?[0],
        suppress: extra.suppress_ids,
        suppress_begin: extra.suppress_ids_begin,
    };
    let mut out = HashMap::new();
    let mut renames: Vec<(String, String)> = ["conv1", "conv2"]
        .iter()
        .flat_map(|part| {
            ["weight", "bias"].map(|p| {
                (
                    format!("encoder/{part}/{p}"),
                    format!("model.encoder.{part}.{p}"),
                )
            })
        })
        .collect();
    for (from, to) in [
        (
            "encoder/position_encodings/encodings",
            "model.encoder.embed_positions.weight",
        ),
        (
            "decoder/position_encodings/encodings",
            "model.decoder.embed_positions.weight",
        ),
        (
            "decoder/embeddings/weight",
            "model.decoder.embed_tokens.weight",
        ),
    ] {
        renames.push((from.to_owned(), to.to_owned()));
    }
    for (from, to) in renames {
        let t = m
            .tensors
            .remove(&from)
            .ok_or_else(|| format!("no {from}"))?;
        out.insert(to, t);
    }
    let norm = |m: &mut Ct2Model,
                out: &mut HashMap<String, Tensor>,
                from: &str,
                to: &str|
     -> Result<(), String> {
        for (a, b) in [("gamma", "weight"), ("beta", "bias")] {
            let t = m
                .tensors
                .remove(&format!("{from}/{a}"))
                .ok_or_else(|| format!("no {from}/{a}"))?;
            out.insert(format!("{to}.{b}"), t);
        }
        Ok(())
    };
    let mut fused = Vec::new();
    for (side, layers) in [
        ("encoder", config.encoder_layers),
        ("decoder", config.decoder_layers),
    ] {
        norm(
            &mut m,
            &mut out,
            &format!("{side}/layer_norm"),
            &format!("model.{side}.layer_norm"),
        )?;
        for i in 0..layers {
            let from = format!("{side}/layer_{i}");
            let to = format!("model.{side}.layers.{i}");
            norm(
                &mut m,
                &mut out,
                &format!("{from}/self_attention/layer_norm"),
                &format!("{to}.self_attn_layer_norm"),
            )?;
            norm(
                &mut m,
                &mut out,
                &format!("{from}/ffn/layer_norm"),
                &format!("{to}.final_layer_norm"),
            )?;
            fused.push((
                format!("{from}/self_attention/linear_0"),
                vec![
                    format!("{to}.self_attn.q_proj"),
                    format!("{to}.self_attn.k_proj"),
                    format!("{to}.self_attn.v_proj"),
                ],
            ));
            fused.push((
                format!("{from}/self_attention/linear_1"),
                vec![format!("{to}.self_attn.out_proj")],
            ));
            fused.push((format!("{from}/ffn/linear_0"), vec![format!("{to}.fc1")]));
            fused.push((format!("{from}/ffn/linear_1"), vec![format!("{to}.fc2")]));
            if side == "decoder" {
                norm(
                    &mut m,
                    &mut out,
                    &format!("{from}/attention/layer_norm"),
                    &format!("{to}.encoder_attn_layer_norm"),
                )?;
                fused.push((
                    format!("{from}/attention/linear_0"),
                    vec![format!("{to}.encoder_attn.q_proj")],
                ));
                fused.push((
                    format!("{from}/attention/linear_1"),
                    vec![
                        format!("{to}.encoder_attn.k_proj"),
                        format!("{to}.encoder_attn.v_proj"),
                    ],
                ));
                fused.push((
                    format!("{from}/attention/linear_2"),
                    vec![format!("{to}.encoder_attn.out_proj")],
                ));
            }
        }
    }
    // Fused projections are split into equal row blocks, in order.
    for (from, targets) in fused {
        for p in ["weight", "bias"] {
            let t = m
                .tensors
                .remove(&format!("{from}/{p}"))
                .ok_or_else(|| format!("no {from}/{p}"))?;
            let rows = t.dim(0).map_err(|e| e.to_string())?;
            if rows % targets.len() != 0 {
                return Err(format!(
                    "{from}/{p}: {rows} rows do not split {} ways",
                    targets.len()
                ));
            }
            let each = rows / targets.len();
            for (k, to) in targets.iter().enumerate() {
                let part = t
                    .narrow(0, k * each, each)
                    .and_then(|t| t.contiguous())
                    .map_err(|e| e.to_string())?;
                out.insert(format!("{to}.{p}"), part);
            }
        }
    }
    Ok((config, out))
}
