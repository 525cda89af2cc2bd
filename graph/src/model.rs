//! Typed rows returned by the graph queries. Field names match the Cypher column names.

use serde::{Deserialize, Serialize};

/// A person as recorded by a force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Owning force code, e.g. `WYP`.
    pub force: String,
}

/// The graph side of an ingested item; its id is the search index's document id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentNode {
    pub id: String,
    pub title: String,
    pub force: String,
    pub operation: Option<String>,
    pub source_type: String,
    pub language: Option<String>,
    pub content_hash: String,
}
