//! Bulk import of CSV or JSONL: persons, identifiers and who uses them, incidents with
//! their people, missing episodes, call data records and generic weighted edge lists.
//!
//! Rows are validated first; a bad row is reported as `file:line: reason` and skipped
//! (with `strict`, any bad row rejects the file). Writes are batched `UNWIND … MERGE`
//! statements, idempotent: importing the same file twice changes nothing. Aggregates
//! (`CALLED`, `ASSOCIATE_OF`) are keyed by the file's content hash, so a re-import sets
//! the same totals instead of adding them again. Each chunk of up to
//! [`ImportOptions::atomic_rows`] rows is one transaction, so a file that fits one chunk
//! is never half-written; a larger file is written chunk by chunk, and re-running it
//! after a failure completes it without duplicates.

mod write;

mod read;
pub(crate) mod records;
mod schedule;
mod statements;
mod touched;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use neo4rs::{BoltType, query};
use sha2::{Digest, Sha256};

pub use read::{Field, RawRow, RowFormat, read_rows, read_rows_from, read_rows_in_parts};
pub use records::{Record, RecordKind, parse_time};
pub use touched::Touched;

use crate::{GraphClient, GraphError};
use schedule::{Group, Next, Schedule};

use self::write::*;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Persons,
    Identifiers,
    Incidents,
    Missing,
    Calls,
    Edges,
    /// police.uk street-level crime CSV, as incidents.
    StreetCrime,
}

/// A dataset folder's files in the order they import (persons before what refers to
/// them), as `toex synth` writes them.
pub const IMPORT_ORDER: &[(&str, ImportKind)] = &[
    ("persons.csv", ImportKind::Persons),
    ("identifiers.csv", ImportKind::Identifiers),
    ("incidents.csv", ImportKind::Incidents),
    ("missing.csv", ImportKind::Missing),
    ("calls.csv", ImportKind::Calls),
];

impl std::str::FromStr for ImportKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "persons" | "people" => Self::Persons,
            "identifiers" => Self::Identifiers,
            "incidents" => Self::Incidents,
            "missing" => Self::Missing,
            "calls" | "cdr" => Self::Calls,
            "edges" => Self::Edges,
            "street-crime" | "policeuk" => Self::StreetCrime,
            other => {
                return Err(format!(
                    "`{other}` is not one of persons, identifiers, incidents, missing, calls, edges, street-crime"
                ));
            }
        })
    }
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Reject the whole file if any row is bad.
    pub strict: bool,
    /// Put every person, incident and episode of the file in this operation.
    pub operation: Option<String>,
    /// Force for rows that name none; without it such rows are rejected (written under
    /// no force, no user could see them).
    pub default_force: Option<String>,
    /// Rows per `UNWIND` statement.
    pub batch_size: usize,
    /// Rows per transaction.
    pub atomic_rows: usize,
    /// Watched keys (`phone:+447700900001`, `person:WYP-12`): the report lists what the
    /// written records say of them ([`ImportReport::touched`]).
    pub watched: Option<Arc<HashSet<String>>>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            strict: false,
            operation: None,
            default_force: None,
            batch_size: 5_000,
            atomic_rows: 50_000,
            watched: None,
        }
    }
}

/// A rejected row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub file: PathBuf,
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub file: PathBuf,
    /// Provenance id stamped on what this file created (`import:<hash>`).
    pub source: String,
    pub rows: u64,
    pub imported: u64,
    pub rejected: Vec<RowError>,
    /// Relationships the written rows stand for (aggregates count their records).
    pub relationships: u64,
    /// For a file of aggregates (calls, edge lists): the distinct relationships they
    /// were written as (one `CALLED` per caller, callee and force; one `ASSOCIATE_OF`
    /// per pair and force).
    pub aggregates: Option<u64>,
    pub elapsed: Duration,
    /// What the written records say of the watched keys in [`ImportOptions::watched`].
    pub touched: Vec<Touched>,
}

