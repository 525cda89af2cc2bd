//! What semantic search needs from an embedding model, without knowing the model: the
//! caller (the application core) hands the index an [`Embed`] built by `toex-inference`;
//! and vectors made in one place ([`Embedded`], [`pack`]) to be stored in another.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::IndexError;

/// Width of every vector the index stores (all-MiniLM-L6-v2's 384 dimensions).
pub const EMBEDDING_DIM: usize = 384;

/// A sentence-embedding model: English text in, unit vectors of [`EMBEDDING_DIM`] out.
pub trait Embed: Send + Sync {
    /// Names the model and its weights, for provenance and health.
    fn model_id(&self) -> &str;
    /// One unit vector per text, in order; a model fault is [`IndexError::Model`].
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, IndexError>;
}

/// A document's chunks (the segments each spans) and their vectors.
pub(crate) type ChunkVectors = Vec<(u32, u32, Vec<f32>)>;

/// A document's chunk vectors made once, by whichever process embedded it, and carried to
/// every index that stores it: the model that made them, and the chunks with their
/// vectors packed as the index stores them (base64).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedded {
    pub model: String,
    pub packed: String,
}

impl Embedded {
    pub(crate) fn of(model: &str, chunks: &[(u32, u32, Vec<f32>)]) -> Self {
        Self {
            model: model.to_owned(),
            packed: STANDARD.encode(crate::semantic::encode(chunks)),
        }
    }

    /// A document's vectors made elsewhere by `model`: one per chunk that
    /// [`crate::NewDocument::texts_to_embed`] gave, in its order.
    pub fn from_vectors(
        model: &str,
        chunks: &[(u32, u32, String)],
        vectors: Vec<Vec<f32>>,
    ) -> Result<Self, IndexError> {
        if chunks.len() != vectors.len() || vectors.iter().any(|v| v.len() != EMBEDDING_DIM) {
            return Err(IndexError::Model(format!(
                "{} vectors of {EMBEDDING_DIM} dimensions wanted",
                chunks.len()
            )));
        }
        let whole: ChunkVectors = chunks
            .iter()
            .zip(vectors)
            .map(|((first, last, _), v)| (*first, *last, v))
            .collect();
        Ok(Self::of(model, &whole))
    }

    /// The chunks and their vectors; refused when they are not whole vectors of
    /// [`EMBEDDING_DIM`].
    pub(crate) fn chunks(&self) -> Result<Vec<(u32, u32, Vec<f32>)>, IndexError> {
        let bytes = STANDARD
            .decode(&self.packed)
            .map_err(|e| IndexError::InvalidDocument(format!("packed vectors: {e}")))?;
        if bytes.len() % (8 + 4 * EMBEDDING_DIM) != 0 {
            return Err(IndexError::InvalidDocument(format!(
                "{} bytes of packed vectors are not whole chunks",
                bytes.len()
            )));
        }
        Ok(crate::semantic::decode(&bytes))
    }
}

/// Vectors of [`EMBEDDING_DIM`], packed in order (for sending them whole).
pub fn pack(vectors: &[Vec<f32>]) -> String {
    let bytes: Vec<u8> = vectors
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    STANDARD.encode(bytes)
}

/// What [`pack`] packed; refused unless it is whole vectors of [`EMBEDDING_DIM`].
pub fn unpack(packed: &str) -> Result<Vec<Vec<f32>>, IndexError> {
    let bytes = STANDARD
        .decode(packed)
        .map_err(|e| IndexError::Model(format!("packed vectors: {e}")))?;
    if bytes.len() % (4 * EMBEDDING_DIM) != 0 {
        return Err(IndexError::Model(format!(
            "{} bytes of packed vectors are not whole vectors",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4 * EMBEDDING_DIM)
        .map(|v| {
            v.chunks_exact(4)
                .map(|f| f32::from_le_bytes([f[0], f[1], f[2], f[3]]))
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(seed: f32) -> Vec<f32> {
        (0..EMBEDDING_DIM)
            .map(|i| seed + i as f32 / 1000.0)
            .collect()
    }

    #[test]
    fn vectors_made_elsewhere_round_trip_and_partial_ones_are_refused() {
        let vectors = vec![vector(0.5), vector(-0.25)];
        let packed = pack(&vectors);
        assert_eq!(unpack(&packed).unwrap(), vectors);
        let chunks = [(0, 2, "first".to_owned()), (3, 3, "second".to_owned())];
        let embedded = Embedded::from_vectors("minilm@abc", &chunks, vectors.clone()).unwrap();
        assert_eq!(
            embedded.chunks().unwrap(),
            vec![(0, 2, vectors[0].clone()), (3, 3, vectors[1].clone())]
        );
        // A vector short of its dimensions, or one too few, is refused.
        let short = vec![vec![0.0; EMBEDDING_DIM - 1], vector(1.0)];
        assert!(Embedded::from_vectors("m", &chunks, short).is_err());
        assert!(Embedded::from_vectors("m", &chunks, vec![vector(1.0)]).is_err());
        let cut = STANDARD.encode(&STANDARD.decode(&packed).unwrap()[..100]);
        assert!(unpack(&cut).is_err());
        let torn = Embedded {
            model: "m".to_owned(),
            packed: cut,
        };
        assert!(torn.chunks().is_err());
    }
}
