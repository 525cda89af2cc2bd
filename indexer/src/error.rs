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
    /// A search would take more than its budget (too deep a page, too many facet
    /// buckets or too much memory for them).
    #[error("search too large: {0}")]
    TooLarge(String),
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
    Tantivy(tantivy::TantivyError),
}

impl From<tantivy::TantivyError> for IndexError {
    fn from(err: tantivy::TantivyError) -> Self {
        use tantivy::aggregation::AggregationError as Agg;
        match err {
            tantivy::TantivyError::AggregationError(
                e @ (Agg::MemoryExceeded { .. } | Agg::BucketLimitExceeded { .. }),
            ) => IndexError::TooLarge(format!("its facet counts would exceed their budget: {e}")),
            other => IndexError::Tantivy(other),
        }
    }
}
