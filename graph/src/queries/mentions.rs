//! What documents mention: `MENTIONS` relationships from a `Document` to identifier nodes
//! and persons (written at ingest and by the re-linking job), the gazetteer's persons,
//! and the read side — linkage of one identifier and the cross-case links of a selection.

use neo4rs::{BoltType, query};
use serde::Deserialize;
use toex_extract::{EntityKind, Mention, TextSide};

use super::scoped;
use crate::import::records::bolt_map;
use crate::{GraphClient, GraphError, Scope};

/// A mention to write: which document, what, where.
#[derive(Debug, Clone)]
pub struct MentionRow<'a> {
    pub document: &'a str,
    pub force: &'a str,
    pub mention: &'a Mention,
}

/// The node label an extracted kind is stored under, if the graph models it
/// (URLs, bank details and wallets are kept in the search index only).
pub fn label_of(kind: EntityKind) -> Option<&'static str> {
    match kind {
        EntityKind::Phone => Some("Phone"),
        EntityKind::Email => Some("Email"),
        EntityKind::Vehicle => Some("Vehicle"),
        EntityKind::Postcode => Some("Location"),
        EntityKind::Account => Some("OnlineAccount"),
        EntityKind::Person => Some("Person"),
        _ => None,
    }
}

/// `MERGE` of an identifier node of one label (flagged `unresolved` when this mention
/// created it) and of the mention; `$doc`-keyed rows.
macro_rules! mentioned {
    ($label:literal, $extra:literal) => {
        concat!(
            " FOREACH (_ IN CASE WHEN row.label = '",
            $label,
            "' THEN [1] ELSE [] END |",
            " MERGE (x:",
            $label,
            " {id: row.value})",
            " ON CREATE SET x:Entity, x.key = '",
            $label,
            ":' + row.value, x.force = row.force, x.source = row.doc, x.unresolved = true,",
            " x.caption = row.value",
            $extra,
            " MERGE (d)-[m:MENTIONS {segment: row.segment, start: row.start, side: row.side}]->(x)",
            " SET m.end = row.end, m.text = row.text, m.force = row.force, m.source = row.doc)"
        )
    };
}

const LINK_IDENTIFIERS: &str = concat!(
    "UNWIND $rows AS row MATCH (d:Document {id: row.doc})",
    mentioned!("Phone", ", x.e164 = row.value"),
    mentioned!("Email", ", x.address = row.value"),
    mentioned!("Vehicle", ", x.vrm = row.value"),
    mentioned!("Location", ", x.postcode = row.value"),
    mentioned!(
        "OnlineAccount",
        ", x.platform = row.platform, x.handle = row.handle"
    ),
);

/// A handle written without its platform (`@jay_99`) is every account with that handle;
/// only when there is none does it become an unresolved account of its own.
const LINK_BARE_HANDLES: &str = "UNWIND $rows AS row MATCH (d:Document {id: row.doc}) \
     OPTIONAL MATCH (a:OnlineAccount {handle: row.handle}) WHERE a.id <> row.value \
     WITH d, row, collect(a) AS known \
     FOREACH (x IN known | \
       MERGE (d)-[m:MENTIONS {segment: row.segment, start: row.start, side: row.side}]->(x) \
       SET m.end = row.end, m.text = row.text, m.force = row.force, m.source = row.doc) \
     FOREACH (_ IN CASE WHEN size(known) = 0 THEN [1] ELSE [] END | \
       MERGE (x:OnlineAccount {id: row.value}) \
       ON CREATE SET x:Entity, x.key = 'OnlineAccount:' + row.value, x.force = row.force, \
         x.source = row.doc, x.unresolved = true, x.caption = row.value, \
         x.platform = 'unknown', x.handle = row.handle \
       MERGE (d)-[m:MENTIONS {segment: row.segment, start: row.start, side: row.side}]->(x) \
       SET m.end = row.end, m.text = row.text, m.force = row.force, m.source = row.doc)";

