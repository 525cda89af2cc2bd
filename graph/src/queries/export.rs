//! A case read out for export, in the shapes `toex import` reads back: its persons,
//! their identifiers and addresses, its incidents with the people in them, the persons'
//! missing episodes, its documents' ids, and every relationship among all of these. Each
//! statement takes the exporter's scope; a protected person (and what names them) is
//! left out for an exporter who may not see protected persons.

use serde::{Deserialize, Serialize};

use super::scoped;
use crate::{GraphClient, GraphError, Scope};

/// The persons of the case the exporter may see.
macro_rules! case_persons {
    () => {
        "MATCH (o:Operation {id: $operation})<-[r:PART_OF]-(p:Person) \
         WHERE o.force IN $forces AND r.force IN $forces AND p.force IN $forces \
         AND ($protected OR NOT coalesce(p.protected, false)) "
    };
}

/// A place (`l`, possibly null) as a map of [`PlaceExport`]'s fields.
macro_rules! place_map {
    ($l:literal) => {
        concat!(
            "{location_id: ",
            $l,
            ".id, postcode: ",
            $l,
            ".postcode, lsoa: ",
            $l,
            ".lsoa, ",
            "lsoa_name: ",
            $l,
            ".lsoaName, lat: ",
            $l,
            ".point.latitude, ",
            "lon: ",
            $l,
            ".point.longitude, address: ",
            $l,
            ".address}"
        )
    };
}

/// A person row (`persons` import columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonExport {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub dob: Option<String>,
    pub gender: Option<String>,
    pub force: String,
    pub rso: bool,
    pub visor_category: Option<String>,
    pub mappa_level: Option<String>,
    pub vulnerabilities: Vec<String>,
    pub protected: bool,
}

/// A place's columns.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PlaceExport {
    pub location_id: Option<String>,
    pub postcode: Option<String>,
    pub lsoa: Option<String>,
    pub lsoa_name: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
}

/// An identifier or address row (`identifiers` import columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentifierExport {
    pub person_id: String,
    pub kind: String,
    pub value: String,
    pub platform: Option<String>,
    pub place: PlaceExport,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub force: String,
}

/// An incident row (`incidents` import columns; `people` as `id:role` entries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentExport {
    pub id: String,
    pub crime_type: String,
    pub offence_code: Option<String>,
    pub occurred_at: Option<String>,
    pub harm: Option<f64>,
    pub place: PlaceExport,
    pub force: String,
    pub people: Vec<String>,
}

/// A missing episode row (`missing` import columns; places as `from_…` and `found_…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingExport {
    pub id: String,
    pub person_id: String,
    pub reported_at: Option<String>,
    pub returned_at: Option<String>,
    pub risk_grade: Option<String>,
    pub from_location_id: Option<String>,
    pub from_postcode: Option<String>,
    pub from_lat: Option<f64>,
    pub from_lon: Option<f64>,
    pub found_location_id: Option<String>,
    pub found_postcode: Option<String>,
    pub found_lat: Option<f64>,
    pub found_lon: Option<f64>,
    pub force: String,
    /// The case's operation when the episode is part of it.
    pub operation: Option<String>,
}

/// A node of the case for a graph file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeExport {
    pub key: String,
    pub label: String,
    pub caption: Option<String>,
    pub force: Option<String>,
}

/// A relationship among the case's nodes; its properties as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationshipExport {
    pub from: String,
    #[serde(rename = "type")]
    pub rel_type: String,
    pub to: String,
    pub properties: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
struct Props {
    from: String,
    #[serde(rename = "type")]
    rel_type: String,
    to: String,
    properties: Vec<Vec<Option<String>>>,
}

const PERSONS: &str = concat!(
    case_persons!(),
    "RETURN p.id AS id, p.name AS name, coalesce(p.aliases, []) AS aliases, \
       toString(p.dob) AS dob, p.gender AS gender, p.force AS force, \
       coalesce(p.rso, false) AS rso, toString(p.visorCategory) AS visor_category, \
       toString(p.mappaLevel) AS mappa_level, coalesce(p.vulnerabilities, []) AS vulnerabilities, \
       coalesce(p.protected, false) AS protected ORDER BY p.id"
);

