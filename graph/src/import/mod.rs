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

mod read;
pub(crate) mod records;
mod schedule;
mod statements;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use neo4rs::{BoltType, query};
use sha2::{Digest, Sha256};

pub use read::{Field, RawRow, RowFormat, read_rows, read_rows_from, read_rows_in_parts};
pub use records::{Record, RecordKind, parse_time};

use crate::{GraphClient, GraphError};
use schedule::{Group, Next, Schedule};

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
    /// Force for rows that name none.
    pub default_force: String,
    /// Rows per `UNWIND` statement.
    pub batch_size: usize,
    /// Rows per transaction.
    pub atomic_rows: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            strict: false,
            operation: None,
            default_force: "UNASSIGNED".to_owned(),
            batch_size: 5_000,
            atomic_rows: 50_000,
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
    /// Records dropped because they refer to a person that does not exist: line, reason.
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
            match row.and_then(|raw| records::parse(kind, line, &raw, &opts.default_force)) {
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
        match row.and_then(|raw| records::parse(kind, line, &raw, &opts.default_force)) {
            Ok(r) => records.push(r),
            Err(reason) => errors.push((line, reason)),
        }
    })
    .map_err(GraphError::InvalidInput)?;
    Ok((records, errors))
}

impl GraphClient {
    /// Imports one file. See the module documentation for the guarantees.
    pub async fn import_file(
        &self,
        kind: ImportKind,
        path: &Path,
        opts: &ImportOptions,
        progress: &dyn ImportProgress,
    ) -> Result<ImportReport, GraphError> {
        let started = Instant::now();
        let source = source_id(path).map_err(GraphError::InvalidInput)?;
        let (records, mut rejected) = {
            let (path, opts) = (path.to_owned(), opts.clone());
            tokio::task::spawn_blocking(move || parse_file(kind, &path, &opts, &()))
                .await
                .map_err(|e| GraphError::InvalidInput(format!("reading failed: {e}")))??
        };
        progress.parsed(records.len() as u64 + rejected.len() as u64);
        tracing::debug!(records = records.len(), rejected = rejected.len(), elapsed = ?started.elapsed(), "file parsed");
        let rows = (records.len() + rejected.len()) as u64;
        if opts.strict && !rejected.is_empty() {
            let shown: Vec<String> = rejected.iter().take(10).map(ToString::to_string).collect();
            return Err(GraphError::InvalidInput(format!(
                "{} bad row(s); nothing imported (strict): {}",
                rejected.len(),
                shown.join("; ")
            )));
        }
        let written = self
            .write_records(kind, records, &source, opts, progress)
            .await?;
        rejected.extend(written.missing.into_iter().map(|(line, reason)| RowError {
            file: path.to_owned(),
            line,
            reason,
        }));
        rejected.sort_by_key(|e| e.line);
        Ok(ImportReport {
            file: path.to_owned(),
            source,
            rows,
            imported: written.imported,
            rejected,
            relationships: written.relationships,
            aggregates: written.aggregates,
            elapsed: started.elapsed(),
        })
    }

