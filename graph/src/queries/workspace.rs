//! What an analyst keeps: saved searches and watched identifiers (each with the owner's
//! compartment at the time it was made), and the alerts new material raised on them.
//! None of these nodes is linked to case data, so no network query ever walks them.

use serde::{Deserialize, Serialize};

use neo4rs::BoltType;

use super::scoped;
use crate::import::records::bolt_map;
use crate::{GraphClient, GraphError, Scope};

/// A search an analyst keeps, run against every new batch of material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSearchRow {
    pub id: String,
    pub owner: String,
    pub name: String,
    pub query: String,
    /// The case (operation) it was saved for, if any.
    pub operation: Option<String>,
    /// The owner's forces and operations when it was saved: it never matches outside them.
    pub forces: Vec<String>,
    pub operations: Option<Vec<String>>,
    /// RFC 3339.
    pub created_at: String,
}

/// An identifier or person an analyst watches, by its `kind:value` key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchRow {
    pub id: String,
    pub owner: String,
    /// `phone:+447700900001`, `person:WYP-123`: the key extraction stores for a mention.
    pub key: String,
    /// As the analyst typed it.
    pub label: String,
    pub operation: Option<String>,
    pub forces: Vec<String>,
    pub operations: Option<Vec<String>>,
    pub created_at: String,
}

/// New material that matched a saved search or a watch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: String,
    pub owner: String,
    /// `SEARCH` or `WATCH`.
    pub kind: String,
    /// The saved search's or watch's id, and its name or label.
    pub subject_id: String,
    pub subject: String,
    /// The document that matched; none for a relationship an import wrote.
    pub document_id: Option<String>,
    pub title: String,
    /// The document's (or imported record's) force and operation: the alert is shown
    /// only within them.
    pub force: String,
    pub document_operation: Option<String>,
    /// The segment that matched, when the document has segments.
    pub segment: Option<i64>,
    /// Why it matched, in a sentence.
    pub why: String,
    /// For a watch, the key it watched (`phone:+447700900001`).
    pub watched_key: Option<String>,
    /// The subject belongs to a case and the material to another case or force.
    pub cross_case: bool,
    /// For a relationship an import wrote: its type (`USES`, `INVOLVED_IN`, …) and the
    /// graph key of its other end.
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub related: Option<String>,
    /// What raised it: `ingest`, `relink` or the import's `import:<hash>`.
    #[serde(default)]
    pub source: Option<String>,
    pub created_at: String,
    pub read: bool,
}

const SAVE_SEARCH: &str = "MERGE (s:SavedSearch {id: $row.id}) \
     SET s.owner = $row.owner, s.name = $row.name, s.query = $row.query, \
     s.operation = $row.operation, s.forces = $row.forces, s.operations = $row.operations, \
     s.createdAt = $row.created_at";

const SAVED_SEARCHES: &str = "MATCH (s:SavedSearch) WHERE $owner IS NULL OR s.owner = $owner \
     RETURN s.id AS id, s.owner AS owner, s.name AS name, s.query AS query, \
     s.operation AS operation, s.forces AS forces, s.operations AS operations, \
     s.createdAt AS created_at ORDER BY s.createdAt, s.id";

const DELETE_SAVED_SEARCH: &str = "MATCH (s:SavedSearch {id: $id, owner: $owner}) \
     DETACH DELETE s RETURN count(*) AS deleted";

const STANDING_COUNTS: &str = "OPTIONAL MATCH (s:SavedSearch {owner: $owner}) \
     WITH count(s) AS searches OPTIONAL MATCH (w:Watch {owner: $owner}) \
     RETURN searches, count(w) AS watches";

const ADD_WATCH: &str = "MERGE (w:Watch {id: $row.id}) \
     SET w.owner = $row.owner, w.key = $row.key, w.label = $row.label, \
     w.operation = $row.operation, w.forces = $row.forces, w.operations = $row.operations, \
     w.createdAt = $row.created_at";

const WATCHES: &str = "MATCH (w:Watch) WHERE $owner IS NULL OR w.owner = $owner \
     RETURN w.id AS id, w.owner AS owner, w.key AS key, w.label AS label, \
     w.operation AS operation, w.forces AS forces, w.operations AS operations, \
     w.createdAt AS created_at ORDER BY w.createdAt, w.id";

const DELETE_WATCH: &str = "MATCH (w:Watch {id: $id, owner: $owner}) \
     DETACH DELETE w RETURN count(*) AS deleted";

