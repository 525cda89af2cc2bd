//! Link analysis: neighbourhoods, shortest paths, common associates, timelines, name
//! search and the selections that centrality and communities run on. Path bounds must
//! be literals in Cypher, so each allowed bound has its own constant statement.

use super::scoped;
use crate::model::{CommonAssociate, PersonMatch, SelectionLink, Subgraph, TimelineEvent};
use crate::{GraphClient, GraphError, Scope, names, vocab};

/// Largest `hops` for a neighbourhood.
pub const MAX_HOPS: u8 = 3;
/// Largest `maxHops` for shortest paths.
pub const MAX_PATH_HOPS: u8 = 6;

macro_rules! node_map {
    ($x:literal) => {
        concat!(
            "{key: ",
            $x,
            ".key, label: [l IN labels(",
            $x,
            ") WHERE l <> 'Entity'][0], caption: ",
            $x,
            ".caption, force: CASE WHEN ",
            $x,
            ".force IN $forces THEN ",
            $x,
            ".force END, protected: coalesce(",
            $x,
            ".protected, false)}"
        )
    };
}

macro_rules! edge_map {
    ($r:literal) => {
        concat!(
            "{from: startNode(",
            $r,
            ").key, to: endNode(",
            $r,
            ").key, type: type(",
            $r,
            "), role: ",
            $r,
            ".role, weight: toFloat(",
            $r,
            ".weight), count: ",
            $r,
            ".count, first_seen: toString(",
            $r,
            ".firstSeen), last_seen: toString(",
            $r,
            ".lastSeen), source: ",
            $r,
            ".source}"
        )
    };
}

/// The filter every expanded relationship must pass: an allowed type, seen since `$since`.
macro_rules! allowed {
    ($r:literal) => {
        concat!(
            "type(",
            $r,
            ") IN $types AND ",
            $r,
            ".force IN $forces AND ($since IS NULL OR coalesce(",
            $r,
            ".lastSeen, ",
            $r,
            ".firstSeen) IS NULL ",
            "OR coalesce(",
            $r,
            ".lastSeen, ",
            $r,
            ".firstSeen) >= datetime($since))"
        )
    };
}

/// Whether a node reached through one of the caller's relationships may be shown: inside
/// their operation compartments, and it belongs to one of their forces or it is a shared
/// identifier or place (a phone used
/// by people in two forces is one node, owned by whichever recorded it first).
macro_rules! reachable {
    ($x:literal) => {
        concat!(
            "((",
            $x,
            ".force IN $forces OR ",
            $x,
            ":Phone|Email|Vehicle|OnlineAccount|Location) AND ",
            in_operations!($x),
            ")"
        )
    };
}

/// One breadth-first level: from the nodes in `from`, at most `$limit` relationships,
/// keeping the variables in `carry`.
macro_rules! level {
    ($carry:literal, $from:literal, $rels:literal, $nodes:literal) => {
        concat!(
            "OPTIONAL CALL (",
            $from,
            ") { UNWIND ",
            $from,
            " AS a MATCH (a)-[r]-(b) WHERE ",
            allowed!("r"),
            " AND ",
            reachable!("b"),
            " RETURN r, b LIMIT $limit } ",
            "WITH ",
            $carry,
            ", collect(r) AS ",
            $rels,
            ", collect(DISTINCT b) AS ",
            $nodes,
            " "
        )
    };
}

macro_rules! neighbourhood_tail {
    ($rels:expr) => {
        concat!(
            "WITH n, reduce(acc = [], r IN ", $rels, " | CASE WHEN r IN acc THEN acc ELSE acc + [r] END)[..$limit] AS rs ",
            "WITH n, rs, [n] + reduce(acc = [], r IN rs | acc + [startNode(r), endNode(r)]) AS all ",
            "UNWIND all AS x WITH rs, collect(DISTINCT x) AS nodes ",
            "RETURN [x IN nodes | ", node_map!("x"), "] AS nodes, [r IN rs | ", edge_map!("r"), "] AS edges"
        )
    };
}