    /// Writes validated records. See [`Written`].
    pub async fn write_records(
        &self,
        kind: ImportKind,
        records: Vec<Record>,
        source: &str,
        opts: &ImportOptions,
        progress: &dyn ImportProgress,
    ) -> Result<Written, GraphError> {
        self.ensure_scaffolding(&records, opts).await?;
        let (records, missing) = self.drop_unknown_people(kind, records).await?;
        let started = Instant::now();
        if kind == ImportKind::Calls {
            #[derive(serde::Deserialize)]
            struct PhoneNode {
                id: String,
                node: String,
            }
            let count = records.len() as u64;
            let (numbers, calls, records) = blocking(move || {
                let (numbers, calls) = statements::number_calls(&records);
                Ok((numbers, calls, records))
            })
            .await?;
            let phones = &numbers.phones;
            tracing::debug!(phones = phones.len(), elapsed = ?started.elapsed(), "calls numbered");
            // Aggregating needs nothing from Neo4j: it runs on the other core while the
            // phones are looked up, and frees the records there, off the runtime.
            let phone_count = phones.len();
            let aggregate = blocking(move || {
                drop(records);
                Ok(statements::aggregate_calls(
                    calls,
                    phone_count,
                    2 * CALL_WRITERS,
                ))
            });
            let resolve = async {
                use futures::{StreamExt, TryStreamExt};
                // Phones known before are only looked up: a read takes no locks, so
                // lookups run side by side and cost Neo4j less than a merge.
                let lookups = phones.chunks(opts.batch_size).map(|chunk| {
                    let ids: Vec<BoltType> =
                        chunk.iter().map(|(id, _)| id.as_str().into()).collect();
                    self.rows::<PhoneNode>(query(statements::KNOWN_PHONES).param("ids", ids))
                });
                let found: Vec<Vec<PhoneNode>> = futures::stream::iter(lookups)
                    .buffer_unordered(CALL_WRITERS)
                    .try_collect()
                    .await?;
                let mut nodes: HashMap<String, String> = found
                    .into_iter()
                    .flatten()
                    .map(|p| (p.id, p.node))
                    .collect();
                let known = nodes.len();
                let new: Vec<BoltType> = phones
                    .iter()
                    .filter(|(id, _)| !nodes.contains_key(id))
                    .cloned()
                    .map(statements::phone_row)
                    .collect();
                for batch in split_owned(new, opts.batch_size) {
                    let merged = self
                        .write_rows::<PhoneNode>(
                            query(statements::PHONES)
                                .param("rows", batch)
                                .param("source", source),
                        )
                        .await?;
                    nodes.extend(merged.into_iter().map(|p| (p.id, p.node)));
                }
                tracing::debug!(phones = nodes.len(), known, elapsed = ?started.elapsed(), "phones resolved");
                Ok::<_, GraphError>(nodes)
            };
            let (nodes, aggregated) = tokio::join!(resolve, aggregate);
            let groups = aggregated?;
            let call_rows =
                statements::CallRows::new(&numbers, &nodes?).map_err(GraphError::InvalidInput)?;
            let aggregates = groups.iter().map(|g| g.rows.len() as u64).sum();
            let to_row = |p: statements::CallPair| call_rows.row(&p);
            tracing::debug!(elapsed = ?started.elapsed(), "call rows built");
            let statement = if self.first_import(source).await? {
                statements::CALLS_FRESH
            } else {
                statements::CALLS
            };
            // Small transactions: Neo4j sorts, serialises and applies a transaction's
            // record changes at commit, and the state of a 50,000-row one lives long
            // enough to be copied by every young collection (25-40% more CPU per row).
            let opts = &ImportOptions {
                atomic_rows: opts.atomic_rows.min(CALL_ROWS_PER_TRANSACTION),
                ..opts.clone()
            };
            // Relationship creation is bound by Neo4j's CPU; a second writer keeps both
            // cores busy while the other transaction travels or commits. Writers run
            // groups that share no phone bucket (`aggregate_calls`), so neither waits on
            // the other's locks.
            self.write_transactions(
                statement,
                groups,
                CALL_WRITERS,
                &to_row,
                source,
                opts,
                progress,
            )
            .await?;
            tracing::debug!(elapsed = ?started.elapsed(), "calls written");
            return Ok(Written {
                imported: count,
                relationships: count,
                aggregates: Some(aggregates),
                missing,
            });
        }
        let (statement, rows, relationships) = statements::rows_for(kind, &records);
        let aggregates = (kind == ImportKind::Edges).then_some(rows.len() as u64);
        let written = self
            .write_transactions(
                statement,
                vec![Group { buckets: 0, rows }],
                1,
                &|row| row,
                source,
                opts,
                progress,
            )
            .await?;
        tracing::debug!(rows = written, elapsed = ?started.elapsed(), "rows written");
        let imported = match kind {
            ImportKind::Edges => records.len() as u64,
            _ => written,
        };
        Ok(Written {
            imported,
            relationships,
            aggregates,
            missing,
        })
    }

