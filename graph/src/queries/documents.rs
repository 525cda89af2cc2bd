//! Document nodes: the graph side of items in the search index.

use neo4rs::query;

use crate::{DocumentNode, GraphClient, GraphError};

impl GraphClient {
    /// Creates or updates the document node with the index's id, owned by its force.
    ///
    /// Cypher: one `MERGE (d:Document {id: $id})`.
    pub async fn upsert_document(&self, doc: &DocumentNode) -> Result<(), GraphError> {
        self.write_rows::<serde::de::IgnoredAny>(
            query(
                "MERGE (d:Document {id: $id}) \
                 SET d:Entity, d.key = 'Document:' + $id, d.caption = $title, \
                     d.title = $title, d.force = $force, d.operation = $operation, \
                     d.sourceType = $source_type, d.language = $language, d.contentHash = $content_hash \
                 RETURN d.id AS id",
            )
            .param("id", doc.id.as_str())
            .param("title", doc.title.as_str())
            .param("force", doc.force.as_str())
            .param("operation", doc.operation.clone())
            .param("source_type", doc.source_type.as_str())
            .param("language", doc.language.clone())
            .param("content_hash", doc.content_hash.as_str()),
        )
        .await?;
        Ok(())
    }

    /// A document node by id, or `None`.
    ///
    /// Cypher: one `MATCH (d:Document {id: $id})`.
    /// Which of `ids` have a `Document` node, in one round trip (for DataLoader).
    ///
    /// Cypher: `UNWIND $ids` + `MATCH (d:Document {id: id})`.
    pub async fn document_nodes(
        &self,
        forces: &[String],
        ids: &[String],
    ) -> Result<Vec<DocumentNode>, GraphError> {
        self.rows::<DocumentNode>(
            query(
                "UNWIND $ids AS id MATCH (d:Document {id: id}) WHERE d.force IN $forces \
                 RETURN d.id AS id, d.title AS title, d.force AS force, d.operation AS operation, \
                        d.sourceType AS source_type, d.language AS language, d.contentHash AS content_hash",
            )
            .param("ids", ids.to_vec())
            .param("forces", forces.to_vec()),
        )
        .await
    }

    pub async fn document_node(
        &self,
        forces: &[String],
        id: &str,
    ) -> Result<Option<DocumentNode>, GraphError> {
        let rows = self
            .rows::<DocumentNode>(
                query(
                    "MATCH (d:Document {id: $id}) WHERE d.force IN $forces \
                     RETURN d.id AS id, d.title AS title, d.force AS force, d.operation AS operation, \
                            d.sourceType AS source_type, d.language AS language, d.contentHash AS content_hash",
                )
                .param("id", id)
                .param("forces", forces.to_vec()),
            )
            .await?;
        Ok(rows.into_iter().next())
    }
}
