//! The Cypher queries, one function each, grouped by what they are about. Every read of
//! case data takes the caller's [`Scope`]: its forces, operations and protected right
//! travel as `$forces`, `$operations` and `$protected`, tested inside each statement by
//! the predicates below.

use toex_scope::Scope;

/// Whether node `x` lies inside the caller's operation compartments (`$operations`, null
/// when unconfined): a member of one (`PART_OF`), one of the operations itself, or an
/// identifier, place or missing episode joined by one of the caller's relationships to
/// a member. An operation that holds nothing contains nothing.
macro_rules! in_operations {
    ($x:literal) => {
        concat!(
            "($operations IS NULL OR EXISTS { MATCH (",
            $x,
            ")-[:PART_OF]->(op_:Operation) WHERE op_.id IN $operations } OR (",
            $x,
            ":Operation AND ",
            $x,
            ".id IN $operations) OR (",
            $x,
            ":Phone|Email|Vehicle|OnlineAccount|Location|MissingEpisode AND EXISTS { MATCH (",
            $x,
            ")-[q_]-()-[:PART_OF]->(op_:Operation) WHERE q_.force IN $forces AND op_.id IN $operations }))"
        )
    };
}

/// Whether node `x` belongs to one of the caller's forces and lies inside their
/// operation compartments.
macro_rules! in_scope {
    ($x:literal) => {
        concat!("(", $x, ".force IN $forces AND ", in_operations!($x), ")")
    };
}

/// Whether a node named directly (by key) may be shown: inside the caller's operation
/// compartments, and owned by one of their forces or a shared identifier or place that
/// one of their relationships touches.
macro_rules! visible {
    ($x:literal) => {
        concat!(
            "(",
            $x,
            ".force IN $forces OR (",
            $x,
            ":Phone|Email|Vehicle|OnlineAccount|Location ",
            "AND EXISTS { MATCH (",
            $x,
            ")-[q]-() WHERE q.force IN $forces })) AND ",
            in_operations!($x)
        )
    };
}

/// Something a case team keeps (`a`: a note, a chart) may be read by the caller: its
/// force and operation are within the caller's compartment.
macro_rules! readable {
    ($a:literal) => {
        concat!(
            "(",
            $a,
            ".force IN $forces AND ($operations IS NULL OR ",
            $a,
            ".operation IN $operations))"
        )
    };
}

/// Whether an operation named by `x` (a string) is one the caller may see.
macro_rules! operation_allowed {
    ($x:literal) => {
        concat!("($operations IS NULL OR ", $x, " IN $operations)")
    };
}

pub mod cases;
pub mod charts;
pub(crate) mod documents;
pub mod export;
pub mod hotspots;
pub mod mentions;
pub mod network;
pub mod notes;
mod people;
pub mod profiles;
pub mod review;
pub mod warm;
pub mod workspace;

/// `text` with the caller's scope bound: `$forces`, `$operations` (null when
/// unconfined) and `$protected`.
pub(crate) fn scoped(text: &str, scope: &Scope) -> neo4rs::Query {
    neo4rs::query(text)
        .param("forces", scope.forces().to_vec())
        .param("operations", scope.operations().map(<[String]>::to_vec))
        .param("protected", scope.sees_protected())
}