/// What [`GraphClient::write_records`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// Records written.
    pub imported: u64,
    /// Relationships the records stand for (aggregates count their records).
    pub relationships: u64,
    /// Distinct aggregate relationships written, for calls and edge lists.
    pub aggregates: Option<u64>,
    /// Records dropped because they refer to a person that does not exist, or would join
    /// an operation of another force: line, reason.
    pub missing: Vec<(u64, String)>,
}

/// Receives progress, e.g. to drive a progress bar.
pub trait ImportProgress: Send + Sync {
    fn parsed(&self, _rows: u64) {}
    fn written(&self, _rows: u64) {}
}

impl ImportProgress for () {}

/// The provenance id of a file: its content hash.
pub fn source_id(path: &Path) -> Result<String, String> {
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(format!(
        "import:{}",
        &format!("{:x}", hasher.finalize())[..20]
    ))
}

/// Transactions of call records written at once (see [`GraphClient::write_records`]).
const CALL_WRITERS: usize = 2;

/// Rows per transaction of call records at most (see [`GraphClient::write_records`]).
const CALL_ROWS_PER_TRANSACTION: usize = 5_000;

/// The fewest bytes of CSV a reading thread gets, so a file under twice this is read on
/// one thread: 8 MiB (about 180,000 call records) takes a thread about 0.2 s.
const MIN_PART_BYTES: u64 = 8 << 20;

/// Reads and validates a whole file (blocking). A large CSV file is read in pieces on
/// as many threads as there are cores (at most 4): Neo4j waits for the records.
pub fn parse_file(
    kind: ImportKind,
    path: &Path,
    opts: &ImportOptions,
    progress: &dyn ImportProgress,
) -> Result<(Vec<Record>, Vec<RowError>), GraphError> {
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    parse_file_in_parts(kind, path, opts, progress, parts, MIN_PART_BYTES)
}

/// [`parse_file`] with at most `parts` pieces of at least `min_part_bytes`.
fn parse_file_in_parts(
    kind: ImportKind,
    path: &Path,
    opts: &ImportOptions,
    progress: &dyn ImportProgress,
    parts: usize,
    min_part_bytes: u64,
) -> Result<(Vec<Record>, Vec<RowError>), GraphError> {
    #[derive(Default)]
    struct Piece {
        records: Vec<Record>,
        errors: Vec<RowError>,
        rows: u64,
    }
    let pieces = read_rows_in_parts(
        path,
        parts,
        min_part_bytes,
        Piece::default,
        |piece, line, row| {
            piece.rows += 1;
            if piece.rows.is_multiple_of(10_000) {
                progress.parsed(10_000);
            }
            match row
                .and_then(|raw| records::parse(kind, line, &raw, opts.default_force.as_deref()))
            {
                Ok(r) => piece.records.push(r),
                Err(reason) => piece.errors.push(RowError {
                    file: path.to_owned(),
                    line,
                    reason,
                }),
            }
        },
    )
    .map_err(GraphError::InvalidInput)?;
    progress.parsed(pieces.iter().map(|p| p.rows % 10_000).sum());
    let mut records = Vec::with_capacity(pieces.iter().map(|p| p.records.len()).sum());
    let mut errors = Vec::new();
    for piece in pieces {
        records.extend(piece.records);
        errors.extend(piece.errors);
    }
    Ok((records, errors))
}

/// Records read from memory, and each bad row's line and reason.
pub type Parsed = (Vec<Record>, Vec<(u64, String)>);

/// Reads and validates rows from memory, as [`parse_file`] does from a file; with no
/// I/O, for fuzzing and tests. Every row becomes a record or a `line: reason`.
pub fn parse_bytes(
    kind: ImportKind,
    format: RowFormat,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<Parsed, GraphError> {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    read_rows_from(bytes, format, |line, row| {
        match row.and_then(|raw| records::parse(kind, line, &raw, opts.default_force.as_deref())) {
            Ok(r) => records.push(r),
            Err(reason) => errors.push((line, reason)),
        }
    })
    .map_err(GraphError::InvalidInput)?;
    Ok((records, errors))
}

#[cfg(test)]
mod tests;
