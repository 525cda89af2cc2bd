//! The graph as the pipeline writes to it, behind a trait: `GraphClient` is the real one
//! (Neo4j), and the pipeline's unit tests use an in-memory fake.

use toex_graph::{
    AlertRow, DocumentNode, DocumentPlace, GraphClient, GraphError, KnownPersonRow, MentionRow,
    SavedSearchRow, WatchRow,
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
    /// Every saved search, of every owner (new material is checked against them).
    async fn saved_searches(&self) -> Result<Vec<SavedSearchRow>, GraphError>;
    /// Every watch, of every owner.
    async fn watches(&self) -> Result<Vec<WatchRow>, GraphError>;
    /// Alerts raised, stored once each (their ids are stable).
    async fn record_alerts(&self, alerts: &[AlertRow]) -> Result<(), GraphError>;
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

    async fn saved_searches(&self) -> Result<Vec<SavedSearchRow>, GraphError> {
        GraphClient::saved_searches(self, None).await
    }

    async fn watches(&self) -> Result<Vec<WatchRow>, GraphError> {
        GraphClient::watches(self, None).await
    }

    async fn record_alerts(&self, alerts: &[AlertRow]) -> Result<(), GraphError> {
        GraphClient::record_alerts(self, alerts).await
    }
}