const NEIGHBOURHOOD: [&str; 3] = [
    concat!(
        concat!(
            "MATCH (n:Entity {key: $key}) WHERE ",
            visible!("n"),
            " WITH n, [n] AS f0 "
        ),
        level!("n", "f0", "r1", "f1"),
        neighbourhood_tail!("r1")
    ),
    concat!(
        concat!(
            "MATCH (n:Entity {key: $key}) WHERE ",
            visible!("n"),
            " WITH n, [n] AS f0 "
        ),
        level!("n", "f0", "r1", "f1"),
        level!("n, r1", "f1", "r2", "f2"),
        neighbourhood_tail!("r1 + r2")
    ),
    concat!(
        concat!(
            "MATCH (n:Entity {key: $key}) WHERE ",
            visible!("n"),
            " WITH n, [n] AS f0 "
        ),
        level!("n", "f0", "r1", "f1"),
        level!("n, r1", "f1", "r2", "f2"),
        level!("n, r1, r2", "f2", "r3", "f3"),
        neighbourhood_tail!("r1 + r2 + r3")
    ),
];

macro_rules! shortest {
    ($hops:literal) => {
        concat!(
            "MATCH (a:Entity {key: $from}), (b:Entity {key: $to}) WHERE ",
            visible!("a"),
            " AND ",
            visible!("b"),
            " MATCH p = allShortestPaths((a)-[*..",
            $hops,
            "]-(b)) ",
            "WHERE all(r IN relationships(p) WHERE type(r) IN $types AND r.force IN $forces) ",
            "AND all(x IN nodes(p) WHERE ",
            reachable!("x"),
            ") ",
            "WITH p LIMIT $limit ",
            "RETURN [x IN nodes(p) | ",
            node_map!("x"),
            "] AS nodes, [r IN relationships(p) | ",
            edge_map!("r"),
            "] AS edges"
        )
    };
}

const SHORTEST: [&str; 6] = [
    shortest!("1"),
    shortest!("2"),
    shortest!("3"),
    shortest!("4"),
    shortest!("5"),
    shortest!("6"),
];

const COMMON: &str = concat!(
    "MATCH (a:Entity {key: $a})-[r1]-(c)-[r2]-(b:Entity {key: $b}) ",
    "WHERE c <> a AND c <> b AND type(r1) IN $types AND type(r2) IN $types ",
    "AND r1.force IN $forces AND r2.force IN $forces AND ",
    reachable!("a"),
    " AND ",
    reachable!("b"),
    " AND ",
    reachable!("c"),
    " ",
    "WITH c, collect(DISTINCT type(r1)) AS via_a, collect(DISTINCT type(r2)) AS via_b ",
    "RETURN ",
    node_map!("c"),
    " AS node, via_a, via_b ORDER BY size(via_a) + size(via_b) DESC, node.key LIMIT $limit"
);

const TIMELINE: &str = concat!(
    "MATCH (n:Entity {key: $key}) WHERE ",
    visible!("n"),
    " CALL (n) { \
      MATCH (n)-[r]-(i:Incident) WHERE r.force IN $forces AND ",
    in_scope!("i"),
    " RETURN i.occurredAt AS at, 'incident' AS kind, i.key AS key, i.caption AS caption, coalesce(r.role, type(r)) AS detail \
      UNION ALL MATCH (n)-[r]-(m:MissingEpisode) WHERE r.force IN $forces AND ",
    in_scope!("m"),
    " RETURN m.reportedAt AS at, 'missing reported' AS kind, m.key AS key, m.caption AS caption, m.riskGrade AS detail \
      UNION ALL MATCH (n)-[r]-(m:MissingEpisode) WHERE r.force IN $forces AND m.returnedAt IS NOT NULL AND ",
    in_scope!("m"),
    " RETURN m.returnedAt AS at, 'missing returned' AS kind, m.key AS key, m.caption AS caption, m.riskGrade AS detail \
      UNION ALL MATCH (n)-[r:CALLED]-(o) WHERE r.force IN $forces AND ",
    reachable!("o"),
    " RETURN r.firstSeen AS at, 'first call' AS kind, o.key AS key, o.caption AS caption, toString(r.count) + ' calls' AS detail \
      UNION ALL MATCH (n)-[r:CALLED]-(o) WHERE r.force IN $forces AND ",
    reachable!("o"),
    " RETURN r.lastSeen AS at, 'last call' AS kind, o.key AS key, o.caption AS caption, toString(r.count) + ' calls' AS detail \
      UNION ALL MATCH (n)-[r:USES|LIVES_AT]-(o) WHERE r.force IN $forces AND ",
    reachable!("o"),
    " AND r.firstSeen IS NOT NULL RETURN r.firstSeen AS at, 'first seen with' AS kind, o.key AS key, o.caption AS caption, type(r) AS detail \
      UNION ALL MATCH (n)-[r:USES|LIVES_AT]-(o) WHERE r.force IN $forces AND ",
    reachable!("o"),
    " AND r.lastSeen IS NOT NULL RETURN r.lastSeen AS at, 'last seen with' AS kind, o.key AS key, o.caption AS caption, type(r) AS detail \
    } \
    WITH at, kind, key, caption, detail WHERE at IS NOT NULL \
    RETURN toString(at) AS at, kind, key, caption, detail ORDER BY at, kind, key LIMIT $limit"
);

