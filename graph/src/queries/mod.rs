//! The Cypher queries, one function each, grouped by what they are about.

mod documents;
mod people;
