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
    /// A victim with a right to anonymity, or a child: identifying fields are redacted
    /// for callers without the right.
    #[serde(default)]
    pub protected: bool,
}

/// Where a photo was taken, from its EXIF GPS fields: a `Location` the document is
/// `TAKEN_AT`.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentPlace {
    /// The document's id.
    pub document: String,
    /// The force that ingested the document, owner of the link.
    pub force: String,
    pub latitude: f64,
    pub longitude: f64,
    /// When, as the photo's EXIF fields write it.
    pub taken: Option<String>,
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

/// A node as drawn: key (`Label:id`), label, caption, owning force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphNode {
    pub key: String,
    pub label: String,
    pub caption: Option<String>,
    /// Owning force, only when it is one of the caller's.
    pub force: Option<String>,
    #[serde(default)]
    pub protected: bool,
}

/// A relationship as drawn, with its provenance and aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    #[serde(rename = "type")]
    pub rel_type: String,
    pub role: Option<String>,
    pub weight: Option<f64>,
    pub count: Option<i64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub source: Option<String>,
}

/// Nodes plus edges, ready to draw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Subgraph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

/// A node shared by two others, and through what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommonAssociate {
    pub node: GraphNode,
    pub via_a: Vec<String>,
    pub via_b: Vec<String>,
}

/// A dated event around a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: String,
    pub kind: String,
    pub key: String,
    pub caption: Option<String>,
    pub detail: Option<String>,
}

/// What a force records about a person beyond the name: for the person's own page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonDetails {
    pub id: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub dob: Option<String>,
    pub gender: Option<String>,
    /// A registered sex offender.
    #[serde(default)]
    pub rso: bool,
    pub visor_category: Option<String>,
    pub mappa_level: Option<i64>,
    #[serde(default)]
    pub vulnerabilities: Vec<String>,
    /// The operations (cases) the person is part of, within the caller's scope.
    #[serde(default)]
    pub operations: Vec<String>,
}

/// A person found by name, with the full-text score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonMatch {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub force: String,
    #[serde(default)]
    pub protected: bool,
    pub score: f64,
}

/// One link of a selection, for centrality and communities (`to` absent: isolated node).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionLink {
    pub from: String,
    pub caption: Option<String>,
    pub to: Option<String>,
    pub weight: Option<f64>,
}

/// A protected person as the redactor sees them (never returned to a caller).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProtectedPerson {
    pub id: String,
    pub force: String,
    /// Name, aliases, and the spellings documents were linked to them by.
    pub names: Vec<String>,
    /// Linked identifiers as `kind:value` (`phone:+447700900123`, `account:@jay_99`).
    pub identifiers: Vec<String>,
    /// Graph keys of the linked identifier and place nodes (`Phone:+447700900123`).
    pub keys: Vec<String>,
}
