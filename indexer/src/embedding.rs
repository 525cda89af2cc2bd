//! What semantic search needs from an embedding model, without knowing the model: the
//! caller (the application core) hands the index an [`Embed`] built by `toex-inference`.

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
