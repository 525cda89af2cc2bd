//! NLLB-200's tokenizer: SentencePiece BPE pieces shifted by fairseq's offset (`<s>` 0,
//! `<pad>` 1, `</s>` 2, `<unk>` 3, then every piece at its SentencePiece id + 1), the
//! language tokens after them, a source written `[source language] pieces </s>`.

use std::collections::HashMap;
use std::path::Path;

use super::languages::is_nllb_code;
use crate::InferenceError;
use crate::translate::seq2seq::Seq2SeqConfig;
use crate::translate::spm::{PieceKind, SPACE, SentencePiece};

/// Ids before the first SentencePiece piece: `<s>`, `<pad>`, `</s>`, `<unk>`.
const FAIRSEQ_OFFSET: u32 = 1;

/// Text ↔ NLLB ids.
pub struct NllbTokenizer {
    spm: SentencePiece,
    /// Language code (`arb_Arab`) → its token id.
    languages: HashMap<String, u32>,
    /// The first id past the pieces: language tokens and `<mask>` are from here on.
    specials_from: u32,
    unk: u32,
    eos: u32,
    pad: u32,
}

fn model_error(dir: &Path, name: &str, e: impl std::fmt::Display) -> InferenceError {
    InferenceError::Model(format!("{}: {e}", dir.join(name).display()))
}

impl NllbTokenizer {
    /// From a model folder: `sentencepiece.bpe.model`, with the language tokens' ids from
    /// `tokenizer.json`'s added tokens, else `tokenizer_config.json`'s
    /// `added_tokens_decoder`, else the order of `additional_special_tokens` (in
    /// `tokenizer_config.json` or `special_tokens_map.json`) after the pieces.
    pub fn load(dir: &Path, config: &Seq2SeqConfig) -> Result<Self, InferenceError> {
        let spm_name = "sentencepiece.bpe.model";
        let bytes = std::fs::read(dir.join(spm_name)).map_err(|e| model_error(dir, spm_name, e))?;
        let spm = SentencePiece::from_spm(&bytes).map_err(|e| model_error(dir, spm_name, e))?;
        let specials_from = spm.len() as u32 + FAIRSEQ_OFFSET;
        let languages = language_tokens(dir, specials_from)?;
        if languages.is_empty() {
            return Err(InferenceError::Model(format!(
                "{}: no language tokens (tokenizer.json, tokenizer_config.json or \
                 special_tokens_map.json name them)",
                dir.display()
            )));
        }
        let highest = languages
            .values()
            .copied()
            .max()
            .unwrap_or(0)
            .max(specials_from - 1);
        if highest as usize >= config.vocab_size {
            return Err(InferenceError::Model(format!(
                "the tokenizer has ids up to {highest} but the model's vocabulary {}",
                config.vocab_size
            )));
        }
        Ok(Self {
            spm,
            languages,
            specials_from,
            unk: config.unk_token_id.unwrap_or(3),
            eos: config.eos_token_id,
            pad: config.pad_token_id,
        })
    }

    /// The token of language `code` (`vie_Latn`), if the model has it.
    pub fn language(&self, code: &str) -> Option<u32> {
        self.languages.get(code).copied()
    }

    /// Every language code the model has.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.languages.keys().map(String::as_str)
    }

    /// The model's ids for `text` in language token `language`: that token, the pieces,
    /// the end token.
    pub fn encode(&self, text: &str, language: u32) -> Vec<u32> {
        let mut ids = vec![language];
        ids.extend(
            self.spm
                .encode(text)
                .into_iter()
                .map(|id| match self.spm.kind(id) {
                    Some(PieceKind::Unknown) | None => self.unk,
                    Some(_) => id + FAIRSEQ_OFFSET,
                }),
        );
        ids.push(self.eos);
        ids
    }

    /// The token of an id: `<s>`, `<pad>`, `</s>`, `<unk>`, a piece, a language code
    /// or `<mask>` (how a peer engine's vocabulary lists it).
    pub fn token(&self, id: u32) -> Option<&str> {
        match id {
            0 => Some("<s>"),
            1 => Some("<pad>"),
            2 => Some("</s>"),
            3 => Some("<unk>"),
            id if id < self.specials_from => self.spm.piece(id - FAIRSEQ_OFFSET),
            id => self
                .languages
                .iter()
                .find(|(_, l)| **l == id)
                .map(|(code, _)| code.as_str())
                .or(Some("<mask>")),
        }
    }

    /// Text of output ids: pieces joined, `▁` as spaces; `<s>`, `<pad>`, `</s>` and
    /// language tokens skipped, unknown as ` ⁇ `.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut out = String::new();
        for &id in ids {
            if id == self.unk {
                out.push_str(" ⁇ ");
            } else if id >= FAIRSEQ_OFFSET
                && id < self.specials_from
                && id != self.eos
                && id != self.pad
            {
                let spm_id = id - FAIRSEQ_OFFSET;
                if self.spm.kind(spm_id) == Some(PieceKind::Normal)
                    || self.spm.kind(spm_id) == Some(PieceKind::UserDefined)
                {
                    out.push_str(self.spm.piece(spm_id).unwrap_or_default());
                }
            }
        }
        out.replace(SPACE, " ").trim().to_owned()
    }
}

/// Language code → id, from whichever file of the folder names them.
fn language_tokens(dir: &Path, specials_from: u32) -> Result<HashMap<String, u32>, InferenceError> {
    let json = |name: &str| -> Result<Option<serde_json::Value>, InferenceError> {
        let path = dir.join(name);
        if !path.is_file() {
            return Ok(None);
        }
        let bytes = std::fs::read(&path).map_err(|e| model_error(dir, name, e))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| model_error(dir, name, e))
    };
    let mut languages = HashMap::new();
    if let Some(t) = json("tokenizer.json")? {
        for token in t["added_tokens"].as_array().into_iter().flatten() {
            if let (Some(code), Some(id)) = (token["content"].as_str(), token["id"].as_u64())
                && is_nllb_code(code)
            {
                languages.insert(code.to_owned(), id as u32);
            }
        }
    }
    let config = json("tokenizer_config.json")?;
    if languages.is_empty()
        && let Some(decoder) = config
            .as_ref()
            .and_then(|c| c["added_tokens_decoder"].as_object())
    {
        for (id, token) in decoder {
            if let (Ok(id), Some(code)) = (id.parse::<u32>(), token["content"].as_str())
                && is_nllb_code(code)
            {
                languages.insert(code.to_owned(), id);
            }
        }
    }
    if languages.is_empty() {
        let map = json("special_tokens_map.json")?;
        let listed = [config.as_ref(), map.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|v| v["additional_special_tokens"].as_array().cloned())
            .unwrap_or_default();
        let codes = listed
            .iter()
            .filter_map(|v| v.as_str().or_else(|| v["content"].as_str()));
        for (i, code) in codes.filter(|c| is_nllb_code(c)).enumerate() {
            languages.insert(code.to_owned(), specials_from + i as u32);
        }
    }
    Ok(languages)
}
