//! Whisper's byte-level BPE vocabulary from `tokenizer.json`: ids to text, and the
//! special tokens decoding is steered by (start, language, task, timestamps).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::InferenceError;

#[derive(Deserialize)]
struct TokenizerJson {
    model: BpeModel,
    #[serde(default)]
    added_tokens: Vec<AddedToken>,
}

#[derive(Deserialize)]
struct BpeModel {
    vocab: HashMap<String, u32>,
}

#[derive(Deserialize)]
struct AddedToken {
    id: u32,
    content: String,
}

/// The special ids of a Whisper vocabulary.
#[derive(Debug, Clone)]
pub struct Specials {
    pub eot: u32,
    pub sot: u32,
    pub sot_prev: Option<u32>,
    pub sot_lm: Option<u32>,
    pub transcribe: u32,
    pub translate: u32,
    pub no_speech: Option<u32>,
    pub no_timestamps: u32,
    /// `<|0.00|>`; every id from here up is a timestamp, 0.02 s apart.
    pub timestamp_begin: u32,
    /// Language tokens in id order with their codes (`en`, `ar`, …).
    pub languages: Vec<(String, u32)>,
}

/// Whisper's tokenizer: decoding only (prompts are built from special ids).
pub struct WhisperTokenizer {
    /// Text of each ordinary id, as raw bytes.
    pieces: Vec<Vec<u8>>,
    pub specials: Specials,
}

/// GPT-2's byte ↔ printable-character table: which byte each vocabulary character is.
fn unicode_to_byte() -> HashMap<char, u8> {
    let mut map = HashMap::with_capacity(256);
    let mut extra = 0u32;
    for b in 0u32..256 {
        let printable =
            (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
        let c = if printable {
            b
        } else {
            extra += 1;
            255 + extra
        };
        map.insert(char::from_u32(c).expect("a valid scalar"), b as u8);
    }
    map
}

impl WhisperTokenizer {
    pub fn load(path: &Path) -> Result<Self, InferenceError> {
        let bytes = std::fs::read(path)
            .map_err(|e| InferenceError::Model(format!("{}: {e}", path.display())))?;
        Self::from_json(&bytes)
            .map_err(|e| InferenceError::Model(format!("{}: {e}", path.display())))
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let t: TokenizerJson = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let bytes_of = unicode_to_byte();
        let size = t.model.vocab.values().max().map_or(0, |m| *m as usize + 1);
        let mut pieces = vec![Vec::new(); size];
        for (piece, id) in &t.model.vocab {
            pieces[*id as usize] = piece
                .chars()
                .map(|c| bytes_of.get(&c).copied().ok_or(c))
                .collect::<Result<Vec<u8>, char>>()
                .map_err(|c| {
                    format!("piece {piece:?} has a character ({c:?}) outside byte-level BPE")
                })?;
        }
        let added: HashMap<&str, u32> = t
            .added_tokens
            .iter()
            .map(|a| (a.content.as_str(), a.id))
            .collect();
        let get = |name: &str| added.get(name).copied();
        let need = |name: &str| get(name).ok_or_else(|| format!("no {name} token"));
        let sot = need("<|startoftranscript|>")?;
        let translate = need("<|translate|>")?;
        let no_timestamps = need("<|notimestamps|>")?;
        let mut languages: Vec<(String, u32)> = t
            .added_tokens
            .iter()
            .filter(|a| a.id > sot && a.id < translate)
            .filter_map(|a| {
                let code = a.content.strip_prefix("<|")?.strip_suffix("|>")?;
                (code.len() <= 3 && code.chars().all(|c| c.is_ascii_lowercase()))
                    .then(|| (code.to_owned(), a.id))
            })
            .collect();
        languages.sort_by_key(|l| l.1);
        Ok(Self {
            pieces,
            specials: Specials {
                eot: need("<|endoftext|>")?,
                sot,
                sot_prev: get("<|startofprev|>"),
                sot_lm: get("<|startoflm|>"),
                transcribe: need("<|transcribe|>")?,
                translate,
                no_speech: get("<|nospeech|>").or_else(|| get("<|nocaptions|>")),
                no_timestamps,
                timestamp_begin: no_timestamps + 1,
                languages,
            },
        })
    }

    /// Text of ordinary ids; special and timestamp ids are skipped.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for &id in ids {
            if id < self.specials.eot
                && let Some(p) = self.pieces.get(id as usize)
            {
                bytes.extend_from_slice(p);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The id of a language code's token.
    pub fn language(&self, code: &str) -> Option<u32> {
        self.specials
            .languages
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, id)| *id)
    }

    /// The id of the single space (suppressed at the start of a segment).
    pub fn space(&self) -> Option<u32> {
        self.pieces.iter().position(|p| p == b" ").map(|i| i as u32)
    }
}
