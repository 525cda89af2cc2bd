//! The Cypher queries, one function each, grouped by what they are about.

mod documents;
pub mod hotspots;
pub mod mentions;
pub mod network;
mod people;
pub mod profiles;
