//! Marian (OPUS-MT) translation on candle with toex's own decoding path: a source padding
//! mask, so a padded batch translates exactly as each line alone; the encoder's keys and
//! values computed once per batch for every decoder layer; a self-attention cache grown
//! one step at a time; only the newest position projected onto the vocabulary; greedy
//! decoding and beam search; a length guard against runaway output. Loads a Hugging Face
//! Marian directory: `config.json`, `model.safetensors`, and `tokenizer.json` or
//! `vocab.json` with `source.spm`/`target.spm`.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{D, DType, Device, IndexOp, Tensor};
use candle_nn::{Embedding, LayerNorm, Module, VarBuilder};
use serde::Deserialize;

use super::spm::{SPACE, Unigram};
use crate::InferenceError;
use crate::error::{first_line, weights_digest};
use crate::linear::{AttentionProj, Precision, Proj};

fn model_err(e: impl std::fmt::Display) -> InferenceError {
    InferenceError::Model(first_line(e))
}

/// The fields of a Hugging Face Marian `config.json` that the model needs.
#[derive(Debug, Clone, Deserialize)]
pub struct MarianConfig {
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

impl MarianConfig {
    /// `config.json` of a model folder.
    pub fn read(dir: &Path) -> Result<Self, InferenceError> {
        let path = dir.join("config.json");
        let err =
            |e: &dyn std::fmt::Display| InferenceError::Model(format!("{}: {e}", path.display()));
        serde_json::from_slice(&std::fs::read(&path).map_err(|e| err(&e))?).map_err(|e| err(&e))
    }
}

fn swish() -> String {
    "swish".to_owned()
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy)]
enum Activation {
    Swish,
    Relu,
    Gelu,
}

impl Activation {
    fn parse(name: &str) -> Result<Self, InferenceError> {
        match name {
            "swish" | "silu" => Ok(Self::Swish),
            "relu" => Ok(Self::Relu),
            "gelu" | "gelu_new" => Ok(Self::Gelu),
            other => Err(InferenceError::Model(format!(
                "activation function {other:?} is not supported"
            ))),
        }
    }

    fn apply(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Swish => candle_nn::ops::silu(x),
            Self::Relu => x.relu(),
            Self::Gelu => x.gelu_erf(),
        }
    }
}

