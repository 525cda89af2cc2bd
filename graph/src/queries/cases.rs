//! A case at a glance: an operation's material and people counted within the caller's
//! scope, and the saved searches and watches its team keeps for it. The case's notes,
//! bookmarks, charts and decisions come from their own modules.

use serde::Deserialize;

use super::scoped;
use crate::{GraphClient, GraphError, Scope};

/// A saved search or watch kept for a case, with its owner.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CaseStandingOrder {
    pub id: String,
    pub owner: String,
    /// A saved search's name, a watch's label.
    pub name: String,
    /// A saved search's query, a watch's key.
    pub text: String,
    pub created_at: String,
}

/// An operation as a case.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CaseRow {
    pub operation: String,
    pub force: String,
    pub documents: i64,
    pub persons: i64,
    pub incidents: i64,
    pub missing_episodes: i64,
    pub saved_searches: Vec<CaseStandingOrder>,
    pub watches: Vec<CaseStandingOrder>,
}

const CASE: &str = concat!(
    "MATCH (o:Operation {id: $operation}) WHERE o.force IN $forces AND ",
    operation_allowed!("o.id"),
    " RETURN o.id AS operation, o.force AS force, \
       COUNT { MATCH (d:Document)-[r:PART_OF]->(o) WHERE r.force IN $forces AND d.force IN $forces } AS documents, \
       COUNT { MATCH (p:Person)-[r:PART_OF]->(o) WHERE r.force IN $forces AND p.force IN $forces } AS persons, \
       COUNT { MATCH (i:Incident)-[r:PART_OF]->(o) WHERE r.force IN $forces AND i.force IN $forces } AS incidents, \
       COUNT { MATCH (m:MissingEpisode)-[r:PART_OF]->(o) WHERE r.force IN $forces AND m.force IN $forces } AS missing_episodes, \
       COLLECT { MATCH (s:SavedSearch) WHERE s.operation = $operation \
         RETURN {id: s.id, owner: s.owner, name: s.name, text: s.query, created_at: s.createdAt} \
         ORDER BY s.createdAt LIMIT 500 } AS saved_searches, \
       COLLECT { MATCH (w:Watch) WHERE w.operation = $operation \
         RETURN {id: w.id, owner: w.owner, name: w.label, text: w.key, created_at: w.createdAt} \
         ORDER BY w.createdAt LIMIT 2000 } AS watches"
);

impl GraphClient {
    /// The operation as a case, when the caller holds it and its force.
    ///
    /// Cypher: one statement from the `operation_id` index: counts over `PART_OF` and
    /// the saved searches and watches kept for it.
    pub async fn case(
        &self,
        scope: &Scope,
        operation: &str,
    ) -> Result<Option<CaseRow>, GraphError> {
        let rows = self
            .rows(scoped(CASE, scope).param("operation", operation))
            .await?;
        Ok(rows.into_iter().next())
    }
}
