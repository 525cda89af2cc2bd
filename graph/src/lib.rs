//! Neo4j access for toex. Every Cypher statement of the project lives in this crate,
//! parameterised and decoded into typed structs; callers never see Bolt or Cypher.

mod client;
mod error;
mod migrations;
mod model;
mod queries;
mod settings;

pub use client::{Connectivity, GraphClient};
pub use error::GraphError;
pub use migrations::MIGRATIONS;
pub use model::{DocumentNode, Person};
pub use settings::GraphSettings;
