//! The Cypher queries, one function each, grouped by what they are about.

mod documents;
pub mod network;
mod people;