struct Attention {
    /// Self-attention: q, k and v in one product; cross-attention: q alone. The query
    /// weights carry the 1/√head_dim scale.
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
        let head_dim = d / heads;
        let scale = (head_dim as f64).powf(-0.5);
        let AttentionProj { q_or_qkv, kv, out } = AttentionProj::load(d, cross, scale, &vb, p)?;
        Ok(Self {
            q_or_qkv,
            kv,
            out,
            heads,
            head_dim,
        })
    }

    /// (batch, len, d_model) → (batch, heads, len, head_dim).
    fn split(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// Keys transposed (batch, heads, head_dim, len) and values (batch, heads, len,
    /// head_dim) from a (batch, len, 2·d_model) product: the layouts the two attention
    /// products want, so a cache of them is used as it is at every step.
    fn keys_values_of(&self, kv: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let (b, t, two_d) = kv.dims3()?;
        let d = two_d / 2;
        let keys_t = kv
            .narrow(2, 0, d)?
            .reshape((b, t, self.heads, self.head_dim))?
            .permute((0, 2, 3, 1))?
            .contiguous()?;
        Ok((keys_t, self.split(&kv.narrow(2, d, d)?)?))
    }

    /// Cross-attention: the encoder states' keys and values.
    fn cross_keys_values(&self, encoded: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let kv = self.kv.as_ref().expect("a cross-attention layer");
        self.keys_values_of(&kv.forward(encoded)?)
    }

    /// Self-attention: the scaled queries (split by head), keys and values of `x`.
    fn self_qkv(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
        let y = self.q_or_qkv.forward(x)?;
        let d = self.heads * self.head_dim;
        let q = self.split(&y.narrow(2, 0, d)?)?;
        let (k, v) = self.keys_values_of(&y.narrow(2, d, 2 * d)?)?;
        Ok((q, k, v))
    }

    /// Attention of queries `q` (split by head) over transposed `keys_t` and `values`;
    /// `mask` is added to the scores (0 or −∞, broadcast over heads and queries).
    fn attend(
        &self,
        q: &Tensor,
        keys_t: &Tensor,
        values: &Tensor,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (b, _, t, _) = q.dims4()?;
        let scores = q.matmul(keys_t)?;
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

    /// Cross-attention of `x` over the encoder's keys and values.
    fn cross(
        &self,
        x: &Tensor,
        kv: &(Tensor, Tensor),
        mask: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let q = self.split(&self.q_or_qkv.forward(x)?)?;
        self.attend(&q, &kv.0, &kv.1, Some(mask))
    }
}

struct FeedForward {
    fc1: Proj,
    fc2: Proj,
    act: Activation,
    norm: LayerNorm,
}

impl FeedForward {
    fn load(
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
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.fc2.forward(&self.act.apply(&self.fc1.forward(x)?)?)?;
        self.norm.forward(&(h + x)?)
    }
}

struct EncoderLayer {
    attn: Attention,
    attn_norm: LayerNorm,
    ffn: FeedForward,
}

struct DecoderLayer {
    self_attn: Attention,
    self_norm: LayerNorm,
    cross_attn: Attention,
    cross_norm: LayerNorm,
    ffn: FeedForward,
}

/// Per decoder layer: the self-attention cache (grown each step) and the encoder's keys
/// and values (computed once); keys transposed.
struct LayerState {
    self_kv: Option<(Tensor, Tensor)>,
    cross_kv: (Tensor, Tensor),
}

/// A Marian model's weights.
pub struct MarianModel {
    config: MarianConfig,
    shared: Embedding,
    /// Vocabulary projection: the shared embeddings, with `final_logits_bias` and the
    /// padding token ruled out (−∞) as its bias.
    lm_head: Proj,
    positions: Tensor,
    encoder: Vec<EncoderLayer>,
    decoder: Vec<DecoderLayer>,
    embed_scale: f64,
    device: Device,
}

/// The sinusoidal position table Marian uses: sines in the first half, cosines in the
/// second, frequencies 1/10000^(2i/d).
fn sinusoids(positions: usize, dim: usize, device: &Device) -> candle_core::Result<Tensor> {
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
                        l.pp("self_attn"),
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
                        l.pp("self_attn"),
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
                        l.pp("encoder_attn"),
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

    fn embed(&self, ids: &Tensor, start: usize) -> candle_core::Result<Tensor> {
        let (_, t) = ids.dims2()?;
        let x = (self.shared.forward(ids)? * self.embed_scale)?;
        x.broadcast_add(&self.positions.narrow(0, start, t)?.unsqueeze(0)?)
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
            let (q, k, v) = layer.attn.self_qkv(&x)?;
            let h = layer.attn.attend(&q, &k, &v, Some(&mask))?;
            x = layer.ffn.forward(&layer.attn_norm.forward(&(h + &x)?)?)?;
        }
        Ok((x, mask))
    }

    /// The decoder's per-layer state for these encoder states.
    fn start_state(&self, encoded: &Tensor) -> candle_core::Result<Vec<LayerState>> {
        self.decoder
            .iter()
            .map(|l| {
                Ok(LayerState {
                    self_kv: None,
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
            let (q, k, v) = layer.self_attn.self_qkv(&x)?;
            let (k, v) = match s.self_kv.take() {
                Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 3)?, Tensor::cat(&[&pv, &v], 2)?),
                None => (k, v),
            };
            let h = layer.self_attn.attend(&q, &k, &v, None)?;
            s.self_kv = Some((k, v));
            x = layer.self_norm.forward(&(h + &x)?)?;
            let h = layer.cross_attn.cross(&x, &s.cross_kv, source_mask)?;
            x = layer.cross_norm.forward(&(h + &x)?)?;
            x = layer.ffn.forward(&x)?;
        }
        self.lm_head.forward(&x.i((.., 0, ..))?)
    }

    /// Keeps rows `rows` of every cache (beam search reorders and prunes hypotheses).
    fn select_rows(state: &mut [LayerState], rows: &Tensor) -> candle_core::Result<()> {
        for s in state {
            if let Some((k, v)) = s.self_kv.take() {
                s.self_kv = Some((k.index_select(rows, 0)?, v.index_select(rows, 0)?));
            }
            s.cross_kv = (
                s.cross_kv.0.index_select(rows, 0)?,
                s.cross_kv.1.index_select(rows, 0)?,
            );
        }
        Ok(())
    }
}

/// How to decode.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    /// 1: greedy; more: beam search with this many hypotheses per line.
    pub beam: usize,
    /// Output tokens at most: `min(max_tokens, ratio × source tokens + 10)` (the guard
    /// against runaway output).
    pub max_tokens: usize,
    pub max_ratio: f32,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            beam: 1,
            max_tokens: 256,
            max_ratio: 2.0,
        }
    }
}

