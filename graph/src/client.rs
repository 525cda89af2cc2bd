//! The Neo4j connection: a pooled neo4rs `Graph`, a background monitor that tracks
//! whether Neo4j is reachable, applies migrations whenever it (re)appears, and lets
//! queries fail fast with [`GraphError::Unavailable`] while it is down.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use neo4rs::Query;
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::routing::{Access, Pools, RoutingState};
use crate::{GraphError, GraphSettings, migrations};

/// Times a write that lost a race with a concurrent transaction is run again.
const CONFLICT_RETRIES: u32 = 5;

/// Whether Neo4j is reachable, as last observed.
#[derive(Debug, Clone, PartialEq)]
pub enum Connectivity {
    /// No probe has finished yet.
    Connecting,
    /// Reachable, with migrations applied.
    Up { since: DateTime<Utc> },
    /// Unreachable; `reason` says why (logged in full, shown in `/health`).
    Down {
        reason: String,
        since: DateTime<Utc>,
    },
}

impl Connectivity {
    pub fn is_up(&self) -> bool {
        matches!(self, Connectivity::Up { .. })
    }
}

/// A cheaply clonable handle on Neo4j. Clone it; don't wrap it.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pools: Pools,
    settings: GraphSettings,
    state: watch::Sender<Connectivity>,
    wake_monitor: Notify,
    /// Statements sent to Neo4j by this client (for N+1 checks and metrics).
    statements: AtomicU64,
    /// Whether the monitor warms Neo4j's plan cache each time Neo4j comes (back) up.
    warm_plans: AtomicBool,
    /// Whether that warm-up has finished since Neo4j last came up.
    plans_warmed: AtomicBool,
}

impl GraphClient {
    /// Validates the settings and prepares the pool. No I/O happens here: toex starts
    /// even when Neo4j is down, and [`GraphClient::spawn_monitor`] connects later.
    pub fn new(settings: GraphSettings) -> Result<Self, GraphError> {
        settings.validate()?;
        let pools = Pools::new(&settings)?;
        Ok(Self::over(pools, settings, Connectivity::Connecting))
    }

    /// A handle on `pools` in `state`, with its own statement count and monitor flags.
    fn over(pools: Pools, settings: GraphSettings, state: Connectivity) -> Self {
        Self {
            inner: Arc::new(Inner {
                pools,
                settings,
                state: watch::channel(state).0,
                wake_monitor: Notify::new(),
                statements: AtomicU64::new(0),
                warm_plans: AtomicBool::new(false),
                plans_warmed: AtomicBool::new(false),
            }),
        }
    }

    /// The same pool, up, with statements of its own: for work that must not show in
    /// this handle's count (warming the plan cache beside a request that counts, a
    /// background loop beside the requests whose statements a test counts). Check this
    /// handle's [`GraphClient::connectivity`] before using it: it does not follow it.
    pub fn uncounted(&self) -> Self {
        Self::over(
            self.inner.pools.clone(),
            self.inner.settings.clone(),
            Connectivity::Up { since: Utc::now() },
        )
    }

    /// Has the monitor warm Neo4j's plan cache ([`GraphClient::warm_up`]) in the
    /// background each time Neo4j comes (back) up, and now if it is up already: for a
    /// server, whose first analyst would otherwise wait for each page's queries to be
    /// planned.
    pub fn warm_plans_on_connect(&self) {
        if !self.inner.warm_plans.swap(true, Ordering::Relaxed) {
            // Then kept fresh as the graph changes.
            tokio::spawn(self.clone().keep_plans_fresh());
        }
        if self.connectivity().is_up() {
            self.spawn_warm_up();
        }
    }

    /// Whether the plan cache has been warmed since Neo4j last came up (always false
    /// without [`GraphClient::warm_plans_on_connect`]).
    pub fn plans_warmed(&self) -> bool {
        self.inner.plans_warmed.load(Ordering::Relaxed)
    }

    fn spawn_warm_up(&self) {
        let client = self.clone();
        self.inner.plans_warmed.store(false, Ordering::Relaxed);
        tokio::spawn(async move {
            let done = client.warm_up().await;
            client.inner.plans_warmed.store(true, Ordering::Relaxed);
            tracing::info!(
                planned = done.planned,
                failed = done.failed,
                took_ms = done.took.as_millis() as u64,
                "Neo4j's plans for the analysts' pages warmed"
            );
        });
    }

    pub fn settings(&self) -> &GraphSettings {
        &self.inner.settings
    }

    /// How many statements this client has sent to Neo4j so far.
    pub fn statements_run(&self) -> u64 {
        self.inner.statements.load(Ordering::Relaxed)
    }

    /// The last observed connectivity.
    pub fn connectivity(&self) -> Connectivity {
        self.inner.state.borrow().clone()
    }

