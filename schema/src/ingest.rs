//! One path for putting a document into toex, shared by the `ingestText` mutation and
//! `toex ingest`: index it (on the CPU pool), then record its node in the graph.

use toex_graph::DocumentNode;
use toex_indexer::NewDocument;

use crate::Services;
use crate::error::ApiResult;

/// What ingesting one document did.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    /// The document id, shared by the index and the graph.
    pub id: String,
    /// Whether the graph node was written (false while Neo4j is down; the document is
    /// searchable either way).
    pub graph_linked: bool,
}

impl Services {
    /// Indexes `doc` (idempotent by content hash) and upserts its `Document` node.
    pub async fn ingest(&self, doc: NewDocument) -> ApiResult<Ingested> {
        let node = DocumentNode {
            id: doc.id(),
            title: doc.title.clone(),
            force: doc.force.clone(),
            operation: doc.operation.clone(),
            source_type: doc.source_type.clone(),
            language: doc.language.clone(),
            content_hash: doc.content_hash(),
        };
        let index = self.index.clone();
        let id = self
            .cpu
            .run(move || index.add_documents(&[doc]))
            .await??
            .remove(0);
        let graph_linked = match self.graph.upsert_document(&node).await {
            Ok(()) => true,
            Err(err) if err.is_unavailable() => {
                tracing::warn!(%id, error = %err, "document indexed; its graph node waits for Neo4j");
                false
            }
            Err(err) => return Err(err.into()),
        };
        Ok(Ingested { id, graph_linked })
    }
}