impl MarianModel {
    /// Output-token limit for a source of `source_tokens`.
    pub fn limit(&self, source_tokens: usize, opts: &DecodeOptions) -> usize {
        let by_ratio = (source_tokens as f32 * opts.max_ratio).ceil() as usize + 10;
        by_ratio
            .min(opts.max_tokens)
            .min(self.config.max_position_embeddings.saturating_sub(1))
            .max(1)
    }

    /// Translates a batch of token-id sequences (each ending in the end token); returns
    /// the output ids of each, without the start and end tokens.
    pub fn generate(
        &self,
        sources: &[Vec<u32>],
        opts: &DecodeOptions,
    ) -> Result<Vec<Vec<u32>>, InferenceError> {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let max_pos = self.config.max_position_embeddings;
        if let Some(long) = sources.iter().find(|s| s.len() > max_pos) {
            return Err(InferenceError::InvalidDocument(format!(
                "a piece of {} tokens is longer than the model's {max_pos}",
                long.len()
            )));
        }
        if opts.beam <= 1 {
            self.greedy(sources, opts).map_err(model_err)
        } else {
            self.beam(sources, opts).map_err(model_err)
        }
    }

    fn padded(&self, sources: &[Vec<u32>]) -> candle_core::Result<(Tensor, Vec<usize>)> {
        let width = sources.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let pad = self.config.pad_token_id;
        let mut ids = Vec::with_capacity(sources.len() * width);
        for s in sources {
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(pad, width - s.len()));
        }
        let lengths = sources.iter().map(Vec::len).collect();
        Ok((
            Tensor::from_vec(ids, (sources.len(), width), &self.device)?,
            lengths,
        ))
    }

    fn start_token(&self) -> u32 {
        self.config
            .decoder_start_token_id
            .unwrap_or(self.config.pad_token_id)
    }

    fn greedy(
        &self,
        sources: &[Vec<u32>],
        opts: &DecodeOptions,
    ) -> candle_core::Result<Vec<Vec<u32>>> {
        let (ids, lengths) = self.padded(sources)?;
        let (encoded, mask) = self.encode(&ids, &lengths)?;
        let mut state = self.start_state(&encoded)?;
        let limits: Vec<usize> = lengths.iter().map(|&l| self.limit(l, opts)).collect();
        let longest = limits.iter().copied().max().unwrap_or(1);
        let eos = self.config.eos_token_id;
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); sources.len()];
        let mut done = vec![false; sources.len()];
        let mut tokens = vec![self.start_token(); sources.len()];
        for step in 0..longest {
            let input = Tensor::from_vec(tokens.clone(), (sources.len(), 1), &self.device)?;
            let logits = self.step(&input, step, &mut state, &mask)?;
            // The best token is the same with or without the softmax.
            let next: Vec<u32> = logits.argmax(D::Minus1)?.to_vec1()?;
            for (row, &t) in next.iter().enumerate() {
                if done[row] {
                    tokens[row] = self.config.pad_token_id;
                    continue;
                }
                if t == eos {
                    done[row] = true;
                } else {
                    out[row].push(t);
                    done[row] = out[row].len() >= limits[row];
                }
                tokens[row] = t;
            }
            if done.iter().all(|d| *d) {
                break;
            }
        }
        Ok(out)
    }

    /// Beam search, length-normalised (score / length), `beam` hypotheses per line,
    /// all lines of the batch stepped together.
    fn beam(
        &self,
        sources: &[Vec<u32>],
        opts: &DecodeOptions,
    ) -> candle_core::Result<Vec<Vec<u32>>> {
        let k = opts.beam;
        let n = sources.len();
        let (ids, lengths) = self.padded(sources)?;
        let (encoded, mask) = self.encode(&ids, &lengths)?;
        // Every line's rows repeated k times: row = line * k + j.
        let repeat: Vec<u32> = (0..n as u32)
            .flat_map(|i| std::iter::repeat_n(i, k))
            .collect();
        let repeat = Tensor::from_vec(repeat, n * k, &self.device)?;
        let encoded = encoded.index_select(&repeat, 0)?;
        let mask = mask.index_select(&repeat, 0)?;
        let mut state = self.start_state(&encoded)?;
        let limits: Vec<usize> = lengths.iter().map(|&l| self.limit(l, opts)).collect();
        let longest = limits.iter().copied().max().unwrap_or(1);
        let eos = self.config.eos_token_id;
        // Live hypotheses: (tokens, summed log-probability); only the first of each
        // line's k starts live, so the first step does not pick k copies of one token.
        let mut live: Vec<Vec<(Vec<u32>, f32)>> = vec![vec![(Vec::new(), 0.0)]; n];
        let mut finished: Vec<Vec<(Vec<u32>, f32)>> = vec![Vec::new(); n];
        let mut tokens = vec![self.start_token(); n * k];
        for step in 0..longest {
            let input = Tensor::from_vec(tokens.clone(), (n * k, 1), &self.device)?;
            let logits = self.step(&input, step, &mut state, &mask)?;
            let scores: Vec<Vec<f32>> =
                candle_nn::ops::log_softmax(&logits, D::Minus1)?.to_vec2()?;
            let mut rows = Vec::with_capacity(n * k);
            let mut next_tokens = Vec::with_capacity(n * k);
            for line in 0..n {
                let mut candidates: Vec<(f32, usize, u32)> = Vec::new();
                for (j, (_, score)) in live[line].iter().enumerate() {
                    let row = &scores[line * k + j];
                    let mut best: Vec<(f32, u32)> = row
                        .iter()
                        .enumerate()
                        .map(|(t, &s)| (s, t as u32))
                        .filter(|(s, _)| s.is_finite())
                        .collect();
                    let keep = (2 * k).min(best.len());
                    if keep > 0 {
                        best.select_nth_unstable_by(keep - 1, |a, b| b.0.total_cmp(&a.0));
                    }
                    for &(s, t) in &best[..keep] {
                        candidates.push((score + s, j, t));
                    }
                }
                candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
                // (tokens, score, parent row, token)
                let mut next: Vec<(Vec<u32>, f32, u32, u32)> = Vec::with_capacity(k);
                for (score, j, t) in candidates {
                    let mut seq = live[line][j].0.clone();
                    if t == eos || seq.len() + 1 >= limits[line] {
                        if t != eos {
                            seq.push(t);
                        }
                        finished[line].push((seq, score));
                    } else {
                        seq.push(t);
                        next.push((seq, score, (line * k + j) as u32, t));
                    }
                    if next.len() == k {
                        break;
                    }
                }
                let normalised = |seq: &[u32], score: f32| score / seq.len().max(1) as f32;
                let best_done = finished[line]
                    .iter()
                    .map(|(s, sc)| normalised(s, *sc))
                    .fold(f32::NEG_INFINITY, f32::max);
                let best_live = next
                    .iter()
                    .map(|(s, sc, _, _)| normalised(s, *sc))
                    .fold(f32::NEG_INFINITY, f32::max);
                // A line is settled once k hypotheses ended and none alive beats them.
                if finished[line].len() >= k && best_done >= best_live {
                    next.clear();
                }
                // Keep k rows per line so the batch keeps its shape.
                while next.len() < k {
                    next.push((
                        Vec::new(),
                        f32::NEG_INFINITY,
                        (line * k) as u32,
                        self.config.pad_token_id,
                    ));
                }
                for (_, _, row, t) in &next {
                    rows.push(*row);
                    next_tokens.push(*t);
                }
                let next: Vec<(Vec<u32>, f32)> =
                    next.into_iter().map(|(s, sc, _, _)| (s, sc)).collect();
                live[line] = next;
            }
            if live
                .iter()
                .all(|l| l.iter().all(|(_, s)| *s == f32::NEG_INFINITY))
            {
                break;
            }
            let rows = Tensor::from_vec(rows, n * k, &self.device)?;
            Self::select_rows(&mut state, &rows)?;
            tokens = next_tokens;
        }
        Ok((0..n)
            .map(|line| {
                finished[line]
                    .iter()
                    .chain(live[line].iter().filter(|(_, s)| s.is_finite()))
                    .max_by(|a, b| {
                        (a.1 / a.0.len().max(1) as f32).total_cmp(&(b.1 / b.0.len().max(1) as f32))
                    })
                    .map(|(s, _)| s.clone())
                    .unwrap_or_default()
            })
            .collect())
    }
}