const RECORD_ALERTS: &str = "UNWIND $rows AS row \
     MERGE (a:Alert {id: row.id}) ON CREATE SET a.owner = row.owner, a.kind = row.kind, \
     a.subjectId = row.subject_id, a.subject = row.subject, a.documentId = row.document_id, \
     a.title = row.title, a.force = row.force, a.documentOperation = row.document_operation, \
     a.segment = row.segment, a.why = row.why, a.watchedKey = row.watched_key, a.crossCase = row.cross_case, \
     a.relationship = row.relationship, a.related = row.related, a.source = row.source, \
     a.createdAt = row.created_at, a.read = false";

/// What an alert row returns.
macro_rules! alert_fields {
    () => {
        "a.id AS id, a.owner AS owner, a.kind AS kind, a.subjectId AS subject_id, \
         a.subject AS subject, a.documentId AS document_id, a.title AS title, a.force AS force, \
         a.documentOperation AS document_operation, a.segment AS segment, a.why AS why, \
         a.watchedKey AS watched_key, a.crossCase AS cross_case, a.relationship AS relationship, \
         a.related AS related, a.source AS source, a.createdAt AS created_at, a.read AS read"
    };
}

/// The owner's alerts within the caller's compartment (a force or operation the owner
/// has since lost is not shown), newest first.
const ALERTS: &str = concat!(
    "MATCH (a:Alert) WHERE a.owner = $owner AND a.force IN $forces \
     AND ($operations IS NULL OR a.documentOperation IN $operations) \
     AND (NOT $unreadOnly OR NOT a.read) RETURN ",
    alert_fields!(),
    " ORDER BY a.createdAt DESC, a.id LIMIT $limit"
);

/// Every owner's alerts created after `$since` (the live feed's catch-up with alerts
/// other processes raised), oldest first.
const ALERTS_SINCE: &str = concat!(
    "MATCH (a:Alert) WHERE a.createdAt > $since RETURN ",
    alert_fields!(),
    " ORDER BY a.createdAt, a.id LIMIT $limit"
);

const UNREAD_ALERTS: &str = "MATCH (a:Alert) WHERE a.owner = $owner AND NOT a.read \
     AND a.force IN $forces AND ($operations IS NULL OR a.documentOperation IN $operations) \
     RETURN count(a) AS unread";

const MARK_READ: &str = "MATCH (a:Alert) WHERE a.owner = $owner AND a.id IN $ids \
     AND a.force IN $forces AND ($operations IS NULL OR a.documentOperation IN $operations) \
     AND NOT a.read SET a.read = true RETURN count(a) AS marked";

/// How many saved searches and watches one analyst keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct StandingCounts {
    pub searches: i64,
    pub watches: i64,
}

#[derive(Deserialize)]
struct Count {
    #[serde(alias = "deleted", alias = "unread", alias = "marked")]
    n: i64,
}

fn count(rows: Vec<Count>) -> u64 {
    rows.first().map_or(0, |c| u64::try_from(c.n).unwrap_or(0))
}

impl SavedSearchRow {
    fn to_bolt(&self) -> BoltType {
        bolt_map(vec![
            ("id", self.id.clone().into()),
            ("owner", self.owner.clone().into()),
            ("name", self.name.clone().into()),
            ("query", self.query.clone().into()),
            ("operation", self.operation.clone().into()),
            ("forces", self.forces.clone().into()),
            ("operations", self.operations.clone().into()),
            ("created_at", self.created_at.clone().into()),
        ])
    }
}

impl WatchRow {
    fn to_bolt(&self) -> BoltType {
        bolt_map(vec![
            ("id", self.id.clone().into()),
            ("owner", self.owner.clone().into()),
            ("key", self.key.clone().into()),
            ("label", self.label.clone().into()),
            ("operation", self.operation.clone().into()),
            ("forces", self.forces.clone().into()),
            ("operations", self.operations.clone().into()),
            ("created_at", self.created_at.clone().into()),
        ])
    }
}

impl AlertRow {
    fn to_bolt(&self) -> BoltType {
        bolt_map(vec![
            ("id", self.id.clone().into()),
            ("owner", self.owner.clone().into()),
            ("kind", self.kind.clone().into()),
            ("subject_id", self.subject_id.clone().into()),
            ("subject", self.subject.clone().into()),
            ("document_id", self.document_id.clone().into()),
            ("title", self.title.clone().into()),
            ("force", self.force.clone().into()),
            ("document_operation", self.document_operation.clone().into()),
            ("segment", self.segment.into()),
            ("why", self.why.clone().into()),
            ("watched_key", self.watched_key.clone().into()),
            ("cross_case", self.cross_case.into()),
            ("relationship", self.relationship.clone().into()),
            ("related", self.related.clone().into()),
            ("source", self.source.clone().into()),
            ("created_at", self.created_at.clone().into()),
        ])
    }
}