const IDENTIFIERS: &str = concat!(
    case_persons!(),
    "MATCH (p)-[u:USES|LIVES_AT]->(x) WHERE u.force IN $forces \
     RETURN p.id AS person_id, \
       CASE WHEN x:Phone THEN 'phone' WHEN x:Email THEN 'email' WHEN x:Vehicle THEN 'vehicle' \
            WHEN x:OnlineAccount THEN 'account' ELSE 'address' END AS kind, \
       CASE WHEN x:OnlineAccount THEN x.handle \
            WHEN x:Location THEN coalesce(x.caption, x.address, x.postcode, x.id) \
            ELSE x.id END AS value, \
       x.platform AS platform, \
       {location_id: CASE WHEN x:Location THEN x.id END, \
        postcode: CASE WHEN x:Location THEN x.postcode END, lsoa: x.lsoa, lsoa_name: x.lsoaName, \
        lat: x.point.latitude, lon: x.point.longitude, address: x.address} \
       AS place, toString(u.firstSeen) AS first_seen, toString(u.lastSeen) AS last_seen, \
       u.force AS force \
     ORDER BY person_id, kind, value"
);

const INCIDENTS: &str = concat!(
    "MATCH (o:Operation {id: $operation})<-[r:PART_OF]-(i:Incident) \
     WHERE o.force IN $forces AND r.force IN $forces AND i.force IN $forces \
     OPTIONAL MATCH (i)-[:OCCURRED_AT]->(l:Location) \
     RETURN i.id AS id, i.crimeType AS crime_type, i.offenceCode AS offence_code, \
       toString(i.occurredAt) AS occurred_at, toFloat(i.harm) AS harm, ",
    place_map!("l"),
    " AS place, i.force AS force, \
       [(q:Person)-[v:INVOLVED_IN]->(i) WHERE v.force IN $forces AND q.force IN $forces \
          AND ($protected OR NOT coalesce(q.protected, false)) | q.id + ':' + v.role] AS people \
     ORDER BY i.id"
);

const MISSING: &str = concat!(
    case_persons!(),
    "MATCH (p)-[w:WENT_MISSING]->(m:MissingEpisode) WHERE w.force IN $forces AND m.force IN $forces \
     OPTIONAL MATCH (m)-[:MISSING_FROM]->(f:Location) \
     OPTIONAL MATCH (m)-[:FOUND_AT]->(g:Location) \
     RETURN m.id AS id, p.id AS person_id, toString(m.reportedAt) AS reported_at, \
       toString(m.returnedAt) AS returned_at, m.riskGrade AS risk_grade, \
       f.id AS from_location_id, f.postcode AS from_postcode, \
       f.point.latitude AS from_lat, f.point.longitude AS from_lon, \
       g.id AS found_location_id, g.postcode AS found_postcode, \
       g.point.latitude AS found_lat, g.point.longitude AS found_lon, m.force AS force, \
       CASE WHEN EXISTS { (m)-[:PART_OF]->(:Operation {id: $operation}) } THEN $operation END \
         AS operation \
     ORDER BY m.id"
);

const DOCUMENTS: &str = "MATCH (o:Operation {id: $operation})<-[r:PART_OF]-(d:Document) \
     WHERE o.force IN $forces AND r.force IN $forces AND d.force IN $forces \
     RETURN d.id AS id ORDER BY d.id";

/// The keys of the case's nodes: the operation; what is part of it; its persons'
/// identifiers, addresses and missing episodes; where its incidents happened and its
/// missing episodes began and ended.
const CASE_KEYS: &str = "MATCH (o:Operation {id: $operation}) WHERE o.force IN $forces \
     CALL (o) { \
       MATCH (o)<-[r:PART_OF]-(n) WHERE r.force IN $forces AND n.force IN $forces \
         AND (NOT n:Person OR $protected OR NOT coalesce(n.protected, false)) RETURN n \
       UNION \
       MATCH (o)<-[r:PART_OF]-(p:Person) WHERE r.force IN $forces AND p.force IN $forces \
         AND ($protected OR NOT coalesce(p.protected, false)) \
       MATCH (p)-[u:USES|LIVES_AT|WENT_MISSING]->(n) WHERE u.force IN $forces RETURN n \
       UNION \
       MATCH (o)<-[r:PART_OF]-(i:Incident|MissingEpisode) WHERE r.force IN $forces AND i.force IN $forces \
       MATCH (i)-[:OCCURRED_AT|MISSING_FROM|FOUND_AT]->(n:Location) RETURN n \
       UNION \
       MATCH (o)<-[r:PART_OF]-(p:Person) WHERE r.force IN $forces AND p.force IN $forces \
         AND ($protected OR NOT coalesce(p.protected, false)) \
       MATCH (p)-[w:WENT_MISSING]->(:MissingEpisode)-[:MISSING_FROM|FOUND_AT]->(n:Location) \
       WHERE w.force IN $forces RETURN n \
     } \
     WITH o, collect(DISTINCT n.key) AS members RETURN [o.key] + members AS keys";

