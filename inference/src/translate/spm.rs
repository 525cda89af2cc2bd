//! SentencePiece unigram tokenisation, as OPUS-MT models use (`source.spm`,
//! `target.spm`): the model file is read directly (its protobuf), text is normalised
//! (NFKC, whitespace collapsed, `▁` for spaces and before the first word) and segmented
//! into the pieces of highest total score (Viterbi), unknown characters becoming one
//! unknown piece per run; pieces turn back into text. The same model can come from the
//! `Unigram` model of a Hugging Face `tokenizer.json`.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// The word-boundary mark SentencePiece puts for spaces.
pub const SPACE: char = '▁';

/// Score below the lowest piece's for an unknown character (SentencePiece's penalty).
const UNK_PENALTY: f32 = 10.0;

/// Why a model cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpmError {
    #[error("not a SentencePiece model: {0}")]
    Malformed(String),
    #[error("a {0} model; only unigram models are supported")]
    NotUnigram(String),
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

#[derive(Debug, Clone)]
struct Piece {
    text: String,
    score: f32,
    kind: PieceKind,
}

/// A unigram model: pieces with scores, and how to normalise.
#[derive(Debug, Clone)]
pub struct Unigram {
    pieces: Vec<Piece>,
    index: HashMap<String, u32>,
    unk: u32,
    /// Longest piece, in characters: how far the search looks ahead.
    longest: usize,
    unk_score: f32,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
}

/// A minimal protobuf reader: enough for SentencePiece's `ModelProto`.
struct Proto<'a> {
    bytes: &'a [u8],
    at: usize,
}

enum Value<'a> {
    Varint(u64),
    Fixed32(u32),
    Fixed64,
    Bytes(&'a [u8]),
}

impl<'a> Proto<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn varint(&mut self) -> Result<u64, SpmError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .bytes
                .get(self.at)
                .ok_or_else(|| SpmError::Malformed("truncated varint".into()))?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(SpmError::Malformed("varint too long".into()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SpmError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| SpmError::Malformed("a field runs past the end".into()))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    /// The next field: its number and value; `None` at the end.
    fn next(&mut self) -> Result<Option<(u64, Value<'a>)>, SpmError> {
        if self.at >= self.bytes.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let n = usize::try_from(self.varint()?)
                    .map_err(|_| SpmError::Malformed("length too large".into()))?;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            t => return Err(SpmError::Malformed(format!("wire type {t}"))),
        };
        Ok(Some((key >> 3, value)))
    }
}