/// Persons are never created by a mention: a name links only to who is there, in the
/// document's own force (another force's namesake is not theirs to link).
const LINK_PERSONS: &str = "UNWIND $rows AS row MATCH (d:Document {id: row.doc}) \
     MATCH (p:Person {id: row.value}) WHERE p.force = row.force \
     MERGE (d)-[m:MENTIONS {segment: row.segment, start: row.start, side: row.side}]->(p) \
     SET m.end = row.end, m.text = row.text, m.force = row.force, m.source = row.doc, \
         m.candidates = row.candidates";

/// Documents with an operation are `PART_OF` it, when the operation is their own force's:
/// an operation of the same name created by another force is never joined.
const DOCUMENT_OPERATIONS: &str = "UNWIND $rows AS row MATCH (d:Document {id: row.doc}) \
     MERGE (o:Operation {id: row.operation}) \
     ON CREATE SET o:Entity, o.key = 'Operation:' + row.operation, o.name = row.operation, \
       o.caption = row.operation, o.force = row.force, o.source = row.doc \
     WITH d, o, row WHERE o.force = row.force \
     MERGE (d)-[p:PART_OF]->(o) ON CREATE SET p.force = row.force, p.source = row.doc";

/// A known person for the gazetteer.
#[derive(Debug, Clone, Deserialize)]
pub struct KnownPersonRow {
    pub id: String,
    /// The force that holds the person (its gazetteer is searched only in its material).
    #[serde(default)]
    pub force: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub aliases: Option<Vec<String>>,
}

