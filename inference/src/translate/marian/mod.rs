//! Marian (OPUS-MT) translation on candle with toex's own decoding path: a source padding
//! mask, so a padded batch translates exactly as each line alone; the encoder's keys and
//! values computed once per batch for every decoder layer; a self-attention cache grown
//! one step at a time; only the newest position projected onto the vocabulary; greedy
//! decoding and beam search; a length guard against runaway output. Loads a Hugging Face
//! Marian directory: `config.json`, `model.safetensors`, and `tokenizer.json` or
//! `vocab.json` with `source.spm`/`target.spm`.

mod generate;
mod layers;
mod tokenizer;

use std::collections::HashMap;
use std::path::Path;

use candle_core::{D, DType, Device, IndexOp, Tensor};
use candle_nn::{Embedding, LayerNorm, Module, VarBuilder};
use serde::Deserialize;

use super::spm::{SPACE, SentencePiece};
use crate::InferenceError;
use crate::attention::{Attention, KvCache, QueryScale};
use crate::error::{first_line, weights_digest};
use crate::linear::{Precision, Proj};

use self::layers::*;
pub use self::{generate::*, tokenizer::*};

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
