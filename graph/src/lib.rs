//! Neo4j access for toex. Every Cypher statement of the project lives in this crate,
//! parameterised and decoded into typed structs; callers never see Bolt or Cypher.

pub mod algo;
mod client;
mod error;
pub mod identifiers;
pub mod import;
mod migrations;
mod model;
pub mod names;
mod queries;
mod settings;
pub mod vocab;

pub use client::{Connectivity, GraphClient};
pub use error::GraphError;
pub use migrations::MIGRATIONS;
pub use model::{DocumentNode, Person};
pub use settings::GraphSettings;
