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
    /// Indexes documents with one commit (falling back to one at a time when one of
    /// them is refused) and upserts their `Document` nodes; one outcome per document.
    pub async fn ingest_batch(&self, docs: Vec<NewDocument>) -> Vec<ApiResult<Ingested>> {
        if docs.is_empty() {
            return Vec::new();
        }
        let nodes: Vec<DocumentNode> = docs.iter().map(node).collect();
        let index = self.index.clone();
        let batch = docs.clone();
        let ids: Vec<ApiResult<String>> =
            match self.cpu.run(move || index.add_documents(&batch)).await {
                Ok(Ok(ids)) => ids.into_iter().map(Ok).collect(),
                Ok(Err(toex_indexer::IndexError::InvalidDocument(_))) if docs.len() > 1 => {
                    let mut out = Vec::new();
                    for doc in docs {
                        let index = self.index.clone();
                        out.push(
                            match self.cpu.run(move || index.add_documents(&[doc])).await {
                                Ok(Ok(mut ids)) => Ok(ids.remove(0)),
                                Ok(Err(e)) => Err(e.into()),
                                Err(e) => Err(e.into()),
                            },
                        );
                    }
                    out
                }
                Ok(Err(e)) => {
                    let err: crate::error::ApiError = e.into();
                    nodes.iter().map(|_| Err(err.clone())).collect()
                }
                Err(e) => {
                    let err: crate::error::ApiError = e.into();
                    nodes.iter().map(|_| Err(err.clone())).collect()
                }
            };
        let mut out = Vec::with_capacity(ids.len());
        for (id, node) in ids.into_iter().zip(nodes) {
            out.push(match id {
                Ok(id) => self.link(id, &node).await,
                Err(e) => Err(e),
            });
        }
        out
    }

    /// Upserts the document's node; a Neo4j outage leaves it searchable, unlinked.
    async fn link(&self, id: String, node: &DocumentNode) -> ApiResult<Ingested> {
        let graph_linked = match self.graph.upsert_document(node).await {
            Ok(()) => true,
            Err(err) if err.is_unavailable() => {
                tracing::warn!(%id, error = %err, "document indexed; its graph node waits for Neo4j");
                false
            }
            Err(err) => return Err(err.into()),
        };
        Ok(Ingested { id, graph_linked })
    }

    /// Indexes `doc` (idempotent by content hash) and upserts its `Document` node.
    pub async fn ingest(&self, doc: NewDocument) -> ApiResult<Ingested> {
        self.ingest_batch(vec![doc])
            .await
            .pop()
            .unwrap_or_else(|| Err(crate::error::ApiError::bad_input("nothing to ingest")))
    }
}

fn node(doc: &NewDocument) -> DocumentNode {
    DocumentNode {
        id: doc.id(),
        title: doc.title.clone(),
        force: doc.force.clone(),
        operation: doc.operation.clone(),
        source_type: doc.source_type.clone(),
        language: doc.language.clone(),
        content_hash: doc.content_hash(),
    }
}
