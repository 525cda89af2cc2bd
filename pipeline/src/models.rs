//! The models the engines need, adapted to the engines' own interfaces: MiniLM as the
//! search index's [`Embed`].

use std::sync::Arc;

use toex_indexer::{Embed, IndexError};
use toex_inference::InferenceError;
use toex_inference::embed::Embedder;

/// all-MiniLM-L6-v2 as the index's embedding model.
pub struct MiniLm(pub Arc<Embedder>);

impl Embed for MiniLm {
    fn model_id(&self) -> &str {
        &self.0.model_id
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, IndexError> {
        self.0.embed(texts).map_err(|e| match e {
            InferenceError::Model(m) | InferenceError::InvalidDocument(m) => IndexError::Model(m),
        })
    }
}
