//! The indexer's error type.

use std::path::PathBuf;

/// Errors from the search index and ingestion.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index directory cannot be created or opened.
    #[error("cannot open the index at {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    /// The query string does not parse.
    #[error("bad query: {message}")]
    BadQuery {
        message: String,
        /// Character offset of the problem in the query, where known.
        position: Option<usize>,
    },
    /// A document to index is invalid (empty, too large, missing a field).
    #[error("invalid document: {0}")]
    InvalidDocument(String),
    /// A model cannot be loaded or run, or semantic search was asked for without one.
    #[error("model: {0}")]
    Model(String),
    /// The job store cannot be read or written.
    #[error("ingest jobs: {0}")]
    Jobs(String),
    /// Anything else tantivy reports; a runtime fault, not the caller's.
    #[error("index failure: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// The first line of an error (candle appends a backtrace when one was captured).
pub(crate) fn first_line(e: impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_owned()
}

/// A model's weights named for provenance: the first 12 hex digits of their SHA-256.
pub(crate) fn weights_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
