//! The pipeline's error type: which engine failed, kept whole so that the GraphQL layer's
//! one table can map it to a code.

use std::sync::Arc;

use toex_analytics::AnalyticsError;
use toex_cpu::PoolError;
use toex_graph::GraphError;
use toex_indexer::IndexError;
use toex_inference::InferenceError;

/// Errors from the application core, by the engine they came from.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    /// The index log on NATS JetStream (replicated mode) failed.
    #[error(transparent)]
    Cluster(#[from] toex_cluster::ClusterError),
    /// A queue of the pipeline's own is full; try again shortly.
    #[error("{0}")]
    Overloaded(&'static str),
    /// The caller's request cannot be carried out as asked.
    #[error("{0}")]
    InvalidInput(String),
    /// Something the application needs could not be opened or loaded at start-up.
    #[error("{what}: {reason}")]
    Open { what: String, reason: String },
    /// The installed models could not be read or written.
    #[error("{0}")]
    Models(String),
    /// A case bundle could not be written or read.
    #[error("{0}")]
    Bundle(String),
    /// One failure shared by every document of a batch.
    #[error(transparent)]
    Shared(Arc<PipelineError>),
}

impl PipelineError {
    /// The message for the caller when this is the caller's fault (a refused document, a
    /// bad argument); `None` for a fault of an engine.
    pub fn bad_input(&self) -> Option<&str> {
        match self {
            Self::Index(IndexError::InvalidDocument(m))
            | Self::Graph(GraphError::InvalidInput(m))
            | Self::Inference(InferenceError::InvalidDocument(m))
            | Self::Analytics(AnalyticsError::InvalidInput(m))
            | Self::InvalidInput(m) => Some(m),
            Self::Shared(e) => e.bad_input(),
            _ => None,
        }
    }

    /// Whether Neo4j is down or unreachable for now (it may answer if asked again).
    pub fn is_graph_outage(&self) -> bool {
        match self {
            Self::Graph(e) => e.is_transient(),
            Self::Shared(e) => e.is_graph_outage(),
            _ => false,
        }
    }

    /// `err` as the outcome of each of `n` documents.
    pub(crate) fn for_each<T>(err: PipelineError, n: usize) -> Vec<Result<T, PipelineError>> {
        if n == 1 {
            return vec![Err(err)];
        }
        let shared = Arc::new(err);
        (0..n).map(|_| Err(Self::Shared(shared.clone()))).collect()
    }
}
