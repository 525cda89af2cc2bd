//! SentencePiece tokenisation, as OPUS-MT (unigram) and NLLB-200 (BPE) models use: the
//! model file is read directly (its protobuf, `proto`), text is normalised (NFKC,
//! whitespace collapsed, `▁` for spaces and before the first word) and segmented —
//! unigram models into the pieces of highest total score (Viterbi, `unigram`), unknown
//! characters becoming one unknown piece per run; BPE models by merging the adjacent
//! pair whose piece scores highest until none is left (`bpe`), again a run of unknown
//! characters as one unknown piece — and pieces turn back into text. A unigram model can also come from
//! the `Unigram` model of a Hugging Face `tokenizer.json`.

mod bpe;
mod proto;
mod unigram;

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

pub use self::proto::write_model;
use self::proto::{Proto, Value, read_piece};

/// The word-boundary mark SentencePiece puts for spaces.
pub const SPACE: char = '▁';

/// Score below the lowest piece's for an unknown character (SentencePiece's penalty).
const UNK_PENALTY: f32 = 10.0;

/// Why a model cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpmError {
    #[error("not a SentencePiece model: {0}")]
    Malformed(String),
    #[error("a {0} model; only unigram and BPE models are supported")]
    Unsupported(String),
    #[error("the model has no unknown piece")]
    NoUnknown,
}

/// What a piece is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceKind {
    Normal,
    Unknown,
    /// `<s>`, `</s>`, `<pad>`: never produced by segmentation.
    Control,
    UserDefined,
    Unused,
    Byte,
}

/// How a model segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Unigram,
    Bpe,
}

#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub(crate) text: String,
    pub(crate) score: f32,
    pub(crate) kind: PieceKind,
}

/// A SentencePiece model: pieces with scores, how to segment and how to normalise.
#[derive(Debug, Clone)]
pub struct SentencePiece {
    algorithm: Algorithm,
    pieces: Vec<Piece>,
    /// Pieces segmentation may produce (normal and user-defined), by text.
    index: HashMap<String, u32>,
    unk: u32,
    /// Longest piece, in characters: how far the unigram search looks ahead.
    longest: usize,
    unk_score: f32,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
}

