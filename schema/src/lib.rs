//! The toex GraphQL schema: object types, the Query/Mutation/Subscription roots and the
//! one table that maps domain errors to `extensions.code`. It knows nothing of HTTP; the
//! server crate mounts it.

pub mod access;
mod audit;
mod cases;
mod charts;
mod error;
mod expansion;
mod guard;
mod health;
mod hotspots;
pub mod jobs;
pub mod linkage;
pub mod loaders;
mod markup;
mod mutation;
mod network;
mod notes;
mod profiles;
mod query;
pub mod redaction;
mod review;
mod subscription;
mod types;
pub mod workspace;

use async_graphql::Schema;

pub use access::{Purpose, Session, SessionCheck};
pub use error::{ApiError, ErrorCode};
pub use health::{DEFAULT_MARKING, Health, HealthStatus, health};
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use redaction::{REDACTION_CODE, Redactor};
pub use subscription::SubscriptionRoot;
pub use toex_access::{AuditLog, Principal, Role};
pub use toex_pipeline::Ingested;
pub use toex_pipeline::{ModelInfo, Services};

/// The executable schema type.
pub type ToexSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// How the schema is built: the limits that keep one request from exhausting the server,
/// and the protective marking the deployment prints on what leaves it.
#[derive(Debug, Clone)]
pub struct SchemaSettings {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Most aliased fields in one request (alias flooding multiplies work).
    pub max_aliases: usize,
    pub introspection: bool,
    /// The Government Security Classification of the data served (`health.marking`).
    pub marking: String,
}

impl Default for SchemaSettings {
    fn default() -> Self {
        Self {
            max_depth: 16,
            max_complexity: 5_000,
            max_aliases: 30,
            introspection: true,
            marking: health::DEFAULT_MARKING.to_owned(),
        }
    }
}

/// Builds the schema once; share the result across HTTP workers. Every operation is
/// appended to `audit` when given. Requests must carry a [`Principal`] (and, for
/// anything but introspection, a [`Purpose`]) in their data.
pub fn build_schema(
    services: Services,
    limits: SchemaSettings,
    audit: Option<std::sync::Arc<AuditLog>>,
) -> ToexSchema {
    let (persons, documents) = loaders::loaders(&services.graph);
    let services_graph = services.graph.clone();
    let pseudonyms = audit
        .as_ref()
        .map_or_else(toex_access::Pseudonyms::ephemeral, |log| log.pseudonyms());
    let redactor = std::sync::Arc::new(Redactor::new(services.graph.clone(), pseudonyms));
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .extension(guard::GuardFactory {
        max_aliases: limits.max_aliases,
        audit: audit.clone(),
        redactor: redactor.clone(),
    })
    .data(redactor)
    .data(health::Marking(limits.marking.clone()))
    .data(services)
    .data(persons)
    .data(documents)
    .data(async_graphql::dataloader::DataLoader::new(
        linkage::PersonMentionsLoader(services_graph.clone()),
        tokio::spawn,
    ))
    .data(async_graphql::dataloader::DataLoader::new(
        loaders::PersonDetailsLoader(services_graph.clone()),
        tokio::spawn,
    ))
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(32)
    .limit_directives(8);
    let builder = match audit {
        Some(log) => builder.data(log),
        None => builder,
    };
    let builder = if limits.introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    builder.finish()
}

/// The schema in SDL, as committed in `schema/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
    .sdl()
}

#[cfg(test)]
mod tests {
    /// Fails when `schema/schema.graphql` drifts from the code.
    /// Regenerate with `cargo run -p toex -- export-schema` (or `UPDATE_SCHEMA=1 cargo test`).
    #[test]
    fn committed_sdl_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
        let current = super::sdl();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == current,
            "schema/schema.graphql is out of date; run `cargo run -p toex -- export-schema`"
        );
    }
}
