//! Health of this instance: Neo4j reachability, the index, loaded models, the version.
//! The same value answers `/health` and the GraphQL `health` query.

use async_graphql::{ComplexObject, Context, Enum, SimpleObject};
use chrono::{DateTime, Utc};
use serde::Serialize;
use toex_graph::Connectivity;

use crate::Services;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthStatus {
    /// Everything is reachable.
    Ok,
    /// Serving, but a part is missing (e.g. Neo4j is down: search works, graph queries fail).
    Degraded,
}

/// The marking a deployment serves under unless configured otherwise: case data of
/// this kind is OFFICIAL-SENSITIVE under the Government Security Classifications.
pub const DEFAULT_MARKING: &str = "OFFICIAL-SENSITIVE";

/// The deployment's protective marking, as schema data.
#[derive(Debug, Clone)]
pub struct Marking(pub String);

#[derive(Debug, Clone, SimpleObject, Serialize)]
#[graphql(complex)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: HealthStatus,
    pub version: String,
    #[graphql(name = "neo4j")]
    pub neo4j: Neo4jHealth,
    pub index: IndexHealth,
    pub models: Vec<ModelHealth>,
    /// The languages this instance translates into English, each with the model that
    /// would (a dedicated OPUS-MT pair before NLLB-200).
    pub translation: Vec<TranslationHealth>,
    /// `SINGLE` (one process, the default) or `REPLICA` (one of several API replicas
    /// that follow the index log on NATS JetStream).
    pub role: Role,
    /// This replica's place in the index log; absent for a single process.
    pub replication: Option<ReplicationHealth>,
    /// Ingest and translation jobs waiting for this process's job worker.
    pub queued_jobs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Single,
    Replica,
}

#[derive(Debug, Clone, SimpleObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationHealth {
    /// This replica's durable consumer of the index log.
    pub replica: String,
    pub stream: String,
    /// The last entry of the stream this replica has applied to its index.
    pub applied: u64,
    /// Entries stored in the stream that this replica has not applied yet.
    pub lag: u64,
    /// Whether its last exchange with NATS worked.
    pub connected: bool,
}

#[ComplexObject]
impl Health {
    /// The protective marking of the data this deployment serves (e.g.
    /// OFFICIAL-SENSITIVE): shown with every page and printed on every export.
    async fn marking(&self, ctx: &Context<'_>) -> String {
        ctx.data_opt::<Marking>()
            .map_or_else(|| DEFAULT_MARKING.to_owned(), |m| m.0.clone())
    }
}

#[derive(Debug, Clone, SimpleObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Neo4jHealth {
    pub reachable: bool,
    /// Why it is not reachable, when it is not.
    pub error: Option<String>,
    /// Since when the current state holds.
    pub since: Option<DateTime<Utc>>,
    /// Whether the queries behind the analysts' pages have been planned since Neo4j
    /// last came up (until then, the first of each page waits for Cypher planning).
    pub plans_warmed: bool,
    /// For a `neo4j://` URI (a cluster): how many servers its last routing table named
    /// in each role. Absent for `bolt://`, which names the one server.
    pub routing: Option<Neo4jRouting>,
}

/// Counts only: the servers' addresses are not for an unauthenticated `/health`.
#[derive(Debug, Clone, Copy, SimpleObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Neo4jRouting {
    pub routers: u32,
    pub readers: u32,
    pub writers: u32,
}

#[derive(Debug, Clone, SimpleObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexHealth {
    pub open: bool,
    pub documents: u64,
}

#[derive(Debug, Clone, SimpleObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelHealth {
    pub name: String,
    pub task: String,
    pub loaded: bool,
}

#[derive(Debug, Clone, SimpleObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranslationHealth {
    /// ISO 639-1 where there is one (`ar`, `vi`), else NLLB-200's code (`acm_Arab`).
    pub language: String,
    /// `name@` the first hex digits of the weights' SHA-256.
    pub model: String,
}

/// A snapshot of `services`' health; cheap, no I/O (the graph monitor keeps connectivity
/// current).
pub fn health(services: &Services) -> Health {
    let plans_warmed = services.graph.plans_warmed();
    let routing = services.graph.routing().map(|r| Neo4jRouting {
        routers: r.routers as u32,
        readers: r.readers as u32,
        writers: r.writers as u32,
    });
    let neo4j = match services.graph.connectivity() {
        Connectivity::Up { since } => Neo4jHealth {
            reachable: true,
            error: None,
            since: Some(since),
            plans_warmed,
            routing,
        },
        Connectivity::Down { reason, since } => Neo4jHealth {
            reachable: false,
            error: Some(reason),
            since: Some(since),
            plans_warmed,
            routing,
        },
        Connectivity::Connecting => Neo4jHealth {
            reachable: false,
            error: Some("connecting".to_owned()),
            since: None,
            plans_warmed,
            routing,
        },
    };
    let replication = services.replication.as_ref().map(|r| {
        let state = r.state();
        ReplicationHealth {
            replica: state.consumer,
            stream: state.stream,
            applied: state.applied,
            lag: state.lag,
            connected: state.connected,
        }
    });
    let status = if neo4j.reachable && replication.as_ref().is_none_or(|r| r.connected) {
        HealthStatus::Ok
    } else {
        HealthStatus::Degraded
    };
    let translators = services.translation.get();
    Health {
        role: match replication {
            Some(_) => Role::Replica,
            None => Role::Single,
        },
        replication,
        queued_jobs: services.jobs.queued() as u64,
        status,
        version: services.version.to_owned(),
        neo4j,
        index: IndexHealth {
            open: true,
            documents: services.index.num_docs(),
        },
        models: services
            .models
            .iter()
            .map(|m| ModelHealth {
                name: m.name.clone(),
                task: m.task.clone(),
                loaded: m.loaded,
            })
            .chain(
                translators
                    .loaded()
                    .into_iter()
                    .map(|(languages, id)| ModelHealth {
                        name: format!("{id} ({languages}→en)"),
                        task: "translation".to_owned(),
                        loaded: true,
                    }),
            )
            .collect(),
        translation: translators
            .languages()
            .iter()
            .map(|t| TranslationHealth {
                language: t.language.clone(),
                model: t.model.clone(),
            })
            .collect(),
    }
}