/// Text ↔ the model's ids: SentencePiece segmentation, then the model's vocabulary.
pub struct MarianTokenizer {
    source: Unigram,
    vocab: HashMap<String, u32>,
    pieces: Vec<String>,
    unk: u32,
    eos: u32,
    pad: u32,
}

impl MarianTokenizer {
    /// From `tokenizer.json` (a Unigram model whose ids are the model's), or from
    /// `vocab.json` with `source.spm` as OPUS-MT ships them (outputs are decoded through
    /// the vocabulary, so `target.spm` is not needed).
    pub fn load(dir: &Path, config: &MarianConfig) -> Result<Self, InferenceError> {
        let read = |name: &str| {
            std::fs::read(dir.join(name))
                .map_err(|e| InferenceError::Model(format!("{}: {e}", dir.join(name).display())))
        };
        let json = |name: &str| -> Result<serde_json::Value, InferenceError> {
            serde_json::from_slice(&read(name)?)
                .map_err(|e| InferenceError::Model(format!("{}: {e}", dir.join(name).display())))
        };
        let (source, pieces) = if dir.join("tokenizer.json").is_file() {
            let t = json("tokenizer.json")?;
            let model = Unigram::from_tokenizer_json(&t).map_err(model_err)?;
            let pieces = (0..model.len() as u32)
                .map(|i| model.piece(i).unwrap_or_default().to_owned())
                .collect();
            (model, pieces)
        } else if dir.join("vocab.json").is_file() {
            let v = json("vocab.json")?;
            let map = v
                .as_object()
                .ok_or_else(|| InferenceError::Model("vocab.json is not an object".into()))?;
            let mut pieces = vec![String::new(); map.len()];
            for (piece, id) in map {
                let id = id
                    .as_u64()
                    .filter(|&i| (i as usize) < pieces.len())
                    .ok_or_else(|| {
                        InferenceError::Model(format!("vocab.json: bad id for {piece:?}"))
                    })?;
                pieces[id as usize] = piece.clone();
            }
            let spm = Unigram::from_spm(&read("source.spm")?)
                .map_err(|e| InferenceError::Model(format!("source.spm: {e}")))?;
            (spm, pieces)
        } else {
            return Err(InferenceError::Model(format!(
                "{}: no tokenizer.json, and no vocab.json with source.spm",
                dir.display()
            )));
        };
        if pieces.len() != config.vocab_size {
            return Err(InferenceError::Model(format!(
                "the vocabulary has {} pieces but the model {}",
                pieces.len(),
                config.vocab_size
            )));
        }
        let vocab: HashMap<String, u32> = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as u32))
            .collect();
        let unk = config
            .unk_token_id
            .or_else(|| vocab.get("<unk>").copied())
            .unwrap_or(1);
        Ok(Self {
            source,
            vocab,
            pieces,
            unk,
            eos: config.eos_token_id,
            pad: config.pad_token_id,
        })
    }

    /// The model's ids for `text`, ending with the end token.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .source
            .encode(text)
            .into_iter()
            .map(|i| {
                self.source
                    .piece(i)
                    .and_then(|p| self.vocab.get(p))
                    .copied()
                    .unwrap_or(self.unk)
            })
            .collect();
        ids.push(self.eos);
        ids
    }

    /// The piece of a vocabulary id.
    pub fn piece(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(String::as_str)
    }

    /// Text of output ids: pieces joined, `▁` as spaces; special ids skipped.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut out = String::new();
        for &id in ids {
            if id == self.eos || id == self.pad {
                continue;
            }
            if id == self.unk {
                out.push_str(" ⁇ ");
                continue;
            }
            if let Some(p) = self.pieces.get(id as usize) {
                out.push_str(p);
            }
        }
        out.replace(SPACE, " ").trim().to_owned()
    }
}

