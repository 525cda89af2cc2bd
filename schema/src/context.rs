//! What resolvers reach through the GraphQL context: the graph, the index, the CPU pool.

use std::sync::Arc;

use toex_graph::GraphClient;
use toex_indexer::{CpuPool, SearchIndex};

/// A model known to this instance and whether it is loaded.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    pub name: String,
    /// `transcription`, `translation`, `embedding`.
    pub task: String,
    pub loaded: bool,
}

/// Shared services, built once at start-up.
#[derive(Clone)]
pub struct Services {
    pub graph: GraphClient,
    pub index: Arc<SearchIndex>,
    /// Runs search and indexing off the async runtime.
    pub cpu: CpuPool,
    pub models: Vec<ModelInfo>,
    /// Durable ingest jobs and their queue.
    pub jobs: Arc<crate::jobs::Jobs>,
    /// The threat-profile method (weights, bands, windows; versioned).
    pub profiles: Arc<toex_graph::profiles::ProfileConfig>,
    /// The gazetteer of known persons that ingestion extracts names with.
    pub names: Arc<crate::linkage::Names>,
    /// Translation models by source language (Marian / OPUS-MT), loaded once.
    pub translation: Arc<toex_indexer::translate::Translators>,
    /// Whisper, when a model is installed; recordings wait (pending) without it.
    pub speech: Option<Arc<toex_indexer::transcribe::SpeechEngine>>,
    pub version: &'static str,
}
