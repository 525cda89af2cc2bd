//! Marian (OPUS-MT) translation: the network ([`super::seq2seq`]) with Marian's
//! tokenizer, SentencePiece pieces to vocabulary ids and back. Loads a Hugging Face
//! Marian directory: `config.json`, `model.safetensors` (or `pytorch_model.bin`), and
//! `tokenizer.json` or `vocab.json` with `source.spm`.

use std::collections::HashMap;
use std::path::Path;

use candle_core::Device;

use super::seq2seq::{
    DecodeOptions, Family, Seq2Seq, Seq2SeqConfig, generate_batches, model_err, read_weights,
};
use super::spm::{SPACE, SentencePiece};
use crate::InferenceError;
use crate::error::model_id;
use crate::linear::Precision;

/// A loaded translation model: its tokenizer, weights and identity for provenance.
pub struct Marian {
    pub model: Seq2Seq,
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
        let config = Seq2SeqConfig::read(dir)?;
        if config.family()? != Family::Marian {
            return Err(InferenceError::Model(format!(
                "{}: not a Marian model (an NLLB-200 or M2M100 folder goes under \
                 translation.nllb)",
                dir.display()
            )));
        }
        let (vb, hex) = read_weights(dir, device)?;
        let tokenizer = MarianTokenizer::load(dir, &config)?;
        let model = Seq2Seq::load(config, vb, device, precision)?;
        Ok(Self {
            model,
            tokenizer,
            model_id: model_id(dir, "marian", &hex, precision),
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
        let out = generate_batches(&self.model, &encoded, &[], opts, batch, progress)?;
        Ok(out.iter().map(|ids| self.tokenizer.decode(ids)).collect())
    }
}

/// Text ↔ the model's ids: SentencePiece segmentation, then the model's vocabulary.
pub struct MarianTokenizer {
    source: SentencePiece,
    vocab: HashMap<String, u32>,
    pieces: Vec<String>,
    unk: u32,
    eos: u32,
    pad: u32,
}

impl MarianTokenizer {
    /// From `tokenizer.json` (a SentencePiece model whose ids are the model's), or from
    /// `vocab.json` with `source.spm` as OPUS-MT ships them (outputs are decoded through
    /// the vocabulary, so `target.spm` is not needed).
    pub fn load(dir: &Path, config: &Seq2SeqConfig) -> Result<Self, InferenceError> {
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
            let model = SentencePiece::from_tokenizer_json(&t).map_err(model_err)?;
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
            let spm = SentencePiece::from_spm(&read("source.spm")?)
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