const PEOPLE: &str = concat!(
    "CALL db.index.fulltext.queryNodes('person_names', $q) YIELD node, score WHERE ",
    in_scope!("node"),
    " AND ($protected OR NOT coalesce(node.protected, false)) \
    RETURN node.id AS id, node.name AS name, coalesce(node.aliases, []) AS aliases, node.force AS force, \
           coalesce(node.protected, false) AS protected, score \
    ORDER BY score DESC, id SKIP $skip LIMIT $limit"
);

const OPERATION_LINKS: &str = concat!(
    "MATCH (o:Operation {id: $operation})<-[:PART_OF]-(a) WHERE ",
    in_scope!("o"),
    " AND ",
    in_scope!("a"),
    " OPTIONAL MATCH (a)-[r]-(b)-[:PART_OF]->(o) WHERE type(r) IN $types AND r.force IN $forces AND ",
    in_scope!("b"),
    " RETURN a.key AS from, a.caption AS caption, b.key AS to, toFloat(coalesce(r.weight, r.count, 1)) AS weight"
);

/// The nodes of `$keys` the caller may see, and the relationships among them (only those
/// of `$links`, `from|TYPE|to`, when it is not empty).
const AMONG: &str = concat!(
    "MATCH (n:Entity) WHERE n.key IN $keys AND ",
    visible!("n"),
    " WITH collect(n) AS ns \
     CALL (ns) { UNWIND ns AS a MATCH (a)-[r]->(b) WHERE b IN ns AND ",
    allowed!("r"),
    " AND (size($links) = 0 OR a.key + '|' + type(r) + '|' + b.key IN $links) \
       RETURN collect(r) AS rs } \
     RETURN [x IN ns | ",
    node_map!("x"),
    "] AS nodes, [r IN rs | ",
    edge_map!("r"),
    "] AS edges"
);

/// Most nodes a chart holds.
pub const MAX_CHART_NODES: usize = 2_000;

fn types(requested: &[String]) -> Result<Vec<String>, GraphError> {
    vocab::relationship_types(requested).map_err(GraphError::InvalidInput)
}