/// Who uses or lives at a linked identifier.
#[derive(Debug, Clone, Deserialize)]
pub struct LinkedPerson {
    pub id: String,
    pub name: String,
    pub force: String,
    /// `USES`, `LIVES_AT` or `MENTIONED` (the identifier is the person).
    pub via: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub operations: Vec<String>,
    pub incidents: Vec<LinkedIncident>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LinkedIncident {
    pub id: String,
    pub role: Option<String>,
    pub crime_type: Option<String>,
    pub occurred_at: Option<String>,
}

/// The graph side of one identifier, within the caller's forces.
#[derive(Debug, Clone, Deserialize)]
pub struct GraphLinkage {
    pub key: String,
    pub caption: Option<String>,
    pub unresolved: bool,
    pub persons: Vec<LinkedPerson>,
    /// Documents of the caller's forces that mention it.
    pub documents: Vec<String>,
    pub document_count: i64,
}

/// One cross-case link: an identifier in the selection's material that leads to a person
/// outside the selection.
#[derive(Debug, Clone, Deserialize)]
pub struct CrossLinkRow {
    pub key: String,
    pub caption: Option<String>,
    pub unresolved: bool,
    pub documents: Vec<String>,
    pub document_count: i64,
    pub person_id: String,
    pub person_name: String,
    pub person_force: String,
    pub via: String,
    pub operations: Vec<String>,
    pub suspect: bool,
    pub rso: bool,
    /// Documents outside the selection that mention the same identifier (the other
    /// side's evidence), at most 20.
    pub other_documents: Vec<String>,
    /// A confirmed match's decision (`CONFIRMED`), who took it and when; rejected
    /// matches are not returned.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

/// A document that mentions a person.
#[derive(Debug, Clone, Deserialize)]
pub struct PersonMention {
    pub person_id: String,
    pub document_id: String,
    pub title: Option<String>,
    pub force: String,
    pub operation: Option<String>,
    pub segment: i64,
    pub start: i64,
    pub end: i64,
    pub text: Option<String>,
    pub side: String,
}

fn row(r: &MentionRow<'_>) -> BoltType {
    let f = &r.mention.found;
    let (platform, handle) = match f.kind {
        EntityKind::Account => match f.value.split_once(':') {
            Some((p, h)) => (p.to_owned(), h.to_owned()),
            None => (
                "unknown".to_owned(),
                f.value.trim_start_matches('@').to_owned(),
            ),
        },
        _ => (String::new(), String::new()),
    };
    bolt_map(vec![
        ("doc", r.document.into()),
        ("force", r.force.into()),
        ("label", label_of(f.kind).unwrap_or("").into()),
        ("value", f.value.as_str().into()),
        ("text", f.text.as_str().into()),
        ("start", i64::from(f.start).into()),
        ("end", i64::from(f.end).into()),
        // MERGE cannot key on null: -1 stands for "no segment".
        ("segment", r.mention.segment.map_or(-1, i64::from).into()),
        (
            "side",
            match r.mention.side {
                TextSide::Original => "original",
                TextSide::Translation => "translation",
            }
            .into(),
        ),
        ("candidates", i64::from(f.candidates).into()),
        ("platform", platform.into()),
        ("handle", handle.into()),
    ])
}

impl GraphClient {
    /// Writes mentions (idempotent: re-linking the same document changes nothing) and
    /// the documents' `PART_OF` their operation, in one transaction.
    ///
    /// Cypher: `UNWIND $rows` + `MERGE` per modelled label (new identifiers flagged
    /// `unresolved`), bare handles matched to every account with that handle, persons
    /// matched (never created); operations by `MERGE`.
    pub async fn link_mentions(
        &self,
        rows: &[MentionRow<'_>],
        operations: &[(&str, &str, &str)],
    ) -> Result<(), GraphError> {
        let queries = mention_queries(rows, operations);
        if queries.is_empty() {
            return Ok(());
        }
        self.run_in_transaction(&queries).await
    }

    /// Every person with a name and their force, for the per-force gazetteers.
    ///
    /// Cypher: one `MATCH (p:Person)` returning id, force, name and aliases.
    pub async fn known_persons(&self) -> Result<Vec<KnownPersonRow>, GraphError> {
        self.rows::<KnownPersonRow>(query(
            "MATCH (p:Person) WHERE p.name IS NOT NULL \
             RETURN p.id AS id, p.force AS force, p.name AS name, p.aliases AS aliases",
        ))
        .await
    }

    /// How many persons the graph holds (the re-linking job's trigger).
    ///
    /// Cypher: `MATCH (p:Person) RETURN count(p)` (answered from the count store).
    pub async fn person_count(&self) -> Result<i64, GraphError> {
        #[derive(Deserialize)]
        struct Count {
            n: i64,
        }
        let rows = self
            .rows::<Count>(query("MATCH (p:Person) RETURN count(p) AS n"))
            .await?;
        Ok(rows.first().map_or(0, |c| c.n))
    }

    /// The graph side of the node keyed `key` (`Label:id`): who uses it or lives there
    /// (with their operations and incidents), and which documents mention it, all within
    /// `forces`. `None` when the caller's forces have no relationship to it.
    ///
    /// Cypher: one `MATCH (x:Entity {key: $key})` with two `OPTIONAL CALL`s (persons
    /// through `USES`/`LIVES_AT`, documents through `MENTIONS`).
    pub async fn linkage(
        &self,
        scope: &Scope,
        key: &str,
    ) -> Result<Option<GraphLinkage>, GraphError> {
        let rows = self
            .rows::<GraphLinkage>(
                scoped(concat!(
                    "MATCH (x:Entity {key: $key}) \
                     OPTIONAL CALL (x) { \
                       MATCH (p:Person)-[u:USES|LIVES_AT]->(x) \
                       WHERE u.force IN $forces AND ",
                    in_scope!("p"),
                    " RETURN collect({id: p.id, name: p.name, force: p.force, via: type(u), \
                         first_seen: toString(u.firstSeen), last_seen: toString(u.lastSeen), \
                         operations: [(p)-[r:PART_OF]->(o:Operation) WHERE r.force IN $forces AND ",
                    operation_allowed!("o.id"),
                    " | o.id], \
                         incidents: [(p)-[r:INVOLVED_IN]->(i:Incident) WHERE r.force IN $forces AND ",
                    in_scope!("i"),
                    " | {id: i.id, role: r.role, crime_type: i.crimeType, \
                            occurred_at: toString(i.occurredAt)}][..20]})[..100] AS persons \
                     } \
                     OPTIONAL CALL (x) { \
                       MATCH (d:Document)-[m:MENTIONS]->(x) \
                       WHERE m.force IN $forces AND ",
                    in_scope!("d"),
                    " WITH DISTINCT d \
                       RETURN collect(d.id)[..100] AS documents, count(d) AS document_count \
                     } \
                     WITH x, persons, documents, document_count \
                     WHERE size(persons) > 0 OR document_count > 0 \
                     RETURN x.key AS key, x.caption AS caption, \
                       coalesce(x.unresolved, false) AS unresolved, \
                       persons, documents, document_count"
                ), scope)
                .param("key", key),
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    /// Identifiers (and persons named) in the material of one operation, or of one
    /// force, that lead to persons outside it: persons in other operations (or in none)
    /// or, for a force, in other forces the caller may see. Rows are ranked by the caller.
    ///
    /// Cypher: one statement — the selection's documents' `MENTIONS`, then per node the
    /// persons using it / living there (or the person named), their operations, whether
    /// they are a suspect, filtered to those outside the selection.
    pub async fn cross_links(
        &self,
        scope: &Scope,
        operation: Option<&str>,
        force: Option<&str>,
        limit: i64,
    ) -> Result<Vec<CrossLinkRow>, GraphError> {
        self.rows::<CrossLinkRow>(
            scoped(
                concat!(
                    "MATCH (d:Document)-[m:MENTIONS]->(x:Entity) \
                 WHERE m.force IN $forces AND ",
                    in_scope!("d"),
                    " AND ($operation IS NULL OR d.operation = $operation) \
                   AND ($force IS NULL OR d.force = $force) \
                 WITH x, collect(DISTINCT d.id) AS docs \
                 CALL (x) { \
                   MATCH (p:Person)-[u:USES|LIVES_AT]->(x) \
                   WHERE u.force IN $forces AND ",
                    in_scope!("p"),
                    " RETURN p, type(u) AS via \
                   UNION \
                   MATCH (p:Person) WHERE p = x AND ",
                    in_scope!("p"),
                    " RETURN p, 'MENTIONED' AS via \
                 } \
                 WITH x, docs, p, via, \
                   [(p)-[r:PART_OF]->(o:Operation) WHERE r.force IN $forces AND ",
                    operation_allowed!("o.id"),
                    " | o.id] AS ops \
                 WHERE ($operation IS NOT NULL AND NOT $operation IN ops) \
                    OR ($operation IS NULL AND p.force <> $force) \
                 OPTIONAL MATCH (c:LinkDecision {id: $operation + '|' + x.key + '|' + p.id}) \
                 WITH x, docs, p, via, ops, c WHERE c IS NULL OR c.decision <> 'REJECTED' \
                 RETURN x.key AS key, x.caption AS caption, \
                   c.decision AS decision, c.by AS decided_by, c.at AS decided_at, \
                   COLLECT { MATCH (e:Document)-[n:MENTIONS]->(x) \
                     WHERE n.force IN $forces AND ",
                    in_scope!("e"),
                    " AND (($operation IS NOT NULL AND coalesce(e.operation, '') <> $operation) \
                          OR ($operation IS NULL AND e.force <> $force)) \
                     RETURN DISTINCT e.id LIMIT 20 } AS other_documents, \
                   coalesce(x.unresolved, false) AS unresolved, \
                   docs[..20] AS documents, size(docs) AS document_count, \
                   p.id AS person_id, p.name AS person_name, p.force AS person_force, \
                   via, ops AS operations, \
                   EXISTS { (p)-[r:INVOLVED_IN]->(:Incident) \
                            WHERE r.role = 'suspect' AND r.force IN $forces } AS suspect, \
                   coalesce(p.rso, false) AS rso \
                 LIMIT $limit"
                ),
                scope,
            )
            .param("operation", operation.map(str::to_owned))
            .param("force", force.map(str::to_owned))
            .param("limit", limit),
        )
        .await
    }

    /// The persons one document mentions, within `forces`.
    ///
    /// Cypher: one `MATCH (d:Document {id: $id})-[m:MENTIONS]->(p:Person)`.
    pub async fn document_person_mentions(
        &self,
        scope: &Scope,
        document: &str,
    ) -> Result<Vec<PersonMention>, GraphError> {
        self.rows::<PersonMention>(
            scoped(
                concat!(
                    "MATCH (d:Document {id: $id})-[m:MENTIONS]->(p:Person) \
                 WHERE m.force IN $forces AND ",
                    in_scope!("d"),
                    " AND ",
                    in_scope!("p"),
                    " RETURN p.id AS person_id, d.id AS document_id, d.title AS title, \
                   d.force AS force, d.operation AS operation, m.segment AS segment, \
                   m.start AS start, m.end AS end, m.text AS text, m.side AS side \
                 ORDER BY m.segment, m.start LIMIT 1000"
                ),
                scope,
            )
            .param("id", document),
        )
        .await
    }

    /// Documents mentioning each of `persons`, within `forces` (for DataLoader).
    ///
    /// Cypher: `UNWIND $ids` + `MATCH (d:Document)-[m:MENTIONS]->(p:Person {id: id})`.
    pub async fn person_mentions(
        &self,
        scope: &Scope,
        persons: &[String],
        per_person: i64,
    ) -> Result<Vec<PersonMention>, GraphError> {
        self.rows::<PersonMention>(
            scoped(
                concat!(
                    "UNWIND $ids AS id MATCH (p:Person {id: id}) WHERE ",
                    in_scope!("p"),
                    " CALL (p) { \
                   MATCH (d:Document)-[m:MENTIONS]->(p) \
                   WHERE m.force IN $forces AND ",
                    in_scope!("d"),
                    " RETURN d, m ORDER BY d.id, m.segment, m.start LIMIT $per \
                 } \
                 RETURN p.id AS person_id, d.id AS document_id, d.title AS title, \
                   d.force AS force, d.operation AS operation, m.segment AS segment, \
                   m.start AS start, m.end AS end, m.text AS text, m.side AS side"
                ),
                scope,
            )
            .param("ids", persons.to_vec())
            .param("per", per_person),
        )
        .await
    }
}

/// The statements that write `rows` (mentions) and `operations` (`PART_OF`), only those
/// with rows.
pub(crate) fn mention_queries(
    rows: &[MentionRow<'_>],
    operations: &[(&str, &str, &str)],
) -> Vec<neo4rs::Query> {
    let mut identifiers = Vec::new();
    let mut bare = Vec::new();
    let mut persons = Vec::new();
    for r in rows {
        let f = &r.mention.found;
        match f.kind {
            EntityKind::Person => persons.push(row(r)),
            EntityKind::Account if f.value.starts_with('@') => bare.push(row(r)),
            kind if label_of(kind).is_some() => identifiers.push(row(r)),
            _ => {}
        }
    }
    let ops: Vec<BoltType> = operations
        .iter()
        .map(|(doc, force, op)| {
            bolt_map(vec![
                ("doc", (*doc).into()),
                ("force", (*force).into()),
                ("operation", (*op).into()),
            ])
        })
        .collect();
    let mut queries = Vec::new();
    for (statement, rows) in [
        (DOCUMENT_OPERATIONS, ops),
        (LINK_IDENTIFIERS, identifiers),
        (LINK_BARE_HANDLES, bare),
        (LINK_PERSONS, persons),
    ] {
        if !rows.is_empty() {
            queries.push(query(statement).param("rows", rows));
        }
    }
    queries
}
