//! Document nodes: the graph side of items in the search index.

use neo4rs::{BoltType, query};

use super::scoped;
use crate::import::records::bolt_map;
use crate::queries::mentions::mention_queries;
use crate::{DocumentNode, DocumentPlace, GraphClient, GraphError, MentionRow, Scope};

/// Creates or updates document nodes with the index's ids, owned by their forces.
const UPSERT_DOCUMENTS: &str = "UNWIND $rows AS row MERGE (d:Document {id: row.id}) \
     SET d:Entity, d.key = 'Document:' + row.id, d.caption = row.title, \
         d.title = row.title, d.force = row.force, d.operation = row.operation, \
         d.sourceType = row.source_type, d.language = row.language, \
         d.contentHash = row.content_hash";

/// Of `(document, person)` pairs, those with no `MENTIONS` between them yet.
const UNLINKED_PERSONS: &str = "UNWIND $pairs AS p MATCH (d:Document {id: p.doc}) \
     WHERE NOT EXISTS { MATCH (d)-[:MENTIONS]->(:Person {id: p.person}) } \
     RETURN d.id AS document, p.person AS person, d.title AS title, d.force AS force, \
            d.operation AS operation";

/// A person a stored document names but is not linked to yet.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct UnlinkedPerson {
    pub document: String,
    pub person: String,
    pub title: Option<String>,
    pub force: String,
    pub operation: Option<String>,
}

/// Links photos to where they were taken: one `Location` per point (to about a metre),
/// owned by the force that recorded it first, and a `TAKEN_AT` owned by the document's.
const TAKEN_AT: &str = "UNWIND $rows AS row MATCH (d:Document {id: row.doc}) \
     MERGE (l:Location {id: row.id}) \
     ON CREATE SET l:Entity, l.key = 'Location:' + row.id, l.force = row.force, \
       l.source = row.doc, l.caption = row.caption, \
       l.point = point({latitude: row.lat, longitude: row.lon}) \
     MERGE (d)-[t:TAKEN_AT]->(l) ON CREATE SET t.force = row.force, t.source = row.doc \
     SET t.taken = row.taken";

impl GraphClient {
    /// Writes a batch of ingested documents in one transaction: their nodes, the
    /// mentions found in them (`rows`), their operations (`PART_OF`) and where the
    /// photos among them were taken (`TAKEN_AT`).
    ///
    /// Cypher: `UNWIND $rows` + `MERGE (d:Document {id})`, the statements of
    /// [`GraphClient::link_mentions`], then `MERGE (d)-[:TAKEN_AT]->(:Location)`.
    pub async fn write_documents(
        &self,
        docs: &[DocumentNode],
        rows: &[MentionRow<'_>],
        operations: &[(&str, &str, &str)],
        places: &[DocumentPlace],
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
        if !places.is_empty() {
            let places: Vec<BoltType> = places
                .iter()
                .map(|p| {
                    let id = format!("geo:{:.5},{:.5}", p.latitude, p.longitude);
                    bolt_map(vec![
                        ("doc", p.document.as_str().into()),
                        ("force", p.force.as_str().into()),
                        ("caption", id.trim_start_matches("geo:").into()),
                        ("id", id.into()),
                        ("lat", p.latitude.into()),
                        ("lon", p.longitude.into()),
                        ("taken", p.taken.clone().into()),
                    ])
                })
                .collect();
            queries.push(query(TAKEN_AT).param("rows", places));
        }
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

    /// Of `(document id, person id)` pairs, those not linked by a `MENTIONS` yet, with
    /// the document's title, force and operation: the links a re-linking pass is about
    /// to add (for the alerts on watched persons). Not scoped: the re-linking job's own
    /// look-up, across every force.
    ///
    /// Cypher: `UNWIND $pairs` + `MATCH (d:Document)` + `NOT EXISTS { MENTIONS }`.
    pub async fn unlinked_persons(
        &self,
        pairs: &[(String, String)],
    ) -> Result<Vec<UnlinkedPerson>, GraphError> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let pairs: Vec<BoltType> = pairs
            .iter()
            .map(|(doc, person)| {
                bolt_map(vec![
                    ("doc", doc.as_str().into()),
                    ("person", person.as_str().into()),
                ])
            })
            .collect();
        self.rows(query(UNLINKED_PERSONS).param("pairs", pairs))
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
