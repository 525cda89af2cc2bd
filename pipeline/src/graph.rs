//! The graph as the pipeline writes to it, behind a trait: `GraphClient` is the real one
//! (Neo4j), and the pipeline's unit tests use an in-memory fake.

use toex_graph::{
    DocumentNode, DocumentPlace, GraphClient, GraphError, KnownPersonRow, MentionRow,
};

/// What ingestion and the names re-linker need from the graph.
#[async_trait::async_trait]
pub trait IngestGraph: Send + Sync {
    /// How many persons the graph holds (the gazetteer's trigger).
    async fn person_count(&self) -> Result<i64, GraphError>;
    /// Every person with a name, for the gazetteer.
    async fn known_persons(&self) -> Result<Vec<KnownPersonRow>, GraphError>;
    /// A batch of documents, their mentions, operations and photos' places, in one
    /// transaction.
    async fn write_documents(
        &self,
        docs: &[DocumentNode],
        mentions: &[MentionRow<'_>],
        operations: &[(&str, &str, &str)],
        places: &[DocumentPlace],
    ) -> Result<(), GraphError>;
    /// Mentions found again in stored documents, in one transaction.
    async fn link_mentions(&self, mentions: &[MentionRow<'_>]) -> Result<(), GraphError>;
}

#[async_trait::async_trait]
impl IngestGraph for GraphClient {
    async fn person_count(&self) -> Result<i64, GraphError> {
        GraphClient::person_count(self).await
    }

    async fn known_persons(&self) -> Result<Vec<KnownPersonRow>, GraphError> {
        GraphClient::known_persons(self).await
    }

    async fn write_documents(
        &self,
        docs: &[DocumentNode],
        mentions: &[MentionRow<'_>],
        operations: &[(&str, &str, &str)],
        places: &[DocumentPlace],
    ) -> Result<(), GraphError> {
        GraphClient::write_documents(self, docs, mentions, operations, places).await
    }

    async fn link_mentions(&self, mentions: &[MentionRow<'_>]) -> Result<(), GraphError> {
        GraphClient::link_mentions(self, mentions, &[]).await
    }
}
