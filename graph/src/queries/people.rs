//! Person look-ups.

use neo4rs::query;

use super::scoped;
use crate::{GraphClient, GraphError, Person, Scope};

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

    /// Names and aliases of the protected persons in `forces`, for redaction (the
    /// caller's forces, not only their operations: redacting more is the safe side).
    ///
    /// Cypher: one `MATCH (p:Person) WHERE p.protected AND p.force IN $forces`.
    pub async fn protected_names(&self, forces: &[String]) -> Result<Vec<String>, GraphError> {
        #[derive(serde::Deserialize)]
        struct Names {
            names: Vec<String>,
        }
        let rows = self
            .rows::<Names>(
                query(
                    "MATCH (p:Person) WHERE p.protected = true AND p.force IN $forces \
                     RETURN [p.name] + coalesce(p.aliases, []) AS names",
                )
                .param("forces", forces.to_vec()),
            )
            .await?;
        Ok(rows.into_iter().flat_map(|r| r.names).collect())
    }
}
