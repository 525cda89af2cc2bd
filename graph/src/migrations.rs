//! Idempotent schema migrations (constraints and indexes), applied every time Neo4j
//! comes up. Each statement uses `IF NOT EXISTS`, so re-running them is harmless.

use crate::{GraphClient, GraphError};

/// `(name, statement)` pairs, applied in order.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "saved_search_id",
        "CREATE CONSTRAINT saved_search_id IF NOT EXISTS FOR (n:SavedSearch) REQUIRE n.id IS UNIQUE",
    ),
    (
        "watch_id",
        "CREATE CONSTRAINT watch_id IF NOT EXISTS FOR (n:Watch) REQUIRE n.id IS UNIQUE",
    ),
    (
        "alert_id",
        "CREATE CONSTRAINT alert_id IF NOT EXISTS FOR (n:Alert) REQUIRE n.id IS UNIQUE",
    ),
    (
        "saved_search_owner",
        "CREATE INDEX saved_search_owner IF NOT EXISTS FOR (n:SavedSearch) ON (n.owner)",
    ),
    (
        "watch_owner",
        "CREATE INDEX watch_owner IF NOT EXISTS FOR (n:Watch) ON (n.owner)",
    ),
    (
        "alert_owner",
        "CREATE INDEX alert_owner IF NOT EXISTS FOR (n:Alert) ON (n.owner, n.createdAt)",
    ),
    (
        "alert_created",
        "CREATE INDEX alert_created IF NOT EXISTS FOR (n:Alert) ON (n.createdAt)",
    ),
    (
        "annotation_id",
        "CREATE CONSTRAINT annotation_id IF NOT EXISTS FOR (n:Annotation) REQUIRE n.id IS UNIQUE",
    ),
    (
        "annotation_target",
        "CREATE INDEX annotation_target IF NOT EXISTS FOR (n:Annotation) ON (n.target)",
    ),
    (
        "annotation_text",
        "CREATE FULLTEXT INDEX annotation_text IF NOT EXISTS FOR (n:Annotation) ON EACH [n.text]",
    ),
    (
        "saved_search_operation",
        "CREATE INDEX saved_search_operation IF NOT EXISTS FOR (n:SavedSearch) ON (n.operation)",
    ),
    (
        "watch_operation",
        "CREATE INDEX watch_operation IF NOT EXISTS FOR (n:Watch) ON (n.operation)",
    ),
    (
        "chart_id",
        "CREATE CONSTRAINT chart_id IF NOT EXISTS FOR (n:Chart) REQUIRE n.id IS UNIQUE",
    ),
    (
        "link_decision_id",
        "CREATE CONSTRAINT link_decision_id IF NOT EXISTS FOR (n:LinkDecision) REQUIRE n.id IS UNIQUE",
    ),
    (
        "link_decision_operation",
        "CREATE INDEX link_decision_operation IF NOT EXISTS FOR (n:LinkDecision) ON (n.operation)",
    ),
    (
        "entity_key",
        "CREATE CONSTRAINT entity_key IF NOT EXISTS FOR (n:Entity) REQUIRE n.key IS UNIQUE",
    ),
    (
        "force_code",
        "CREATE CONSTRAINT force_code IF NOT EXISTS FOR (n:Force) REQUIRE n.code IS UNIQUE",
    ),
    (
        "person_id",
        "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE",
    ),
    (
        "phone_id",
        "CREATE CONSTRAINT phone_id IF NOT EXISTS FOR (n:Phone) REQUIRE n.id IS UNIQUE",
    ),
    (
        "email_id",
        "CREATE CONSTRAINT email_id IF NOT EXISTS FOR (n:Email) REQUIRE n.id IS UNIQUE",
    ),
    (
        "vehicle_id",
        "CREATE CONSTRAINT vehicle_id IF NOT EXISTS FOR (n:Vehicle) REQUIRE n.id IS UNIQUE",
    ),
    (
        "location_id",
        "CREATE CONSTRAINT location_id IF NOT EXISTS FOR (n:Location) REQUIRE n.id IS UNIQUE",
    ),
    (
        "online_account_id",
        "CREATE CONSTRAINT online_account_id IF NOT EXISTS FOR (n:OnlineAccount) REQUIRE n.id IS UNIQUE",
    ),
    (
        "incident_id",
        "CREATE CONSTRAINT incident_id IF NOT EXISTS FOR (n:Incident) REQUIRE n.id IS UNIQUE",
    ),
    (
        "missing_episode_id",
        "CREATE CONSTRAINT missing_episode_id IF NOT EXISTS FOR (n:MissingEpisode) REQUIRE n.id IS UNIQUE",
    ),
    (
        "document_id",
        "CREATE CONSTRAINT document_id IF NOT EXISTS FOR (n:Document) REQUIRE n.id IS UNIQUE",
    ),
    (
        "operation_id",
        "CREATE CONSTRAINT operation_id IF NOT EXISTS FOR (n:Operation) REQUIRE n.id IS UNIQUE",
    ),
    (
        "person_force",
        "CREATE INDEX person_force IF NOT EXISTS FOR (n:Person) ON (n.force)",
    ),
    (
        "phone_force",
        "CREATE INDEX phone_force IF NOT EXISTS FOR (n:Phone) ON (n.force)",
    ),
    (
        "email_force",
        "CREATE INDEX email_force IF NOT EXISTS FOR (n:Email) ON (n.force)",
    ),
    (
        "vehicle_force",
        "CREATE INDEX vehicle_force IF NOT EXISTS FOR (n:Vehicle) ON (n.force)",
    ),
    (
        "location_force",
        "CREATE INDEX location_force IF NOT EXISTS FOR (n:Location) ON (n.force)",
    ),
    (
        "online_account_force",
        "CREATE INDEX online_account_force IF NOT EXISTS FOR (n:OnlineAccount) ON (n.force)",
    ),
    (
        "incident_force",
        "CREATE INDEX incident_force IF NOT EXISTS FOR (n:Incident) ON (n.force)",
    ),
    (
        "missing_episode_force",
        "CREATE INDEX missing_episode_force IF NOT EXISTS FOR (n:MissingEpisode) ON (n.force)",
    ),
    (
        "document_force",
        "CREATE INDEX document_force IF NOT EXISTS FOR (n:Document) ON (n.force)",
    ),
    (
        "operation_force",
        "CREATE INDEX operation_force IF NOT EXISTS FOR (n:Operation) ON (n.force)",
    ),
    (
        "incident_occurred_at",
        "CREATE INDEX incident_occurred_at IF NOT EXISTS FOR (n:Incident) ON (n.occurredAt)",
    ),
    (
        "location_point",
        "CREATE POINT INDEX location_point IF NOT EXISTS FOR (n:Location) ON (n.point)",
    ),
    // A source index on CALLED / ASSOCIATE_OF tempts the planner to seek every
    // relationship of the file for each MERGE (quadratic re-imports); imports are
    // tracked on `Import` nodes instead.
    ("called_source", "DROP INDEX called_source IF EXISTS"),
    ("associate_source", "DROP INDEX associate_source IF EXISTS"),
    (
        "import_id",
        "CREATE CONSTRAINT import_id IF NOT EXISTS FOR (n:Import) REQUIRE n.id IS UNIQUE",
    ),
    // Databases loaded before `Import` nodes existed: record their aggregate sources once.
    (
        "import_backfill",
        "OPTIONAL MATCH (i:Import) WITH i LIMIT 1 WITH i WHERE i IS NULL \
         MATCH ()-[c:CALLED|ASSOCIATE_OF]->() WITH DISTINCT c.source AS source \
         WHERE source IS NOT NULL MERGE (:Import {id: source})",
    ),
    // A handle mentioned without its platform is looked up on every account.
    (
        "online_account_handle",
        "CREATE INDEX online_account_handle IF NOT EXISTS FOR (n:OnlineAccount) ON (n.handle)",
    ),
    (
        "person_names",
        "CREATE FULLTEXT INDEX person_names IF NOT EXISTS FOR (n:Person) ON EACH [n.nameSearch] OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}",
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