#[derive(Deserialize)]
struct Keys {
    keys: Vec<String>,
}

const NODES: &str = "UNWIND $keys AS k MATCH (n:Entity {key: k}) \
     RETURN n.key AS key, [l IN labels(n) WHERE l <> 'Entity'][0] AS label, \
       n.caption AS caption, CASE WHEN n.force IN $forces THEN n.force END AS force \
     ORDER BY key";

const RELATIONSHIPS: &str = "UNWIND $keys AS k MATCH (a:Entity {key: k})-[r]->(b:Entity) \
     WHERE r.force IN $forces AND b.key IN $keys \
     RETURN a.key AS from, type(r) AS type, b.key AS to, \
       [p IN keys(r) | [p, toStringOrNull(r[p])]] AS properties \
     ORDER BY from, type, to";

impl GraphClient {
    /// The case's persons the exporter may see.
    pub async fn export_persons(
        &self,
        scope: &Scope,
        operation: &str,
    ) -> Result<Vec<PersonExport>, GraphError> {
        self.rows(scoped(PERSONS, scope).param("operation", operation))
            .await
    }

    /// The identifiers and addresses of the case's persons.
    pub async fn export_identifiers(
        &self,
        scope: &Scope,
        operation: &str,
    ) -> Result<Vec<IdentifierExport>, GraphError> {
        self.rows(scoped(IDENTIFIERS, scope).param("operation", operation))
            .await
    }

    /// The case's incidents, each with where it happened and who was in it.
    pub async fn export_incidents(
        &self,
        scope: &Scope,
        operation: &str,
    ) -> Result<Vec<IncidentExport>, GraphError> {
        let mut rows: Vec<IncidentExport> = self
            .rows(scoped(INCIDENTS, scope).param("operation", operation))
            .await?;
        // Collected in no particular order: sorted, so a case exports the same twice.
        for r in &mut rows {
            r.people.sort();
        }
        Ok(rows)
    }

    /// The missing episodes of the case's persons.
    pub async fn export_missing(
        &self,
        scope: &Scope,
        operation: &str,
    ) -> Result<Vec<MissingExport>, GraphError> {
        self.rows(scoped(MISSING, scope).param("operation", operation))
            .await
    }

    /// The ids of the case's documents.
    pub async fn export_document_ids(
        &self,
        scope: &Scope,
        operation: &str,
    ) -> Result<Vec<String>, GraphError> {
        let rows: Vec<Id> = self
            .rows(scoped(DOCUMENTS, scope).param("operation", operation))
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// The keys of every node of the case (empty when there is no such operation in the
    /// exporter's forces).
    pub async fn export_case_keys(
        &self,
        scope: &Scope,
        operation: &str,
    ) -> Result<Vec<String>, GraphError> {
        let rows: Vec<Keys> = self
            .rows(scoped(CASE_KEYS, scope).param("operation", operation))
            .await?;
        let mut keys: Vec<String> = rows.into_iter().flat_map(|r| r.keys).collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// The nodes `keys` and every relationship among them in the exporter's forces.
    pub async fn export_graph(
        &self,
        scope: &Scope,
        keys: &[String],
    ) -> Result<(Vec<NodeExport>, Vec<RelationshipExport>), GraphError> {
        let nodes: Vec<NodeExport> = self
            .rows(scoped(NODES, scope).param("keys", keys.to_vec()))
            .await?;
        let rels: Vec<Props> = self
            .rows(scoped(RELATIONSHIPS, scope).param("keys", keys.to_vec()))
            .await?;
        let rels = rels
            .into_iter()
            .map(|r| RelationshipExport {
                from: r.from,
                rel_type: r.rel_type,
                to: r.to,
                properties: r
                    .properties
                    .into_iter()
                    .filter_map(|kv| match kv.as_slice() {
                        [Some(k), Some(v)] => Some((k.clone(), v.clone())),
                        _ => None,
                    })
                    .collect(),
            })
            .collect();
        Ok((nodes, rels))
    }
}
