//! NLLB-200's and M2M100's tokenizer: SentencePiece BPE pieces given model ids either by
//! fairseq's offset (NLLB-200: `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, then every piece at
//! its SentencePiece id + 1) or by a listed vocabulary (M2M100's `vocab.json`, a
//! CTranslate2 folder's vocabulary); the language tokens (`arb_Arab`, M2M100's `__ar__`)
//! after the pieces; a source written `[source language] pieces </s>`.

use std::collections::HashMap;
use std::path::Path;

use super::languages::{is_nllb_code, nllb_code};
use crate::InferenceError;
use crate::translate::seq2seq::{Seq2SeqConfig, ct2};
use crate::translate::spm::{PieceKind, SPACE, SentencePiece};

/// Ids before the first SentencePiece piece: `<s>`, `<pad>`, `</s>`, `<unk>`.
const FAIRSEQ_OFFSET: u32 = 1;

/// How pieces become model ids.
enum Ids {
    /// NLLB-200's: a piece's SentencePiece id + 1.
    Shifted,
    /// A listed vocabulary: piece → id, and each id's token.
    Listed {
        ids: HashMap<String, u32>,
        tokens: Vec<String>,
    },
}

/// Text ↔ NLLB ids.
pub struct NllbTokenizer {
    spm: SentencePiece,
    ids: Ids,
    /// Language (`arb_Arab`, or an M2M100 code NLLB's table lacks, `ast`) → its token id.
    languages: HashMap<String, u32>,
    /// A language token's id → the token as the model writes it (`arb_Arab`, `__ar__`).
    language_names: HashMap<u32, String>,
    /// The first id past the pieces: language tokens and `<mask>` are from here on.
    specials_from: u32,
    unk: u32,
    eos: u32,
    pad: u32,
}

fn model_error(dir: &Path, name: &str, e: impl std::fmt::Display) -> InferenceError {
    InferenceError::Model(format!("{}: {e}", dir.join(name).display()))
}

/// The language a token stands for: an NLLB code as it is, M2M100's `__xx__` as NLLB's
/// code for `xx` where the table has one (else `xx`); `None` for any other token.
fn language_of(token: &str) -> Option<String> {
    if is_nllb_code(token) {
        return Some(token.to_owned());
    }
    let code = token.strip_prefix("__")?.strip_suffix("__")?;
    let plain = !code.is_empty() && code.len() <= 3 && code.bytes().all(|b| b.is_ascii_lowercase());
    plain.then(|| nllb_code(code).unwrap_or(code).to_owned())
}