/// A loaded translation model: its tokenizer, weights and identity for provenance.
pub struct Marian {
    pub model: MarianModel,
    pub tokenizer: MarianTokenizer,
    /// `name@` and the first 12 hex digits of the weights' SHA-256.
    pub model_id: String,
}

impl Marian {
    /// Loads a Hugging Face Marian directory onto the inference device.
    pub fn load(dir: &Path, precision: Precision) -> Result<Self, InferenceError> {
        Self::load_on(dir, precision, &crate::embed::device::select())
    }

    pub fn load_on(
        dir: &Path,
        precision: Precision,
        device: &Device,
    ) -> Result<Self, InferenceError> {
        let config = MarianConfig::read(dir)?;
        let weights = dir.join("model.safetensors");
        let bytes = std::fs::read(&weights)
            .map_err(|e| InferenceError::Model(format!("{}: {e}", weights.display())))?;
        let hex = weights_digest(&bytes);
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, device).map_err(|e| {
            InferenceError::Model(format!("{}: {}", weights.display(), first_line(e)))
        })?;
        let tokenizer = MarianTokenizer::load(dir, &config)?;
        let model = MarianModel::load(config, vb, device, precision)?;
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("marian");
        Ok(Self {
            model,
            tokenizer,
            model_id: match precision {
                Precision::F32 => format!("{name}@{hex}"),
                Precision::Int8 => format!("{name}@{hex}+int8"),
            },
        })
    }

    /// Translates sentences (already protected and split), in batches of similar
    /// length (longest first, so padding stays small), telling `progress` how many are done after each batch.
    pub fn translate(
        &self,
        sentences: &[&str],
        opts: &DecodeOptions,
        batch: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<String>, InferenceError> {
        let encoded: Vec<Vec<u32>> = sentences.iter().map(|s| self.tokenizer.encode(s)).collect();
        let mut order: Vec<usize> = (0..sentences.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encoded[i].len()));
        let mut out = vec![String::new(); sentences.len()];
        let mut done = 0;
        for chunk in order.chunks(batch.max(1)) {
            let sources: Vec<Vec<u32>> = chunk.iter().map(|&i| encoded[i].clone()).collect();
            for (&i, ids) in chunk.iter().zip(self.model.generate(&sources, opts)?) {
                out[i] = self.tokenizer.decode(&ids);
            }
            done += chunk.len();
            progress(done);
        }
        Ok(out)
    }
}
