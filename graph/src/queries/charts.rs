//! Link charts an analyst keeps with a case: which nodes are on it, which were hidden or
//! pinned, its relationship filter and time slider. Only the keys are kept, never the
//! nodes' contents, so a chart reopened is read again under the reader's own scope.

use neo4rs::BoltType;
use serde::{Deserialize, Serialize};

use super::scoped;
use crate::import::records::bolt_map;
use crate::{GraphClient, GraphError, Scope};

/// A saved chart as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartRow {
    pub id: String,
    pub name: String,
    /// The case team that may open it.
    pub force: String,
    pub operation: Option<String>,
    /// Who made it, and who changed it last.
    pub owner: String,
    pub updated_by: String,
    /// The node the chart was started from.
    pub root: Option<String>,
    /// Node keys on the chart, hidden and pinned among them.
    pub keys: Vec<String>,
    /// The links on the chart, `from|TYPE|to`.
    pub links: Vec<String>,
    pub hidden: Vec<String>,
    pub pinned: Vec<String>,
    /// Relationship types shown (empty: the default set).
    pub types: Vec<String>,
    /// The time slider's day (`YYYY-MM-DD`).
    pub up_to: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

const SAVE: &str = "MERGE (c:Chart {id: $row.id}) \
     ON CREATE SET c.createdAt = $row.created_at, c.owner = $row.owner \
     SET c.name = $row.name, c.force = $row.force, c.operation = $row.operation, \
       c.updatedBy = $row.updated_by, c.root = $row.root, c.keys = $row.keys, c.links = $row.links, \
       c.hidden = $row.hidden, c.pinned = $row.pinned, c.types = $row.types, \
       c.upTo = $row.up_to, c.updatedAt = $row.updated_at";

macro_rules! chart_columns {
    () => {
        " RETURN c.id AS id, c.name AS name, c.force AS force, c.operation AS operation, \
         c.owner AS owner, c.updatedBy AS updated_by, c.root AS root, c.keys AS keys, coalesce(c.links, []) AS links, \
         c.hidden AS hidden, c.pinned AS pinned, c.types AS types, c.upTo AS up_to, \
         c.createdAt AS created_at, c.updatedAt AS updated_at"
    };
}

const CHARTS: &str = concat!(
    "MATCH (c:Chart) WHERE ",
    readable!("c"),
    " AND ($operation IS NULL OR c.operation = $operation)",
    chart_columns!(),
    " ORDER BY c.updatedAt DESC, c.id LIMIT $limit"
);

const CHART: &str = concat!(
    "MATCH (c:Chart {id: $id}) WHERE ",
    readable!("c"),
    chart_columns!()
);

const DELETE: &str = concat!(
    "MATCH (c:Chart {id: $id}) WHERE c.owner = $owner AND ",
    readable!("c"),
    " DETACH DELETE c RETURN count(*) AS deleted"
);

#[derive(Deserialize)]
struct Deleted {
    deleted: i64,
}

impl ChartRow {
    fn to_bolt(&self) -> BoltType {
        bolt_map(vec![
            ("id", self.id.clone().into()),
            ("name", self.name.clone().into()),
            ("force", self.force.clone().into()),
            ("operation", self.operation.clone().into()),
            ("owner", self.owner.clone().into()),
            ("updated_by", self.updated_by.clone().into()),
            ("root", self.root.clone().into()),
            ("keys", self.keys.clone().into()),
            ("links", self.links.clone().into()),
            ("hidden", self.hidden.clone().into()),
            ("pinned", self.pinned.clone().into()),
            ("types", self.types.clone().into()),
            ("up_to", self.up_to.clone().into()),
            ("created_at", self.created_at.clone().into()),
            ("updated_at", self.updated_at.clone().into()),
        ])
    }
}

impl GraphClient {
    /// Keeps a chart, or replaces one (by id) the caller's team holds.
    ///
    /// Cypher: one `MERGE` by id.
    pub async fn save_chart(&self, row: &ChartRow) -> Result<(), GraphError> {
        let query = neo4rs::query(SAVE).param("row", row.to_bolt());
        self.write_rows::<serde_json::Value>(query).await.map(drop)
    }

    /// Charts the caller's team keeps (of one case, when `operation` is given), most
    /// recently changed first.
    pub async fn charts(
        &self,
        scope: &Scope,
        operation: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ChartRow>, GraphError> {
        let query = scoped(CHARTS, scope)
            .param("operation", operation.map(str::to_owned))
            .param("limit", limit);
        self.rows(query).await
    }

    /// One chart the caller's team keeps.
    pub async fn chart(&self, scope: &Scope, id: &str) -> Result<Option<ChartRow>, GraphError> {
        let rows = self.rows(scoped(CHART, scope).param("id", id)).await?;
        Ok(rows.into_iter().next())
    }

    /// Deletes the caller's own chart `id`; whether there was one.
    pub async fn delete_chart(
        &self,
        scope: &Scope,
        owner: &str,
        id: &str,
    ) -> Result<bool, GraphError> {
        let query = scoped(DELETE, scope).param("id", id).param("owner", owner);
        let rows: Vec<Deleted> = self.write_rows(query).await?;
        Ok(rows.first().is_some_and(|r| r.deleted > 0))
    }
}
