//! Document nodes: the graph side of items in the search index.

use neo4rs::{BoltType, query};

use super::scoped;
use crate::import::records::bolt_map;
use crate::queries::mentions::mention_queries;
use crate::{DocumentNode, GraphClient, GraphError, MentionRow, Scope};

/// Creates or updates document nodes with the index's ids, owned by their forces.
const UPSERT_DOCUMENTS: &str = "UNWIND $rows AS row MERGE (d:Document {id: row.id}) \
     SET d:Entity, d.key = 'Document:' + row.id, d.caption = row.title, \
         d.title = row.title, d.force = row.force, d.operation = row.operation, \
         d.sourceType = row.source_type, d.language = row.language, \
         d.contentHash = row.content_hash";

impl GraphClient {
    /// Writes a batch of ingested documents in one transaction: their nodes, the
    /// mentions found in them (`rows`) and their operations (`PART_OF`).
    ///
    /// Cypher: `UNWIND $rows` + `MERGE (d:Document {id})`, then the statements of
    /// [`GraphClient::link_mentions`].
    pub async fn write_documents(
        &self,
        docs: &[DocumentNode],
        rows: &[MentionRow<'_>],
        operations: &[(&str, &str, &str)],
    ) -> Result<(), GraphError> {
        if docs.is_empty() {
            return Ok(());
        }
        let nodes: Vec<BoltType> = docs
            .iter()
            .map(|d| {
                bolt_map(vec![
                    ("id", d.id.as_str().into()),
                    ("title", d.title.as_str().into()),
                    ("force", d.force.as_str().into()),
                    ("operation", d.operation.clone().into()),
                    ("source_type", d.source_type.as_str().into()),
                    ("language", d.language.clone().into()),
                    ("content_hash", d.content_hash.as_str().into()),
                ])
            })
            .collect();
        let mut queries = vec![query(UPSERT_DOCUMENTS).param("rows", nodes)];
        queries.extend(mention_queries(rows, operations));
        self.run_in_transaction(&queries).await
    }

    /// Which of `ids` have a `Document` node, in one round trip (for DataLoader).
    ///
    /// Cypher: `UNWIND $ids` + `MATCH (d:Document {id: id})`.
    pub async fn document_nodes(
        &self,
        scope: &Scope,
        ids: &[String],
    ) -> Result<Vec<DocumentNode>, GraphError> {
        self.rows::<DocumentNode>(
            scoped(
                concat!(
                "UNWIND $ids AS id MATCH (d:Document {id: id}) WHERE ",
                in_scope!("d"),
                " RETURN d.id AS id, d.title AS title, d.force AS force, d.operation AS operation, \
                        d.sourceType AS source_type, d.language AS language, d.contentHash AS content_hash"
                ),
                scope,
            )
            .param("ids", ids.to_vec()),
        )
        .await
    }

    /// A document node by id, or `None` (the batched look-up with one id).
    pub async fn document_node(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<DocumentNode>, GraphError> {
        let rows = self.document_nodes(scope, &[id.to_owned()]).await?;
        Ok(rows.into_iter().next())
    }
}