impl Unigram {
    /// Reads a SentencePiece model file (`*.spm`, `*.model`).
    pub fn from_spm(bytes: &[u8]) -> Result<Self, SpmError> {
        let mut pieces = Vec::new();
        let mut add_dummy_prefix = true;
        let mut remove_extra_whitespaces = true;
        let mut proto = Proto::new(bytes);
        while let Some((field, value)) = proto.next()? {
            match (field, value) {
                (1, Value::Bytes(b)) => pieces.push(read_piece(b)?),
                (2, Value::Bytes(b)) => {
                    // TrainerSpec: model_type is field 3 (1 = unigram).
                    let mut spec = Proto::new(b);
                    while let Some((f, v)) = spec.next()? {
                        if let (3, Value::Varint(t)) = (f, v)
                            && t != 1
                        {
                            let name = match t {
                                2 => "BPE",
                                3 => "word",
                                4 => "character",
                                _ => "non-unigram",
                            };
                            return Err(SpmError::NotUnigram(name.into()));
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
        Self::new(pieces, add_dummy_prefix, remove_extra_whitespaces)
    }

    /// Reads the `Unigram` model of a Hugging Face `tokenizer.json`.
    pub fn from_tokenizer_json(json: &serde_json::Value) -> Result<Self, SpmError> {
        let model = &json["model"];
        match model["type"].as_str() {
            Some("Unigram") => {}
            Some(other) => return Err(SpmError::NotUnigram(other.to_owned())),
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
        Self::new(pieces, true, true)
    }

    fn new(
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

    /// The pieces of `text` with the highest total score, as ids.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let normal: Vec<char> = self.normalize(text).chars().collect();
        let n = normal.len();
        // best[i]: best score of a segmentation of normal[..i], and where its last piece
        // starts and which piece it is (None: an unknown character).
        let mut best: Vec<(f32, usize, Option<u32>)> = vec![(f32::NEG_INFINITY, 0, None); n + 1];
        best[0].0 = 0.0;
        let mut buf = String::new();
        for start in 0..n {
            let base = best[start].0;
            if base == f32::NEG_INFINITY {
                continue;
            }
            buf.clear();
            let mut matched_single = false;
            for end in start + 1..=n.min(start + self.longest) {
                buf.push(normal[end - 1]);
                if let Some(&id) = self.index.get(buf.as_str()) {
                    matched_single |= end == start + 1;
                    let score = base + self.pieces[id as usize].score;
                    if score > best[end].0 {
                        best[end] = (score, start, Some(id));
                    }
                }
            }
            if !matched_single {
                let score = base + self.unk_score;
                if score > best[start + 1].0 {
                    best[start + 1] = (score, start, None);
                }
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            let (_, start, id) = best[at];
            let id = id.unwrap_or(self.unk);
            // A run of unknown characters is one unknown piece.
            if !(id == self.unk && ids.last() == Some(&self.unk)) {
                ids.push(id);
            }
            at = start;
        }
        ids.reverse();
        ids
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

fn read_piece(bytes: &[u8]) -> Result<Piece, SpmError> {
    let mut text = None;
    let mut score = 0.0;
    let mut kind = PieceKind::Normal;
    let mut proto = Proto::new(bytes);
    while let Some((field, value)) = proto.next()? {
        match (field, value) {
            (1, Value::Bytes(b)) => {
                text = Some(
                    std::str::from_utf8(b)
                        .map_err(|_| SpmError::Malformed("a piece is not UTF-8".into()))?
                        .to_owned(),
                );
            }
            (2, Value::Fixed32(bits)) => score = f32::from_bits(bits),
            (3, Value::Varint(t)) => {
                kind = match t {
                    1 => PieceKind::Normal,
                    2 => PieceKind::Unknown,
                    3 => PieceKind::Control,
                    4 => PieceKind::UserDefined,
                    5 => PieceKind::Unused,
                    6 => PieceKind::Byte,
                    other => return Err(SpmError::Malformed(format!("piece type {other}"))),
                }
            }
            _ => {}
        }
    }
    Ok(Piece {
        text: text.ok_or_else(|| SpmError::Malformed("a piece without text".into()))?,
        score,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Unigram {
        let json = serde_json::json!({
            "model": {
                "type": "Unigram",
                "unk_id": 0,
                "vocab": [
                    ["<unk>", 0.0], ["</s>", 0.0], ["<pad>", 0.0],
                    ["▁", -2.0], ["▁the", -1.0], ["▁car", -1.5], ["▁ca", -3.0], ["r", -3.0],
                    ["s", -2.5], ["▁السيارة", -1.2], ["▁ال", -2.0], ["سيارة", -2.2],
                    ["a", -4.0], ["c", -4.0], ["e", -4.0], ["h", -4.0], ["t", -4.0]
                ]
            }
        });
        Unigram::from_tokenizer_json(&json).unwrap()
    }

    #[test]
    fn the_best_scoring_segmentation_wins() {
        let m = toy();
        let pieces = |t: &str| -> Vec<String> {
            m.encode(t)
                .iter()
                .map(|&i| m.piece(i).unwrap().to_owned())
                .collect()
        };
        assert_eq!(pieces("the cars"), ["▁the", "▁car", "s"]);
        assert_eq!(
            pieces("  the   car "),
            ["▁the", "▁car"],
            "whitespace collapsed"
        );
        assert_eq!(
            pieces("السيارة"),
            ["▁السيارة"],
            "one piece beats ▁ال + سيارة"
        );
        // Unknown characters: one unknown piece per run, never the control pieces.
        assert_eq!(pieces("the zzq car"), ["▁the", "▁", "<unk>", "▁car"]);
        assert_eq!(m.decode(&m.encode("the cars")), "the cars");
        assert_eq!(m.decode(&m.encode("the zzq car")), "the  ⁇  car");
        assert!(m.encode("").is_empty());
        // Full-width letters are NFKC-normalised first.
        assert_eq!(pieces("ｔｈｅ"), ["▁the"]);
    }

    #[test]
    fn bad_models_are_refused_clearly() {
        assert!(matches!(
            Unigram::from_spm(b"\x0a\x05ab"),
            Err(SpmError::Malformed(_))
        ));
        assert!(matches!(
            Unigram::from_spm(b""),
            Err(SpmError::Malformed(_))
        ));
        let bpe = serde_json::json!({"model": {"type": "BPE", "vocab": {}}});
        assert_eq!(
            Unigram::from_tokenizer_json(&bpe).unwrap_err(),
            SpmError::NotUnigram("BPE".into())
        );
        let no_unk = serde_json::json!({"model": {"type": "Unigram", "vocab": [["▁a", -1.0]]}});
        assert_eq!(
            Unigram::from_tokenizer_json(&no_unk).unwrap_err(),
            SpmError::NoUnknown
        );
        // A model file with one unknown piece and a trainer spec naming its type.
        let piece = [0x0a, 5, b'<', b'u', b'n', b'k', b'>', 0x18, 0x02];
        let file = |model_type: u8| {
            let mut f = vec![0x0a, piece.len() as u8];
            f.extend_from_slice(&piece);
            f.extend_from_slice(&[0x12, 0x02, 0x18, model_type]);
            f
        };
        assert_eq!(
            Unigram::from_spm(&file(2)).unwrap_err(),
            SpmError::NotUnigram("BPE".into())
        );
        let m = Unigram::from_spm(&file(1)).unwrap();
        assert_eq!((m.len(), m.unk_id()), (1, 0));
    }
}
