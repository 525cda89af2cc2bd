//! Idempotent schema migrations (constraints and indexes), applied every time Neo4j
//! comes up. Each statement uses `IF NOT EXISTS`, so re-running them is harmless.

use crate::{GraphClient, GraphError};

/// `(name, statement)` pairs, applied in order.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "force_code",
        "CREATE CONSTRAINT force_code IF NOT EXISTS FOR (n:Force) REQUIRE n.code IS UNIQUE",
    ),
    (
        "operation_id",
        "CREATE CONSTRAINT operation_id IF NOT EXISTS FOR (n:Operation) REQUIRE n.id IS UNIQUE",
    ),
    (
        "person_id",
        "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE",
    ),
    (
        "document_id",
        "CREATE CONSTRAINT document_id IF NOT EXISTS FOR (n:Document) REQUIRE n.id IS UNIQUE",
    ),
    (
        "person_force",
        "CREATE INDEX person_force IF NOT EXISTS FOR (n:Person) ON (n.force)",
    ),
    (
        "document_force",
        "CREATE INDEX document_force IF NOT EXISTS FOR (n:Document) ON (n.force)",
    ),
];

/// Applies every migration; returns how many statements ran.
pub(crate) async fn apply(client: &GraphClient) -> Result<usize, GraphError> {
    for (name, statement) in MIGRATIONS {
        client
            .run_unchecked(neo4rs::query(statement))
            .await
            .inspect_err(|err| tracing::debug!(migration = name, %err, "migration failed"))?;
    }
    Ok(MIGRATIONS.len())
}
