//! The toex application core: the ingest pipeline (the durable job queue and its worker,
//! file preparation, translation jobs, recording transcription, batches indexed and
//! linked), the names re-linker, and use cases that combine the engines (graph, index,
//! models, analytics). It knows neither HTTP nor GraphQL; `schema` and `server` call it.

pub mod alerts;
pub mod cases;
pub mod embedding;
mod error;
pub mod graph;
pub mod ingest;
pub mod installed;
pub mod jobs;
pub mod media;
pub mod models;
pub mod names;
pub(crate) mod open;
pub mod profiles;
pub mod replication;
mod services;
pub mod settings;
pub mod worker;

pub use error::PipelineError;
pub use ingest::{Ingested, WhileGraphDown};
pub use installed::live::{TranslationModels, load_translators};
pub use open::{Background, Opened, open_graph, open_graph_waiting};
pub use services::{ModelInfo, Services};

/// Bytes as lower-case hex (digests in ids and manifests).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
