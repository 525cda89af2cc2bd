//! Person look-ups.

use neo4rs::query;

use super::scoped;
use crate::{GraphClient, GraphError, Person, PersonDetails, ProtectedPerson, Scope};

impl GraphClient {
    /// One person by id, or `None` (the batched look-up with one id).
    pub async fn person(&self, scope: &Scope, id: &str) -> Result<Option<Person>, GraphError> {
        let rows = self.persons_by_ids(scope, &[id.to_owned()]).await?;
        Ok(rows.into_iter().next())
    }

    /// Many persons by id in one round trip (for DataLoader); unknown ids are absent.
    ///
    /// Cypher: `UNWIND $ids` + `MATCH (p:Person {id: id})`.
    pub async fn persons_by_ids(
        &self,
        scope: &Scope,
        ids: &[String],
    ) -> Result<Vec<Person>, GraphError> {
        self.rows::<Person>(
            scoped(
                concat!(
                    "UNWIND $ids AS id MATCH (p:Person {id: id}) WHERE ",
                    in_scope!("p"),
                    " RETURN p.id AS id, p.name AS name, coalesce(p.aliases, []) AS aliases, p.force AS force, \
                        coalesce(p.protected, false) AS protected"
                ),
                scope,
            )
            .param("ids", ids.to_vec()),
        )
        .await
    }

    /// What the forces record about many persons beyond their names (date of birth,
    /// flags, operations), in one round trip; unknown ids are absent.
    ///
    /// Cypher: `UNWIND $ids` + `MATCH (p:Person {id: id})` + the operations in scope.
    pub async fn person_details_by_ids(
        &self,
        scope: &Scope,
        ids: &[String],
    ) -> Result<Vec<PersonDetails>, GraphError> {
        self.rows::<PersonDetails>(
            scoped(
                concat!(
                    "UNWIND $ids AS id MATCH (p:Person {id: id}) WHERE ",
                    in_scope!("p"),
                    " OPTIONAL MATCH (p)-[:PART_OF]->(o:Operation) WHERE ",
                    in_scope!("o"),
                    " WITH p, collect(DISTINCT o.id) AS operations \
                     RETURN p.id AS id, toString(p.dob) AS dob, p.gender AS gender, \
                        coalesce(p.rso, false) AS rso, p.visorCategory AS visor_category, \
                        p.mappaLevel AS mappa_level, coalesce(p.vulnerabilities, []) AS vulnerabilities, \
                        operations"
                ),
                scope,
            )
            .param("ids", ids.to_vec()),
        )
        .await
    }

    /// Creates or updates persons by id, in one batched statement; returns how many were written.
    ///
    /// Cypher: `UNWIND $rows` + `MERGE (p:Person {id: row.id})`.
    pub async fn upsert_persons(&self, persons: &[Person]) -> Result<usize, GraphError> {
        let rows: Vec<neo4rs::BoltType> = persons
            .iter()
            .map(|p| {
                let mut m = neo4rs::BoltMap::new();
                m.put("id".into(), p.id.as_str().into());
                m.put("name".into(), p.name.as_str().into());
                m.put("aliases".into(), p.aliases.clone().into());
                m.put("force".into(), p.force.as_str().into());
                let names =
                    std::iter::once(p.name.as_str()).chain(p.aliases.iter().map(String::as_str));
                m.put("nameSearch".into(), crate::names::search_text(names).into());
                neo4rs::BoltType::Map(m)
            })
            .collect();
        #[derive(serde::Deserialize)]
        struct Written {
            written: i64,
        }
        let out = self
            .write_rows::<Written>(
                query(
                    "UNWIND $rows AS row \
                     MERGE (p:Person {id: row.id}) \
                     SET p:Entity, p.key = 'Person:' + row.id, p.name = row.name, p.caption = row.name, \
                         p.aliases = row.aliases, p.nameSearch = row.nameSearch, p.force = row.force \
                     RETURN count(*) AS written",
                )
                .param("rows", rows),
            )
            .await?;
        Ok(out.first().map_or(0, |w| w.written as usize))
    }

    /// The protected persons of `forces` as the redactor needs them: every name they go
    /// by (name, aliases, and the spellings documents were linked to them by) and the
    /// identifiers linked to them, as `kind:value` in the extractor's form. The caller's
    /// forces, not only their operations: redacting more is the safe side.
    ///
    /// Cypher: `MATCH (p:Person)` by `p.force IN $forces`, its `USES`/`LIVES_AT`
    /// targets and the `MENTIONS` that resolved to it.
    pub async fn protected_persons(
        &self,
        forces: &[String],
    ) -> Result<Vec<ProtectedPerson>, GraphError> {
        self.rows::<ProtectedPerson>(
            query(
                "MATCH (p:Person) WHERE p.force IN $forces AND p.protected = true \
                 OPTIONAL MATCH (p)-[:USES|LIVES_AT]->(i) \
                 WITH p, collect(DISTINCT i) AS linked \
                 OPTIONAL MATCH (:Document)-[m:MENTIONS]->(p) \
                 WITH p, linked, collect(DISTINCT m.text)[..50] AS spellings \
                 RETURN p.id AS id, p.force AS force, \
                        [n IN [p.name] + coalesce(p.aliases, []) + spellings WHERE n IS NOT NULL] AS names, \
                        [i IN linked WHERE i:Phone AND i.id IS NOT NULL | 'phone:' + i.id] \
                        + [i IN linked WHERE i:Email AND i.id IS NOT NULL | 'email:' + i.id] \
                        + [i IN linked WHERE i:Vehicle AND i.id IS NOT NULL | 'vehicle:' + i.id] \
                        + [i IN linked WHERE i:OnlineAccount AND i.id IS NOT NULL | 'account:' + i.id] \
                        + [i IN linked WHERE i:OnlineAccount AND i.handle IS NOT NULL | 'account:@' + toLower(i.handle)] \
                        + [i IN linked WHERE i:Location AND i.postcode IS NOT NULL | 'postcode:' + i.postcode] AS identifiers, \
                        [i IN linked WHERE i.key IS NOT NULL | i.key] AS keys",
            )
            .param("forces", forces.to_vec()),
        )
        .await
    }

    /// Ids of the unprotected persons of `forces` recorded under one of `names` exactly:
    /// their own names are not redacted for sharing a protected person's.
    ///
    /// Cypher: one `MATCH (q:Person)` by `q.force IN $forces AND q.name IN $names`.
    pub async fn persons_named(
        &self,
        forces: &[String],
        names: &[String],
    ) -> Result<Vec<String>, GraphError> {
        #[derive(serde::Deserialize)]
        struct Id {
            id: String,
        }
        let rows = self
            .rows::<Id>(
                query(
                    "MATCH (q:Person) WHERE q.force IN $forces AND q.name IN $names \
                     AND NOT coalesce(q.protected, false) RETURN q.id AS id",
                )
                .param("forces", forces.to_vec())
                .param("names", names.to_vec()),
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}