impl NllbTokenizer {
    /// From a model folder: `sentencepiece.bpe.model`, with ids from a CTranslate2
    /// folder's vocabulary (language tokens included), else from `vocab.json` (M2M100),
    /// else by fairseq's offset; the language tokens' ids, unless the vocabulary lists
    /// them, from `tokenizer.json`'s added tokens, else `tokenizer_config.json`'s
    /// `added_tokens_decoder`, else the order of `additional_special_tokens` (in
    /// `tokenizer_config.json` or `special_tokens_map.json`) after the pieces.
    pub fn load(dir: &Path, config: &Seq2SeqConfig) -> Result<Self, InferenceError> {
        let spm_name = "sentencepiece.bpe.model";
        let bytes = std::fs::read(dir.join(spm_name)).map_err(|e| model_error(dir, spm_name, e))?;
        let spm = SentencePiece::from_spm(&bytes).map_err(|e| model_error(dir, spm_name, e))?;
        let (ids, specials_from, tokens) = if ct2::is_ct2(dir) {
            let tokens = ct2::vocabulary(dir)?;
            let languages: HashMap<String, u32> = tokens
                .iter()
                .enumerate()
                .filter(|(_, t)| language_of(t).is_some())
                .map(|(id, t)| (t.clone(), id as u32))
                .collect();
            let first = languages.values().copied().min();
            let specials_from = first.unwrap_or(tokens.len() as u32);
            (listed(tokens), specials_from, languages)
        } else if dir.join("vocab.json").is_file() {
            let bytes = std::fs::read(dir.join("vocab.json"))
                .map_err(|e| model_error(dir, "vocab.json", e))?;
            let map: HashMap<String, u32> =
                serde_json::from_slice(&bytes).map_err(|e| model_error(dir, "vocab.json", e))?;
            let size = map.values().copied().max().map_or(0, |m| m as usize + 1);
            if size > config.vocab_size {
                return Err(model_error(
                    dir,
                    "vocab.json",
                    "ids past the model's vocabulary",
                ));
            }
            let mut tokens = vec![String::new(); size];
            for (token, &id) in &map {
                tokens[id as usize] = token.clone();
            }
            let specials_from = map.len() as u32;
            (
                listed(tokens),
                specials_from,
                language_tokens(dir, specials_from)?,
            )
        } else {
            let specials_from = spm.len() as u32 + FAIRSEQ_OFFSET;
            (
                Ids::Shifted,
                specials_from,
                language_tokens(dir, specials_from)?,
            )
        };
        let languages: HashMap<String, u32> = tokens
            .iter()
            .filter_map(|(t, &id)| language_of(t).map(|l| (l, id)))
            .collect();
        let language_names = tokens.into_iter().map(|(t, id)| (id, t)).collect();
        if languages.is_empty() {
            return Err(InferenceError::Model(format!(
                "{}: no language tokens (the vocabulary, tokenizer.json, \
                 tokenizer_config.json or special_tokens_map.json name them)",
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
            ids,
            languages,
            language_names,
            specials_from,
            unk: config.unk_token_id.unwrap_or(3),
            eos: config.eos_token_id,
            pad: config.pad_token_id,
        })
    }

    /// The token of language `code` (`vie_Latn`, or ISO 639 `vi`), if the model has it.
    pub fn language(&self, code: &str) -> Option<u32> {
        self.languages
            .get(code)
            .or_else(|| nllb_code(code).and_then(|c| self.languages.get(c)))
            .copied()
    }

    /// Every language the model has: NLLB codes, or M2M100's own where NLLB's table has
    /// none.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.languages.keys().map(String::as_str)
    }

    /// The model's ids for `text` in language token `language`: that token, the pieces,
    /// the end token.
    pub fn encode(&self, text: &str, language: u32) -> Vec<u32> {
        let mut ids = vec![language];
        ids.extend(self.spm.encode(text).into_iter().map(|id| {
            match (self.spm.kind(id), &self.ids) {
                (Some(PieceKind::Unknown) | None, _) => self.unk,
                (Some(_), Ids::Shifted) => id + FAIRSEQ_OFFSET,
                (Some(_), Ids::Listed { ids, .. }) => self
                    .spm
                    .piece(id)
                    .and_then(|p| ids.get(p))
                    .copied()
                    .unwrap_or(self.unk),
            }
        }));
        ids.push(self.eos);
        ids
    }

    /// The token of an id: `<s>`, `<pad>`, `</s>`, `<unk>`, a piece, a language token or
    /// `<mask>` (how a peer engine's vocabulary lists it).
    pub fn token(&self, id: u32) -> Option<&str> {
        if let Some(name) = self.language_names.get(&id) {
            return Some(name);
        }
        match &self.ids {
            Ids::Listed { tokens, .. } => tokens.get(id as usize).map(String::as_str),
            Ids::Shifted => match id {
                0 => Some("<s>"),
                1 => Some("<pad>"),
                2 => Some("</s>"),
                3 => Some("<unk>"),
                id if id < self.specials_from => self.spm.piece(id - FAIRSEQ_OFFSET),
                _ => Some("<mask>"),
            },
        }
    }

    /// Text of output ids: pieces joined, `▁` as spaces; `<s>`, `<pad>`, `</s>`, language
    /// tokens and any other special skipped, unknown as ` ⁇ `.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut out = String::new();
        for &id in ids {
            if id == self.unk {
                out.push_str(" ⁇ ");
                continue;
            }
            if id < FAIRSEQ_OFFSET || id >= self.specials_from || id == self.eos || id == self.pad {
                continue;
            }
            let piece = match &self.ids {
                Ids::Shifted => {
                    let spm_id = id - FAIRSEQ_OFFSET;
                    match self.spm.kind(spm_id) {
                        Some(PieceKind::Normal | PieceKind::UserDefined) => self.spm.piece(spm_id),
                        _ => None,
                    }
                }
                Ids::Listed { tokens, .. } => tokens
                    .get(id as usize)
                    .map(String::as_str)
                    .filter(|t| !(t.starts_with('<') && t.ends_with('>'))),
            };
            out.push_str(piece.unwrap_or_default());
        }
        out.replace(SPACE, " ").trim().to_owned()
    }
}

/// A listed vocabulary's maps.
fn listed(tokens: Vec<String>) -> Ids {
    let ids = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(id, t)| (t.clone(), id as u32))
        .collect();
    Ids::Listed { ids, tokens }
}

/// Language token (`arb_Arab`, `__ar__`) → id, from whichever file of the folder names
/// them.
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
                && language_of(code).is_some()
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
                && language_of(code).is_some()
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
        let codes = codes.filter(|c| language_of(c).is_some());
        for (i, code) in codes.enumerate() {
            languages.insert(code.to_owned(), specials_from + i as u32);
        }
    }
    Ok(languages)
}
