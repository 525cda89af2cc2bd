//! A minimal protobuf reader and writer: enough for SentencePiece's `ModelProto`.

use super::{Piece, PieceKind, SpmError};

/// A minimal protobuf reader: enough for SentencePiece's `ModelProto`.
pub(super) struct Proto<'a> {
    bytes: &'a [u8],
    at: usize,
}

pub(super) enum Value<'a> {
    Varint(u64),
    Fixed32(u32),
    Fixed64,
    Bytes(&'a [u8]),
}

impl<'a> Proto<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
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
    pub(super) fn next(&mut self) -> Result<Option<(u64, Value<'a>)>, SpmError> {
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

pub(super) fn read_piece(bytes: &[u8]) -> Result<Piece, SpmError> {
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

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, field << 3 | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A model file with these pieces (text, score, kind), segmenting by `algorithm`, with
/// the default normalisation (dummy prefix, extra whitespace removed): what a model
/// written for tests and benchmarks ships as its `*.model`.
pub fn write_model(pieces: &[(&str, f32, PieceKind)], algorithm: super::Algorithm) -> Vec<u8> {
    let mut out = Vec::new();
    for (text, score, kind) in pieces {
        let mut p = Vec::new();
        put_bytes(&mut p, 1, text.as_bytes());
        put_varint(&mut p, 2 << 3 | 5);
        p.extend_from_slice(&score.to_le_bytes());
        let kind = match kind {
            PieceKind::Normal => 1,
            PieceKind::Unknown => 2,
            PieceKind::Control => 3,
            PieceKind::UserDefined => 4,
            PieceKind::Unused => 5,
            PieceKind::Byte => 6,
        };
        put_varint(&mut p, 3 << 3);
        put_varint(&mut p, kind);
        put_bytes(&mut out, 1, &p);
    }
    let model_type = match algorithm {
        super::Algorithm::Unigram => 1,
        super::Algorithm::Bpe => 2,
    };
    put_bytes(&mut out, 2, &[3 << 3, model_type]);
    // NormalizerSpec: add_dummy_prefix (3) and remove_extra_whitespaces (4) on.
    put_bytes(&mut out, 3, &[3 << 3, 1, 4 << 3, 1]);
    out
}