impl GraphClient {
    /// Keeps (or replaces, by id) a saved search.
    ///
    /// Cypher: one `MERGE` by id.
    pub async fn save_search(&self, row: &SavedSearchRow) -> Result<(), GraphError> {
        let query = neo4rs::query(SAVE_SEARCH).param("row", row.to_bolt());
        self.write_rows::<serde_json::Value>(query).await.map(drop)
    }

    /// Saved searches of `owner`, or of everyone (`None`: the alert matcher), oldest first.
    pub async fn saved_searches(
        &self,
        owner: Option<&str>,
    ) -> Result<Vec<SavedSearchRow>, GraphError> {
        self.rows(neo4rs::query(SAVED_SEARCHES).param("owner", owner))
            .await
    }

    /// How many saved searches and watches `owner` keeps.
    pub async fn standing_counts(&self, owner: &str) -> Result<StandingCounts, GraphError> {
        let query = neo4rs::query(STANDING_COUNTS).param("owner", owner);
        let rows: Vec<StandingCounts> = self.rows(query).await?;
        Ok(rows.first().copied().unwrap_or(StandingCounts {
            searches: 0,
            watches: 0,
        }))
    }

    /// Removes `owner`'s saved search `id`; whether there was one.
    pub async fn delete_saved_search(&self, owner: &str, id: &str) -> Result<bool, GraphError> {
        let query = neo4rs::query(DELETE_SAVED_SEARCH)
            .param("owner", owner)
            .param("id", id);
        Ok(count(self.write_rows(query).await?) > 0)
    }

    /// Keeps (or replaces, by id) a watch.
    pub async fn add_watch(&self, row: &WatchRow) -> Result<(), GraphError> {
        let query = neo4rs::query(ADD_WATCH).param("row", row.to_bolt());
        self.write_rows::<serde_json::Value>(query).await.map(drop)
    }

    /// Watches of `owner`, or of everyone (`None`: the alert matcher), oldest first.
    pub async fn watches(&self, owner: Option<&str>) -> Result<Vec<WatchRow>, GraphError> {
        self.rows(neo4rs::query(WATCHES).param("owner", owner))
            .await
    }

    /// Removes `owner`'s watch `id`; whether there was one.
    pub async fn delete_watch(&self, owner: &str, id: &str) -> Result<bool, GraphError> {
        let query = neo4rs::query(DELETE_WATCH)
            .param("owner", owner)
            .param("id", id);
        Ok(count(self.write_rows(query).await?) > 0)
    }

    /// Stores new alerts (idempotent by id).
    ///
    /// Cypher: one `UNWIND … MERGE`.
    pub async fn record_alerts(&self, rows: &[AlertRow]) -> Result<(), GraphError> {
        if rows.is_empty() {
            return Ok(());
        }
        let rows: Vec<BoltType> = rows.iter().map(AlertRow::to_bolt).collect();
        let query = neo4rs::query(RECORD_ALERTS).param("rows", rows);
        self.write_rows::<serde_json::Value>(query).await.map(drop)
    }

    /// `owner`'s alerts within `scope`, newest first, at most `limit`.
    pub async fn alerts(
        &self,
        scope: &Scope,
        owner: &str,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<AlertRow>, GraphError> {
        let query = scoped(ALERTS, scope)
            .param("owner", owner)
            .param("unreadOnly", unread_only)
            .param("limit", limit);
        self.rows(query).await
    }

    /// Every owner's alerts created after `since` (RFC 3339), oldest first, at most
    /// `limit`: what other processes raised, for the live feed. Not scoped: the feed
    /// shows each subscriber only their own alerts within their scope.
    pub async fn alerts_since(&self, since: &str, limit: i64) -> Result<Vec<AlertRow>, GraphError> {
        let query = neo4rs::query(ALERTS_SINCE)
            .param("since", since)
            .param("limit", limit);
        self.rows(query).await
    }

    /// How many of `owner`'s alerts within `scope` are unread.
    pub async fn unread_alerts(&self, scope: &Scope, owner: &str) -> Result<u64, GraphError> {
        let query = scoped(UNREAD_ALERTS, scope).param("owner", owner);
        Ok(count(self.rows(query).await?))
    }

    /// Marks `owner`'s alerts `ids` (within `scope`) read; how many changed.
    pub async fn mark_alerts_read(
        &self,
        scope: &Scope,
        owner: &str,
        ids: &[String],
    ) -> Result<u64, GraphError> {
        let query = scoped(MARK_READ, scope)
            .param("owner", owner)
            .param("ids", ids.to_vec());
        Ok(count(self.write_rows(query).await?))
    }
}
