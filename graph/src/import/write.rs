//! Writing parsed records: nodes first, then relationships, in batched transactions;
//! call records through the phone-bucket schedule with two writers.

use super::*;

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
        let mut touched = opts.watched.as_ref().map_or_else(Vec::new, |watched| {
            touched::touched(&records, watched, opts.operation.as_deref())
        });
        let written = self
            .write_records(kind, records, &source, opts, progress)
            .await?;
        let dropped: HashSet<u64> = written.missing.iter().map(|(line, _)| *line).collect();
        touched.retain(|t| !dropped.contains(&t.line));
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
            touched,
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
        let (records, foreign) = self.drop_foreign_operations(records, opts).await?;
        self.ensure_scaffolding(&records, opts).await?;
        let (records, mut missing) = self.drop_unknown_people(kind, records).await?;
        missing.extend(foreign);
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
        if let (Some(op), Some(force)) = (&opts.operation, &opts.default_force)
            && records.is_empty()
        {
            pairs.insert((op.clone(), force.clone()));
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

    /// Splits off rows that would join an operation another force created: an operation
    /// belongs to the force that made it, and rows of another force never join it (nor
    /// tie it to their force).
    async fn drop_foreign_operations(
        &self,
        records: Vec<Record>,
        opts: &ImportOptions,
    ) -> Result<(Vec<Record>, Vec<(u64, String)>), GraphError> {
        let operation_of = |r: &Record| match &r.kind {
            RecordKind::Person { operation, .. }
            | RecordKind::Incident { operation, .. }
            | RecordKind::Missing { operation, .. } => {
                operation.clone().or_else(|| opts.operation.clone())
            }
            _ => None,
        };
        let named: BTreeSet<String> = records.iter().filter_map(operation_of).collect();
        if named.is_empty() {
            return Ok((records, Vec::new()));
        }
        #[derive(serde::Deserialize)]
        struct Owner {
            id: String,
            force: Option<String>,
        }
        let ids: Vec<String> = named.into_iter().collect();
        let owners: HashMap<String, String> = self
            .rows::<Owner>(query(statements::OPERATION_OWNERS).param("ids", ids))
            .await?
            .into_iter()
            .filter_map(|o| Some((o.id, o.force?)))
            .collect();
        let mut kept = Vec::with_capacity(records.len());
        let mut dropped = Vec::new();
        for r in records {
            match operation_of(&r).and_then(|op| Some((owners.get(&op)?.clone(), op))) {
                Some((owner, op)) if owner != r.force => dropped.push((
                    r.line,
                    format!(
                        "operation `{op}` belongs to {owner}; a row of {} cannot join it",
                        r.force
                    ),
                )),
                _ => kept.push(r),
            }
        }
        Ok((kept, dropped))
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
pub(super) fn split_owned<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
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