impl GraphClient {
    /// Nodes and edges within `hops` (1–3) of a node.
    ///
    /// Cypher: one statement from the `entity_key` index that expands breadth-first,
    /// one `OPTIONAL CALL` per level, each level capped at `$limit` relationships, so a
    /// hub costs at most `hops × limit` expansions.
    pub async fn neighbourhood(
        &self,
        scope: &Scope,
        key: &str,
        hops: u8,
        relationship_types: &[String],
        since: Option<String>,
        limit: usize,
    ) -> Result<Option<Subgraph>, GraphError> {
        if !(1..=MAX_HOPS).contains(&hops) {
            return Err(GraphError::InvalidInput(format!(
                "`hops` must be from 1 to {MAX_HOPS}"
            )));
        }
        let rows = self
            .rows::<Subgraph>(
                scoped(NEIGHBOURHOOD[hops as usize - 1], scope)
                    .param("key", key)
                    .param("types", types(relationship_types)?)
                    .param("since", since)
                    .param("limit", limit as i64),
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    /// The nodes named by `keys` that the caller may see, with the relationships among
    /// them of `relationship_types` (of `links`, `from|TYPE|to`, when given): a saved
    /// chart, read again under the reader's scope.
    ///
    /// Cypher: one statement, the `entity_key` index for the nodes, then each node's
    /// relationships to the others.
    pub async fn subgraph_among(
        &self,
        scope: &Scope,
        keys: &[String],
        links: &[String],
        relationship_types: &[String],
    ) -> Result<Subgraph, GraphError> {
        if keys.len() > MAX_CHART_NODES || links.len() > 4 * MAX_CHART_NODES {
            return Err(GraphError::InvalidInput(format!(
                "a chart holds at most {MAX_CHART_NODES} nodes and {} links",
                4 * MAX_CHART_NODES
            )));
        }
        let rows = self
            .rows::<Subgraph>(
                scoped(AMONG, scope)
                    .param("keys", keys.to_vec())
                    .param("links", links.to_vec())
                    .param("types", types(relationship_types)?)
                    .param("since", None::<String>),
            )
            .await?;
        Ok(rows.into_iter().next().unwrap_or_default())
    }

    /// All shortest paths (up to `limit`) between two nodes within `max_hops` (1–6).
    ///
    /// Cypher: one `allShortestPaths((a)-[*..max_hops]-(b))`.
    pub async fn shortest_paths(
        &self,
        scope: &Scope,
        from: &str,
        to: &str,
        max_hops: u8,
        relationship_types: &[String],
        limit: usize,
    ) -> Result<Vec<Subgraph>, GraphError> {
        if !(1..=MAX_PATH_HOPS).contains(&max_hops) {
            return Err(GraphError::InvalidInput(format!(
                "`maxHops` must be from 1 to {MAX_PATH_HOPS}"
            )));
        }
        if from == to {
            return Err(GraphError::InvalidInput(
                "`from` and `to` are the same node".to_owned(),
            ));
        }
        self.rows::<Subgraph>(
            scoped(SHORTEST[max_hops as usize - 1], scope)
                .param("from", from)
                .param("to", to)
                .param("types", types(relationship_types)?)
                .param("limit", limit as i64),
        )
        .await
    }

    /// Nodes linked directly to both `a` and `b`.
    ///
    /// Cypher: one `MATCH (a)-[r1]-(c)-[r2]-(b)`.
    pub async fn common_associates(
        &self,
        scope: &Scope,
        a: &str,
        b: &str,
        relationship_types: &[String],
        limit: usize,
    ) -> Result<Vec<CommonAssociate>, GraphError> {
        self.rows::<CommonAssociate>(
            scoped(COMMON, scope)
                .param("a", a)
                .param("b", b)
                .param("types", types(relationship_types)?)
                .param("limit", limit as i64),
        )
        .await
    }

    /// Dated events around a node, oldest first.
    ///
    /// Cypher: one `CALL (n) { … UNION ALL … }` over incidents, missing episodes, calls and identifier use.
    pub async fn timeline(
        &self,
        scope: &Scope,
        key: &str,
        limit: usize,
    ) -> Result<Vec<TimelineEvent>, GraphError> {
        self.rows::<TimelineEvent>(
            scoped(TIMELINE, scope)
                .param("key", key)
                .param("limit", limit as i64),
        )
        .await
    }

    /// Persons whose names match `name` across spellings and scripts, best first.
    ///
    /// Cypher: one `db.index.fulltext.queryNodes('person_names', $q)`; `$q` holds only
    /// `[a-z]` keys and words made by [`names`], never raw input.
    pub async fn people_by_name(
        &self,
        scope: &Scope,
        name: &str,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PersonMatch>, GraphError> {
        let keys = names::name_keys(name);
        if keys.is_empty() {
            return Err(GraphError::InvalidInput(
                "`name` has no letters to search for".to_owned(),
            ));
        }
        let mut parts: Vec<String> = keys.iter().map(|k| format!("+k{k}")).collect();
        parts.extend(names::folded_words(name));
        self.rows::<PersonMatch>(
            scoped(PEOPLE, scope)
                .param("q", parts.join(" "))
                .param("skip", skip as i64)
                .param("limit", limit as i64),
        )
        .await
    }

    /// The links among members of an operation (isolated members come with no `to`).
    ///
    /// Cypher: one `MATCH (o:Operation)<-[:PART_OF]-(a) OPTIONAL MATCH (a)-[r]-(b)-[:PART_OF]->(o)`.
    pub async fn operation_links(
        &self,
        scope: &Scope,
        operation: &str,
        relationship_types: &[String],
    ) -> Result<Vec<SelectionLink>, GraphError> {
        self.rows::<SelectionLink>(
            scoped(OPERATION_LINKS, scope)
                .param("operation", operation)
                .param("types", types(relationship_types)?),
        )
        .await
    }
}
