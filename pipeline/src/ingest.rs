//! One path for putting a document into toex, shared by the `ingestText` mutation,
//! ingest jobs and `toex ingest`: index it (on the CPU pool), then record its node in the graph.

use toex_graph::{DocumentNode, DocumentPlace, MentionRow, label_of};
use toex_indexer::{Added, NewDocument};

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

/// What an ingest does while Neo4j is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhileGraphDown {
    /// Answers at once: the documents are searchable, unlinked (`graph_linked: false`),
    /// for a caller waiting on the answer.
    Answer,
    /// Waits for Neo4j, then links the documents and checks them against the standing
    /// orders: for jobs, whose files are done only when the graph holds them too.
    Wait,
}

/// Pauses between tries of the graph while a job waits for it: 250 ms, doubling to 5 s.
pub(crate) struct GraphPause(std::time::Duration);

impl GraphPause {
    pub(crate) fn new() -> Self {
        Self(std::time::Duration::from_millis(250))
    }

    pub(crate) async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(std::time::Duration::from_secs(5));
    }
}

impl Services {
    /// Indexes documents with one commit (falling back to one at a time when one of
    /// them is refused) and upserts their `Document` nodes; one outcome per document.
    /// While Neo4j is down the documents are answered unlinked.
    pub async fn ingest_batch(
        &self,
        docs: Vec<NewDocument>,
    ) -> Vec<Result<Ingested, PipelineError>> {
        self.ingest_batch_as(docs, WhileGraphDown::Answer).await
    }

    /// [`Services::ingest_batch`], choosing what happens while Neo4j is down.
    pub async fn ingest_batch_as(
        &self,
        docs: Vec<NewDocument>,
        graph_down: WhileGraphDown,
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
        let docs = match self
            .cpu
            .run(move || {
                let mut docs = docs;
                for d in &mut docs {
                    // Only the names of persons the document's own force holds.
                    d.extract_mentions(gazetteer.of(&d.force));
                }
                docs
            })
            .await
        {
            Ok(docs) => docs,
            Err(e) => return PipelineError::for_each(e.into(), count),
        };
        let added = self.index_documents(&docs).await;
        // The documents indexed go to the graph together, in one transaction.
        let nodes: Vec<(usize, DocumentNode)> = added
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((i, node(&docs[i], a.as_ref().ok()?))))
            .collect();
        // One outcome of the graph write per indexed document, in order.
        let mut pause = GraphPause::new();
        let linked = loop {
            match self.link(&nodes, &docs).await {
                Ok(false) if graph_down == WhileGraphDown::Wait && !nodes.is_empty() => {
                    pause.wait().await;
                }
                linked => break linked,
            }
        };
        let mut linked = match linked {
            Ok(linked) => vec![linked; nodes.len()].into_iter().map(Ok).collect(),
            Err(e) => PipelineError::for_each(e, nodes.len()),
        }
        .into_iter();
        // New material checked against every saved search and watch (the documents are
        // not needed here any more: moved, not copied).
        let arrived = added
            .iter()
            .zip(docs)
            .filter_map(|(a, doc)| Some((a.as_ref().ok()?.id.clone(), doc)))
            .collect();
        self.raise_alerts(arrived, graph_down).await;
        added
            .into_iter()
            .map(|added| {
                let id = added?.id;
                let graph_linked = linked.next().unwrap_or(Ok(false))?;
                Ok(Ingested { id, graph_linked })
            })
            .collect()
    }

    /// Writes the nodes of the indexed documents (`(position in docs, node)`) and their
    /// mentions in one transaction. `Ok(false)` when Neo4j is unavailable: the documents
    /// stay searchable, unlinked (the re-linking job does not retry them: re-ingesting
    /// does).
    async fn link(
        &self,
        nodes: &[(usize, DocumentNode)],
        docs: &[NewDocument],
    ) -> Result<bool, PipelineError> {
        if nodes.is_empty() {
            return Ok(false);
        }
        let batch: Vec<DocumentNode> = nodes.iter().map(|(_, n)| n.clone()).collect();
        let mentions: Vec<MentionRow<'_>> = nodes
            .iter()
            .flat_map(|(i, node)| {
                docs[*i]
                    .mentions
                    .iter()
                    .filter(|m| label_of(m.found.kind).is_some())
                    .map(move |m| MentionRow {
                        document: &node.id,
                        force: &node.force,
                        mention: m,
                    })
            })
            .collect();
        let operations: Vec<(&str, &str, &str)> = nodes
            .iter()
            .filter_map(|(_, node)| {
                Some((
                    node.id.as_str(),
                    node.force.as_str(),
                    node.operation.as_deref()?,
                ))
            })
            .collect();
        let places: Vec<DocumentPlace> = nodes
            .iter()
            .filter_map(|(i, node)| {
                let provenance = docs[*i].provenance.as_ref()?;
                let point = provenance.location?;
                Some(DocumentPlace {
                    document: node.id.clone(),
                    force: node.force.clone(),
                    latitude: point.latitude,
                    longitude: point.longitude,
                    taken: provenance.taken.clone(),
                })
            })
            .collect();
        match self
            .ingest_graph
            .write_documents(&batch, &mentions, &operations, &places)
            .await
        {
            Ok(()) => Ok(true),
            Err(err) if err.is_transient() => {
                // Said once per batch; a job waiting for Neo4j asks again quietly.
                tracing::warn!(
                    documents = batch.len(),
                    error = %err,
                    "documents indexed; their graph nodes wait for Neo4j"
                );
                Ok(false)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Indexes `doc` (idempotent by content hash) and upserts its `Document` node.
    pub async fn ingest(&self, doc: NewDocument) -> Result<Ingested, PipelineError> {
        self.ingest_batch(vec![doc])
            .await
            .pop()
            .unwrap_or_else(|| Err(PipelineError::InvalidInput("nothing to ingest".to_owned())))
    }
}

/// The graph node of `doc`, indexed as `added`.
fn node(doc: &NewDocument, added: &Added) -> DocumentNode {
    DocumentNode {
        id: added.id.clone(),
        title: doc.title.clone(),
        force: doc.force.clone(),
        operation: doc.operation.clone(),
        source_type: doc.source_type.clone(),
        language: doc.language.clone(),
        content_hash: added.content_hash.clone(),
    }
}