    /// Waits until Neo4j is up, or the timeout passes. Returns whether it is up.
    pub async fn wait_until_up(&self, timeout: Duration) -> bool {
        let mut rx = self.inner.state.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(Connectivity::is_up))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Starts the connectivity monitor on the current tokio runtime. It probes Neo4j
    /// every `retry_interval`, applies the idempotent migrations each time Neo4j comes
    /// (back) up, and records outages. Abort the handle to stop it.
    pub fn spawn_monitor(&self) -> JoinHandle<()> {
        let client = self.clone();
        tokio::spawn(async move { client.monitor().await })
    }

    async fn monitor(self) {
        let interval = self.inner.settings.retry_interval();
        loop {
            let was_up = self.connectivity().is_up();
            match self.probe().await {
                Ok(()) if was_up => {}
                Ok(()) => match migrations::apply(&self).await {
                    Ok(applied) => {
                        tracing::info!(uri = %self.inner.settings.display_uri(), applied, "Neo4j is up; schema migrations applied");
                        self.inner
                            .state
                            .send_replace(Connectivity::Up { since: Utc::now() });
                        if self.inner.warm_plans.load(Ordering::Relaxed) {
                            self.spawn_warm_up();
                        }
                    }
                    Err(err) => self.mark_down(&err),
                },
                Err(err) => self.mark_down(&err),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.inner.wake_monitor.notified() => {}
            }
        }
    }

    async fn probe(&self) -> Result<(), GraphError> {
        // Generous: a busy Neo4j is slow, not down. Refused connections fail at once anyway.
        let timeout = self.inner.settings.upkeep_timeout();
        let once = || async {
            self.on(Access::Read, |graph| async move {
                let mut stream = graph.execute(neo4rs::query("RETURN 1 AS ok")).await?;
                while stream.next().await?.is_some() {}
                Ok(())
            })
            .await
        };
        tokio::time::timeout(timeout, again_if_connection_failed(once))
            .await
            .map_err(|_| GraphError::Unavailable {
                reason: format!("no answer to a probe within {timeout:?}"),
            })?
    }

    fn mark_down(&self, err: &GraphError) {
        let reason = err.to_string();
        let changed = self.inner.state.send_if_modified(|state| match state {
            Connectivity::Down { reason: r, .. } if *r == reason => false,
            _ => {
                *state = Connectivity::Down {
                    reason: reason.clone(),
                    since: Utc::now(),
                };
                true
            }
        });
        if changed {
            tracing::warn!(uri = %self.inner.settings.display_uri(), %reason, "Neo4j is unavailable; graph queries will fail until it returns");
        }
    }

    /// Fails fast while Neo4j is known to be down.
    fn ensure_reachable(&self) -> Result<(), GraphError> {
        match &*self.inner.state.borrow() {
            Connectivity::Down { reason, .. } => Err(GraphError::Unavailable {
                reason: reason.clone(),
            }),
            Connectivity::Connecting => Err(GraphError::Unavailable {
                reason: "still connecting".to_owned(),
            }),
            Connectivity::Up { .. } => Ok(()),
        }
    }

    fn observe<T>(&self, result: Result<T, GraphError>) -> Result<T, GraphError> {
        // A statement that failed on its connection has the monitor probe Neo4j at once;
        // only the probe calls it down (at once, where Neo4j refuses connections). A
        // statement's own failure does not: one connection left unusable by a statement
        // stopped at a short limit is not an outage, and marking it one made the state
        // flap between up and down under such limits (missed by `wait_until_up`).
        if let Err(GraphError::Unavailable { .. }) = &result {
            self.inner.wake_monitor.notify_one();
        }
        result
    }

    /// Runs a read query and decodes every row into `T` (columns named as `T`'s fields).
    pub(crate) async fn rows<T: DeserializeOwned + Send>(
        &self,
        query: Query,
    ) -> Result<Vec<T>, GraphError> {
        self.ensure_reachable()?;
        let result = self.fetch(query, false).await;
        self.observe(result)
    }

