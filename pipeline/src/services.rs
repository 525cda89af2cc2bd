//! The shared services every use case reaches: the graph, the index, the CPU pool, the
//! models, the job queue and the gazetteer; built once at start-up.

use std::sync::Arc;

use toex_cpu::CpuPool;
use toex_graph::GraphClient;
use toex_indexer::SearchIndex;

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
    /// What ingestion writes to the graph through: `graph` itself, or a fake in tests.
    pub ingest_graph: Arc<dyn crate::graph::IngestGraph>,
    pub index: Arc<SearchIndex>,
    /// Runs search, scoring and indexing off the async runtime: what a request waits for.
    pub cpu: CpuPool,
    /// Runs ingest and translation jobs' heavy work (reading files, OCR, transcription,
    /// translation): a pool of its own, so a batch of scans, which fills every worker it
    /// has, never holds up an analyst's search or page behind it.
    pub jobs_cpu: CpuPool,
    pub models: Vec<ModelInfo>,
    /// Durable ingest jobs and their queue.
    pub jobs: Arc<crate::jobs::Jobs>,
    /// The threat-profile method (weights, bands, windows; versioned).
    pub profiles: Arc<toex_analytics::profiles::ProfileConfig>,
    /// The gazetteer of known persons that ingestion extracts names with.
    pub names: Arc<crate::names::Names>,
    /// The translation models (OPUS-MT pairs, NLLB-200) in use now: from settings and
    /// those installed, loaded again when one is installed or removed.
    pub translation: Arc<crate::TranslationModels>,
    /// Saved searches and watches, and the alerts new material raises on them.
    pub alerts: Arc<crate::alerts::Alerts>,
    /// Whisper, when a model is installed; recordings wait (pending) without it.
    pub speech: Option<Arc<toex_inference::transcribe::SpeechEngine>>,
    /// This replica's place in the index log on NATS JetStream; `None` in the
    /// single-process default, where writes go straight into `index`.
    pub replication: Option<Arc<crate::replication::Replication>>,
    /// The work queue `toex worker` processes take recordings from (with NATS: this
    /// process transcribes nothing itself).
    pub work: Option<Arc<toex_cluster::WorkQueue>>,
    /// With NATS: the originals every replica can serve (see [`Services::media`]).
    pub shared_media: Option<Arc<crate::media::SharedMedia>>,
    pub version: &'static str,
}