impl SentencePiece {
    /// Reads a SentencePiece model file (`*.spm`, `*.model`).
    pub fn from_spm(bytes: &[u8]) -> Result<Self, SpmError> {
        let mut pieces = Vec::new();
        let mut algorithm = Algorithm::Unigram;
        let mut add_dummy_prefix = true;
        let mut remove_extra_whitespaces = true;
        let mut proto = Proto::new(bytes);
        while let Some((field, value)) = proto.next()? {
            match (field, value) {
                (1, Value::Bytes(b)) => pieces.push(read_piece(b)?),
                (2, Value::Bytes(b)) => {
                    // TrainerSpec: model_type is field 3 (1 = unigram, 2 = BPE).
                    let mut spec = Proto::new(b);
                    while let Some((f, v)) = spec.next()? {
                        if let (3, Value::Varint(t)) = (f, v) {
                            algorithm = match t {
                                1 => Algorithm::Unigram,
                                2 => Algorithm::Bpe,
                                3 => return Err(SpmError::Unsupported("word".into())),
                                4 => return Err(SpmError::Unsupported("character".into())),
                                _ => return Err(SpmError::Unsupported(format!("type-{t}"))),
                            };
                        }
                    }
                }
                (3, Value::Bytes(b)) => {
                    let mut spec = Proto::new(b);
                    while let Some((f, v)) = spec.next()? {
                        match (f, v) {
                            (3, Value::Varint(x)) => add_dummy_prefix = x != 0,
                            (4, Value::Varint(x)) => remove_extra_whitespaces = x != 0,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if pieces.is_empty() {
            return Err(SpmError::Malformed("no pieces".into()));
        }
        Self::new(
            algorithm,
            pieces,
            add_dummy_prefix,
            remove_extra_whitespaces,
        )
    }

    /// Reads the `Unigram` model of a Hugging Face `tokenizer.json`.
    pub fn from_tokenizer_json(json: &serde_json::Value) -> Result<Self, SpmError> {
        let model = &json["model"];
        match model["type"].as_str() {
            Some("Unigram") => {}
            Some(other) => return Err(SpmError::Unsupported(other.to_owned())),
            None => return Err(SpmError::Malformed("no model type".into())),
        }
        let unk = model["unk_id"].as_u64();
        let vocab = model["vocab"]
            .as_array()
            .ok_or_else(|| SpmError::Malformed("no vocab".into()))?;
        let pieces = vocab
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let text = entry[0]
                    .as_str()
                    .ok_or_else(|| SpmError::Malformed(format!("vocab entry {i} has no piece")))?;
                let score = entry[1]
                    .as_f64()
                    .ok_or_else(|| SpmError::Malformed(format!("vocab entry {i} has no score")))?
                    as f32;
                let kind = if Some(i as u64) == unk {
                    PieceKind::Unknown
                } else if text.starts_with('<') && text.ends_with('>') && score == 0.0 {
                    PieceKind::Control
                } else {
                    PieceKind::Normal
                };
                Ok(Piece {
                    text: text.to_owned(),
                    score,
                    kind,
                })
            })
            .collect::<Result<Vec<_>, SpmError>>()?;
        Self::new(Algorithm::Unigram, pieces, true, true)
    }

    fn new(
        algorithm: Algorithm,
        pieces: Vec<Piece>,
        add_dummy_prefix: bool,
        remove_extra_whitespaces: bool,
    ) -> Result<Self, SpmError> {
        let unk = pieces
            .iter()
            .position(|p| p.kind == PieceKind::Unknown)
            .ok_or(SpmError::NoUnknown)? as u32;
        let matchable = |p: &Piece| matches!(p.kind, PieceKind::Normal | PieceKind::UserDefined);
        let min_score = pieces
            .iter()
            .filter(|p| matchable(p))
            .map(|p| p.score)
            .fold(f32::INFINITY, f32::min);
        let mut index = HashMap::with_capacity(pieces.len());
        let mut longest = 1;
        for (i, p) in pieces.iter().enumerate() {
            if matchable(p) {
                index.entry(p.text.clone()).or_insert(i as u32);
                longest = longest.max(p.text.chars().count());
            }
        }
        Ok(Self {
            algorithm,
            pieces,
            index,
            unk,
            longest,
            unk_score: if min_score.is_finite() {
                min_score
            } else {
                0.0
            } - UNK_PENALTY,
            add_dummy_prefix,
            remove_extra_whitespaces,
        })
    }

    /// How many pieces the model has.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The id of the unknown piece.
    pub fn unk_id(&self) -> u32 {
        self.unk
    }

    /// The piece of an id.
    pub fn piece(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(|p| p.text.as_str())
    }

    /// Text as SentencePiece sees it: NFKC, whitespace runs as one space (trimmed), each
    /// space as `▁`, and a `▁` before the first word.
    pub fn normalize(&self, text: &str) -> String {
        let nfkc: String = text.nfkc().collect();
        let mut out = String::with_capacity(nfkc.len() + 3);
        if self.add_dummy_prefix && !nfkc.trim().is_empty() {
            out.push(SPACE);
        }
        let mut pending_space = false;
        let mut started = false;
        for c in nfkc.chars() {
            if c.is_whitespace() {
                if self.remove_extra_whitespaces {
                    pending_space = started;
                } else {
                    out.push(SPACE);
                }
                continue;
            }
            if pending_space {
                out.push(SPACE);
                pending_space = false;
            }
            started = true;
            out.push(c);
        }
        if !self.remove_extra_whitespaces && pending_space {
            out.push(SPACE);
        }
        out
    }

    /// How the model segments.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The kind of piece `id` is.
    pub fn kind(&self, id: u32) -> Option<PieceKind> {
        self.pieces.get(id as usize).map(|p| p.kind)
    }

    /// The pieces of `text`, as ids: the unigram model's best-scoring segmentation, or
    /// the BPE model's merges.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let normal = self.normalize(text);
        match self.algorithm {
            Algorithm::Unigram => unigram::encode(self, &normal),
            Algorithm::Bpe => bpe::encode(self, &normal),
        }
    }

    /// The text of `ids`: pieces joined, `▁` back to spaces, the leading one dropped;
    /// control pieces are skipped and the unknown piece is written as ` ⁇ `.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut out = String::new();
        for &id in ids {
            let Some(p) = self.pieces.get(id as usize) else {
                continue;
            };
            match p.kind {
                PieceKind::Control | PieceKind::Unused => {}
                PieceKind::Unknown => out.push_str(" ⁇ "),
                _ => out.push_str(&p.text),
            }
        }
        let text = out.replace(SPACE, " ");
        match text.strip_prefix(' ') {
            Some(rest) if self.add_dummy_prefix => rest.to_owned(),
            _ => text,
        }
    }
}

#[cfg(test)]
mod tests;