    /// Runs a write query and decodes every row into `T`.
    /// Every write is an idempotent `MERGE`/`SET`, so one that lost a race with a
    /// concurrent transaction is run again (see [`Self::run_in_transaction`]).
    pub(crate) async fn write_rows<T: DeserializeOwned + Send>(
        &self,
        query: Query,
    ) -> Result<Vec<T>, GraphError> {
        self.ensure_reachable()?;
        let mut attempt = 0;
        loop {
            match self.fetch(query.clone(), true).await {
                Err(GraphError::Conflict { ref code, .. }) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tracing::debug!(%code, attempt, "write conflict; running it again");
                    tokio::time::sleep(Duration::from_millis(20 * (1 << attempt))).await;
                }
                other => return self.observe(other),
            }
        }
    }

    /// Runs a statement for its effect only; used by migrations before the state is `Up`,
    /// under the upkeep limit rather than the (possibly short) query limit.
    pub(crate) async fn run_unchecked(&self, query: Query) -> Result<(), GraphError> {
        let timeout = self.inner.settings.upkeep_timeout();
        let work = self.on(Access::Write, |graph| async move {
            graph.run(query).await?;
            Ok(())
        });
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| GraphError::Timeout(timeout))?
    }

    /// Runs write statements in one transaction: all of them or none. A transaction that
    /// loses a race with a concurrent one (a deadlock between two imports touching the
    /// same phone, say) is rolled back by Neo4j and run again, up to
    /// [`CONFLICT_RETRIES`] times with a short, growing pause; the statements are
    /// idempotent `MERGE`s, so a retry writes what the first try would have.
    pub(crate) async fn run_in_transaction(&self, queries: &[Query]) -> Result<(), GraphError> {
        self.ensure_reachable()?;
        let timeout = self.inner.settings.query_timeout() * (queries.len() as u32).max(1);
        let mut attempt = 0;
        loop {
            let work = self.on(Access::Write, |graph| async move {
                let mut txn = graph.start_txn().await?;
                for q in queries.iter().cloned() {
                    txn.run(q).await?;
                }
                txn.commit().await?;
                Ok(())
            });
            let result = tokio::time::timeout(timeout, work)
                .await
                .map_err(|_| GraphError::Timeout(timeout))
                .and_then(|r| r.map_err(|e: GraphError| e.with_limit(timeout)));
            match result {
                Err(GraphError::Conflict { ref code, .. }) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tracing::debug!(%code, attempt, "transaction conflict; running it again");
                    tokio::time::sleep(Duration::from_millis(20 * (1 << attempt))).await;
                }
                other => return self.observe(other),
            }
        }
    }

    async fn fetch<T: DeserializeOwned + Send>(
        &self,
        query: Query,
        write: bool,
    ) -> Result<Vec<T>, GraphError> {
        self.inner.statements.fetch_add(1, Ordering::Relaxed);
        let timeout = self.inner.settings.query_timeout();
        let started = Instant::now();
        let access = if write { Access::Write } else { Access::Read };
        let once = |query: Query| {
            self.on(access, move |graph| async move {
                let mut stream = graph.execute(query).await?;
                let answered = started.elapsed();
                let mut out = Vec::new();
                while let Some(row) = stream.next().await? {
                    out.push(row.to::<T>()?);
                }
                // What each statement cost, to explain a slow page: until Neo4j answered
                // (connection, planning, the first rows) and in all.
                tracing::debug!(
                    rows = std::any::type_name::<T>(),
                    count = out.len(),
                    answered_ms = answered.as_secs_f64() * 1e3,
                    elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
                    "statement"
                );
                Ok(out)
            })
        };
        // Boxed: the retry doubles the statement's future, and every resolver's future
        // holds one.
        let work: Pin<Box<dyn Future<Output = Result<Vec<T>, GraphError>> + Send + '_>> =
            Box::pin(again_if_connection_failed(move || once(query.clone())));
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| GraphError::Timeout(timeout))?
            .map_err(|e: GraphError| e.with_limit(timeout))
    }
}

impl GraphClient {
    /// Runs `work` on the pool for `access` and tells the pools how it ended (see
    /// [`Pools::done`]). Boxed: every statement's future holds one, and every resolver's
    /// future holds those.
    fn on<'a, T, W>(
        &'a self,
        access: Access,
        work: impl FnOnce(neo4rs::Graph) -> W + Send + 'a,
    ) -> Pin<Box<dyn Future<Output = Result<T, GraphError>> + Send + 'a>>
    where
        W: Future<Output = Result<T, GraphError>> + Send + 'a,
        T: Send + 'a,
    {
        Box::pin(async move {
            let picked = self.inner.pools.pick(access).await?;
            let result = work(picked.graph.clone()).await;
            self.inner.pools.done(&picked, access, &result);
            result
        })
    }

    /// How many servers the routing table names in each role; `None` for a `bolt://`
    /// URI, which names the one server.
    pub fn routing(&self) -> Option<RoutingState> {
        self.inner.pools.routing()
    }
}

/// Runs `attempt`, and once more where it failed on its connection: one pooled connection
/// can be left unusable (a statement stopped by its time limit in the middle of an
/// exchange) and is dropped when it fails; that is not an outage. A Neo4j that is away
/// fails the second time too.
async fn again_if_connection_failed<T, F>(attempt: impl Fn() -> F) -> Result<T, GraphError>
where
    F: Future<Output = Result<T, GraphError>>,
{
    match attempt().await {
        Err(GraphError::Unavailable { reason }) => {
            tracing::debug!(%reason, "a connection failed; tried once more");
            attempt().await
        }
        other => other,
    }
}
