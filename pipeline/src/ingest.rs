//! One path for putting a document into toex, shared by the `ingestText` mutation,
//! ingest jobs and `toex ingest`: index it (on the CPU pool), then record its node in the graph.

use toex_graph::DocumentNode;
use toex_indexer::NewDocument;

use crate::{PipelineError, Services};

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
    pub async fn ingest_batch(
        &self,
        docs: Vec<NewDocument>,
    ) -> Vec<Result<Ingested, PipelineError>> {
        if docs.is_empty() {
            return Vec::new();
        }
        // Names the graph has gained since the last batch are found in this one.
        if let Err(e) = self.update_gazetteer().await {
            tracing::debug!(error = %e, "extracting with the last known gazetteer");
        }
        let gazetteer = self.names.get();
        let count = docs.len();
        let mut docs = docs;
        docs = match self
            .cpu
            .run(move || {
                for d in &mut docs {
                    d.extract_mentions(Some(&gazetteer));
                }
                docs
            })
            .await
        {
            Ok(docs) => docs,
            Err(e) => return PipelineError::for_each(e.into(), count),
        };
        let nodes: Vec<DocumentNode> = docs.iter().map(node).collect();
        let index = self.index.clone();
        let batch = docs.clone();
        let ids: Vec<Result<String, PipelineError>> =
            match self.cpu.run(move || index.add_documents(&batch)).await {
                Ok(Ok(ids)) => ids.into_iter().map(Ok).collect(),
                Ok(Err(toex_indexer::IndexError::InvalidDocument(_))) if docs.len() > 1 => {
                    let mut out = Vec::new();
                    for doc in docs.iter().cloned() {
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
                Ok(Err(e)) => PipelineError::for_each(e.into(), nodes.len()),
                Err(e) => PipelineError::for_each(e.into(), nodes.len()),
            };
        let mut out = Vec::with_capacity(ids.len());
        for ((id, node), doc) in ids.into_iter().zip(nodes).zip(&docs) {
            out.push(match id {
                Ok(id) => self.link(id, &node, &doc.mentions).await,
                Err(e) => Err(e),
            });
        }
        out
    }

    /// Upserts the document's node and its mentions; a Neo4j outage leaves it
    /// searchable, unlinked (the re-linking job does not retry it: re-ingesting does).
    async fn link(
        &self,
        id: String,
        node: &DocumentNode,
        mentions: &[toex_extract::Mention],
    ) -> Result<Ingested, PipelineError> {
        let written = match self.graph.upsert_document(node).await {
            Ok(()) => {
                self.link_document_mentions(&id, &node.force, node.operation.as_deref(), mentions)
                    .await
            }
            Err(e) => Err(e),
        };
        let graph_linked = match written {
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
    pub async fn ingest(&self, doc: NewDocument) -> Result<Ingested, PipelineError> {
        self.ingest_batch(vec![doc])
            .await
            .pop()
            .unwrap_or_else(|| Err(PipelineError::InvalidInput("nothing to ingest".to_owned())))
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