    /// Writes `groups` of rows through `statement` with up to `writers` transactions at
    /// once, as [`Schedule`] hands them out: [`ImportOptions::atomic_rows`] rows per
    /// transaction in `UNWIND` batches of [`ImportOptions::batch_size`]. An item becomes
    /// its row (`to_row`) only when its transaction is next. Returns the rows written.
    #[allow(clippy::too_many_arguments)]
    async fn write_transactions<T>(
        &self,
        statement: &'static str,
        groups: Vec<Group<T>>,
        writers: usize,
        to_row: &(dyn Fn(T) -> BoltType + Sync),
        source: &str,
        opts: &ImportOptions,
        progress: &dyn ImportProgress,
    ) -> Result<u64, GraphError> {
        let concurrent = writers > 1;
        let transaction = |chunk: Vec<T>| -> (u64, Vec<neo4rs::Query>) {
            let n = chunk.len() as u64;
            let queries = split_owned(chunk, opts.batch_size)
                .into_iter()
                .map(|batch| {
                    let rows: Vec<BoltType> = batch.into_iter().map(to_row).collect();
                    query(statement)
                        .param("rows", rows)
                        .param("source", source)
                        .param("operation", opts.operation.clone())
                })
                .collect();
            (n, queries)
        };
        let schedule = std::sync::Mutex::new(Schedule::new(groups, opts.atomic_rows));
        // Held only to pick or finish a transaction, never across an await.
        let locked = || {
            schedule
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let freed = &tokio::sync::Notify::new();
        let locked = &locked;
        let transaction = &transaction;
        let writer = |w: usize| async move {
            let mut written = 0u64;
            let mut deferred = Vec::new();
            let (mut transactions, mut waited) = (0u32, Duration::ZERO);
            loop {
                let next = locked().next();
                let (group, rows) = match next {
                    Next::Run { group, rows } => (group, rows),
                    Next::Wait => {
                        let since = Instant::now();
                        freed.notified().await;
                        waited += since.elapsed();
                        continue;
                    }
                    Next::Done => break,
                };
                transactions += 1;
                let (n, queries) = transaction(rows);
                let result = self.run_in_transaction(&queries).await;
                locked().finish(group);
                freed.notify_one();
                match result {
                    Ok(()) => {
                        progress.written(n);
                        written += n;
                    }
                    // A conflict that outlasts the retries (the schedule keeps writers
                    // off each other's phones, so it comes from elsewhere) rolled the
                    // transaction back whole: it runs again below, with no other writer.
                    Err(GraphError::Conflict { code, .. }) if concurrent => {
                        tracing::debug!(%code, rows = n, "transaction deferred to a serial pass");
                        deferred.push((n, queries));
                    }
                    Err(e) => return Err(e),
                }
            }
            // A writer still waiting finds nothing left either.
            freed.notify_one();
            tracing::debug!(
                writer = w,
                transactions,
                rows = written,
                ?waited,
                "writer done"
            );
            Ok((written, deferred))
        };
        let mut written = 0u64;
        let mut deferred = Vec::new();
        for (w, d) in futures::future::try_join_all((0..writers.max(1)).map(writer)).await? {
            written += w;
            deferred.extend(d);
        }
        for (n, queries) in deferred {
            self.run_in_transaction(&queries).await?;
            progress.written(n);
            written += n;
        }
        Ok(written)
    }

    /// Records that `source` is being imported; true the first time only.
    async fn first_import(&self, source: &str) -> Result<bool, GraphError> {
        #[derive(serde::Deserialize)]
        struct First {
            first: bool,
        }
        let rows = self
            .write_rows::<First>(query(statements::IMPORT_BEGUN).param("source", source))
            .await?;
        Ok(rows.first().is_some_and(|f| f.first))
    }

    /// Creates the forces and operations the records belong to (once per import).
    async fn ensure_scaffolding(
        &self,
        records: &[Record],
        opts: &ImportOptions,
    ) -> Result<(), GraphError> {
        let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
        let mut forces: BTreeSet<String> = BTreeSet::new();
        for r in records {
            forces.insert(r.force.clone());
            let op = match &r.kind {
                RecordKind::Person { operation, .. }
                | RecordKind::Incident { operation, .. }
                | RecordKind::Missing { operation, .. } => operation.clone(),
                _ => None,
            };
            if let Some(op) = op.or_else(|| opts.operation.clone()) {
                pairs.insert((op, r.force.clone()));
            }
        }
        if let Some(op) = &opts.operation
            && records.is_empty()
        {
            pairs.insert((op.clone(), opts.default_force.clone()));
        }
        let rows: Vec<BoltType> = pairs
            .into_iter()
            .map(|(op, force)| {
                records::bolt_map(vec![("operation", op.into()), ("force", force.into())])
            })
            .collect();
        let forces: Vec<String> = forces.into_iter().collect();
        self.run_in_transaction(&[
            query(statements::FORCES).param("forces", forces),
            query(statements::OPERATIONS).param("rows", rows),
        ])
        .await
    }

    /// Splits off rows that refer to persons absent from the graph and from the file.
    async fn drop_unknown_people(
        &self,
        kind: ImportKind,
        records: Vec<Record>,
    ) -> Result<(Vec<Record>, Vec<(u64, String)>), GraphError> {
        let referenced: BTreeSet<String> = records
            .iter()
            .filter_map(|r| match &r.kind {
                RecordKind::Identifier { person_id, .. }
                | RecordKind::Missing { person_id, .. } => Some(person_id.clone()),
                _ => None,
            })
            .collect();
        if referenced.is_empty() || !matches!(kind, ImportKind::Identifiers | ImportKind::Missing) {
            return Ok((records, Vec::new()));
        }
        #[derive(serde::Deserialize)]
        struct Known {
            id: String,
        }
        let ids: Vec<String> = referenced.into_iter().collect();
        let known: BTreeSet<String> = self
            .rows::<Known>(query(statements::KNOWN_PERSONS).param("ids", ids))
            .await?
            .into_iter()
            .map(|k| k.id)
            .collect();
        let mut kept = Vec::with_capacity(records.len());
        let mut dropped = Vec::new();
        for r in records {
            let person = match &r.kind {
                RecordKind::Identifier { person_id, .. }
                | RecordKind::Missing { person_id, .. } => Some(person_id),
                _ => None,
            };
            match person {
                Some(p) if !known.contains(p) => dropped.push((
                    r.line,
                    format!("person `{p}` is not in the graph; import persons first"),
                )),
                _ => kept.push(r),
            }
        }
        Ok((kept, dropped))
    }
}

/// Splits `items` into owned pieces of at most `size` (at least 1), moving, not cloning.
fn split_owned<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let size = size.max(1);
    let mut out = Vec::with_capacity(items.len().div_ceil(size));
    let mut items = items.into_iter();
    loop {
        let piece: Vec<T> = items.by_ref().take(size).collect();
        if piece.is_empty() {
            return out;
        }
        out.push(piece);
    }
}

/// Runs CPU-bound import work (aggregating, building rows) off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, GraphError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| GraphError::InvalidInput(format!("import work failed: {e}")))?
        .map_err(GraphError::InvalidInput)
}

#[cfg(test)]
mod tests;
