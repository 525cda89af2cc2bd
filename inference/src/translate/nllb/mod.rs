//! NLLB-200 (the M2M100 network) translation into English: one model for some 200
//! languages (M2M100 itself: 100). A source line is `[its language] pieces </s>`; the
//! decoder starts from `</s>` with English's token forced next. Loads a Hugging Face
//! folder — `config.json` (`model_type` `m2m_100`), `model.safetensors` or
//! `pytorch_model.bin`, `sentencepiece.bpe.model` (with M2M100's `vocab.json`) and the
//! language tokens in its tokenizer files — or a CTranslate2 one (`model.bin`, its
//! vocabulary, `sentencepiece.bpe.model`).

mod languages;
mod tokenizer;

use std::path::Path;

use candle_core::Device;

pub use self::languages::{is_nllb_code, iso_of, nllb_code};
pub use self::tokenizer::NllbTokenizer;
use super::seq2seq::{
    DecodeOptions, Family, Seq2Seq, Seq2SeqConfig, generate_batches, read_weights,
};
use crate::InferenceError;
use crate::error::model_id;
use crate::linear::Precision;

/// The language every translation goes into.
pub const TARGET: &str = "eng_Latn";

/// A loaded NLLB-200 model: network, tokenizer, identity for provenance.
pub struct Nllb {
    pub model: Seq2Seq,
    pub tokenizer: NllbTokenizer,
    /// `name@` and the first 12 hex digits of the weights' SHA-256.
    pub model_id: String,
    /// English's token: forced as the first output.
    target: u32,
}

impl Nllb {
    /// Loads an NLLB-200 or M2M100 folder (Hugging Face or CTranslate2) onto the
    /// inference device.
    pub fn load(dir: &Path, precision: Precision) -> Result<Self, InferenceError> {
        Self::load_on(dir, precision, &crate::embed::device::select())
    }

    pub fn load_on(
        dir: &Path,
        precision: Precision,
        device: &Device,
    ) -> Result<Self, InferenceError> {
        let config = Seq2SeqConfig::read(dir)?;
        if config.family()? != Family::M2M100 {
            return Err(InferenceError::Model(format!(
                "{}: not an NLLB-200 (m2m_100) model",
                dir.display()
            )));
        }
        let tokenizer = NllbTokenizer::load(dir, &config)?;
        let target = tokenizer.language(TARGET).ok_or_else(|| {
            InferenceError::Model(format!(
                "{}: the model has no {TARGET} token",
                dir.display()
            ))
        })?;
        let (vb, hex) = read_weights(dir, device)?;
        let model = Seq2Seq::load(config, vb, device, precision)?;
        Ok(Self {
            model,
            tokenizer,
            model_id: model_id(dir, "nllb", &hex, precision),
            target,
        })
    }

    /// The model's token for `language` (ISO 639-1/3 or an NLLB code), if it has one.
    pub fn language_token(&self, language: &str) -> Option<u32> {
        self.tokenizer.language(language)
    }

    /// Translates sentences (already protected and split) whose language has token
    /// `source` ([`Nllb::language_token`]) into English, in batches of similar length,
    /// telling `progress` how many are done after each.
    pub fn translate(
        &self,
        sentences: &[&str],
        source: u32,
        opts: &DecodeOptions,
        batch: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<String>, InferenceError> {
        let encoded: Vec<Vec<u32>> = sentences
            .iter()
            .map(|s| self.tokenizer.encode(s, source))
            .collect();
        let out = generate_batches(&self.model, &encoded, &[self.target], opts, batch, progress)?;
        Ok(out.iter().map(|ids| self.tokenizer.decode(ids)).collect())
    }
}
