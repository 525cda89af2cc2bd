//! Where statements go: one pool for a `bolt://` URI; for `neo4j://` the cluster's routing
//! table (reads spread over its readers, writes to its leader), refreshed when it expires
//! and when a server in it fails.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use neo4rs::{ConfigBuilder, Graph};
use serde::Deserialize;

use crate::{GraphError, GraphSettings};

/// What a statement does, which decides the server it goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// The connection pools of one client.
#[derive(Clone)]
pub(crate) enum Pools {
    /// `bolt://`: every statement to the one server named.
    Direct(Graph),
    /// `neo4j://`: statements to the servers the cluster's routing table names.
    Routed(Arc<Router>),
}

/// The pool chosen for a statement, and the server behind it where routing chose one.
pub(crate) struct Picked {
    pub graph: Graph,
    server: Option<Arc<str>>,
}

/// How many servers the routing table last named in each role (no addresses: `/health`
/// shows this without authentication).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutingState {
    pub routers: usize,
    pub readers: usize,
    pub writers: usize,
}

impl Pools {
    /// Prepares the pools; no I/O (the routing table is first asked for by the first
    /// statement).
    pub(crate) fn new(settings: &GraphSettings) -> Result<Self, GraphError> {
        let (scheme, address) =
            settings
                .uri
                .split_once("://")
                .ok_or_else(|| GraphError::Config {
                    setting: "neo4j.uri",
                    reason: format!("`{}` is not a URI", settings.uri),
                })?;
        let direct = match scheme {
            "neo4j" => "bolt",
            "neo4j+s" => "bolt+s",
            "neo4j+ssc" => "bolt+ssc",
            _ => return Ok(Pools::Direct(pool(settings, &settings.uri)?)),
        };
        Ok(Pools::Routed(Arc::new(Router {
            settings: settings.clone(),
            scheme: direct,
            seed: with_port(address.trim_end_matches('/')).into(),
            table: RwLock::new(Table::default()),
            refreshing: tokio::sync::Mutex::new(()),
            pools: Mutex::new(HashMap::new()),
            turn: AtomicUsize::new(0),
            last_write: Mutex::new(None),
        })))
    }

    /// The pool for a statement of this kind, asking for the routing table first where
    /// it has expired or names no server for it.
    pub(crate) async fn pick(&self, access: Access) -> Result<Picked, GraphError> {
        match self {
            Pools::Direct(graph) => Ok(Picked {
                graph: graph.clone(),
                server: None,
            }),
            Pools::Routed(router) => router.pick(access).await,
        }
    }

    /// Notes how a statement on `picked` ended: a write opens the read-your-writes
    /// window; a server that failed (unreachable, or no longer the leader) leaves the
    /// table until the next refresh, which follows at once.
    pub(crate) fn done<T>(&self, picked: &Picked, access: Access, result: &Result<T, GraphError>) {
        let (Pools::Routed(router), Some(server)) = (self, &picked.server) else {
            return;
        };
        match result {
            Err(GraphError::Unavailable { reason }) => router.forget(server, reason),
            Ok(_) if access == Access::Write => {
                *router.last_write.lock().expect("last write") = Some(Instant::now());
            }
            _ => {}
        }
    }

    pub(crate) fn routing(&self) -> Option<RoutingState> {
        match self {
            Pools::Direct(_) => None,
            Pools::Routed(router) => {
                let table = router.table.read().expect("routing table");
                Some(RoutingState {
                    routers: table.routers.len(),
                    readers: table.readers.len(),
                    writers: table.writers.len(),
                })
            }
        }
    }
}

/// One pool for `uri`, with the client's limits.
fn pool(settings: &GraphSettings, uri: &str) -> Result<Graph, GraphError> {
    let config = ConfigBuilder::default()
        .uri(uri)
        .user(settings.user.as_str())
        .password(settings.password.as_str())
        .max_connections(settings.max_connections)
        // neo4rs applies this to connecting and to every response it waits for, the
        // probe's and the migrations' included: the upkeep limit (at least 10 s), not the
        // query limit, which every statement gets from its own timeout. With the query
        // limit here, a short one (1 ms) failed every connection made while the machine
        // was busy, and Neo4j never came up for that client.
        .connection_timeout(settings.upkeep_timeout())
        .fetch_size(500)
        .build()?;
    Ok(Graph::connect(config)?)
}

/// `host` alone means Bolt's port.
fn with_port(address: &str) -> String {
    let has_port = match address.rsplit_once(':') {
        Some((host, _)) => !host.ends_with(']') || host.starts_with('['),
        None => false,
    } && !address.ends_with(']');
    if has_port {
        address.to_owned()
    } else {
        format!("{address}:7687")
    }
}

/// The routing table and a pool per server it names.
pub(crate) struct Router {
    settings: GraphSettings,
    /// The direct scheme each server is reached with (`bolt`, `bolt+s`, `bolt+ssc`).
    scheme: &'static str,
    /// The address in the URI: asked for the table when no router in it answers.
    seed: Arc<str>,
    table: RwLock<Table>,
    /// One refresh at a time; the others wait for its table.
    refreshing: tokio::sync::Mutex<()>,
    pools: Mutex<HashMap<Arc<str>, Graph>>,
    /// Spreads reads over the readers in turn.
    turn: AtomicUsize,
    last_write: Mutex<Option<Instant>>,
}

impl Router {
    async fn pick(&self, access: Access) -> Result<Picked, GraphError> {
        // The stable driver API carries no bookmarks, so a reader may not have applied
        // this process's latest write yet: reads follow the leader for a while after one.
        let window = Duration::from_millis(self.settings.read_own_writes_ms);
        let access = match *self.last_write.lock().expect("last write") {
            Some(at) if access == Access::Read && at.elapsed() < window => Access::Write,
            _ => access,
        };
        if !self
            .table
            .read()
            .expect("table")
            .serves(access, Instant::now())
        {
            self.refresh(access).await?;
        }
        let server = {
            let table = self.table.read().expect("table");
            let servers = table.servers(access);
            if servers.is_empty() {
                return Err(GraphError::Unavailable {
                    reason: format!(
                        "the routing table names no {} (a leader election may be under way)",
                        access.role()
                    ),
                });
            }
            let turn = match access {
                Access::Write => 0,
                Access::Read => self.turn.fetch_add(1, Ordering::Relaxed),
            };
            servers[turn % servers.len()].clone()
        };
        Ok(Picked {
            graph: self.pool_for(&server)?,
            server: Some(server),
        })
    }

    fn pool_for(&self, server: &Arc<str>) -> Result<Graph, GraphError> {
        let mut pools = self.pools.lock().expect("pools");
        if let Some(graph) = pools.get(server) {
            return Ok(graph.clone());
        }
        let graph = pool(&self.settings, &format!("{}://{server}", self.scheme))?;
        pools.insert(server.clone(), graph.clone());
        Ok(graph)
    }

    /// Asks the routers the table names, then the URI's address, for a new table.
    async fn refresh(&self, access: Access) -> Result<(), GraphError> {
        let _one = self.refreshing.lock().await;
        if self
            .table
            .read()
            .expect("table")
            .serves(access, Instant::now())
        {
            return Ok(()); // another statement refreshed it while this one waited
        }
        let mut routers = self.table.read().expect("table").routers.clone();
        if !routers.contains(&self.seed) {
            routers.push(self.seed.clone());
        }
        let mut failures = Vec::new();
        for router in routers {
            match self.ask(&router).await {
                Ok(table) => {
                    tracing::debug!(
                        %router,
                        routers = table.routers.len(),
                        readers = table.readers.len(),
                        writers = table.writers.len(),
                        "Neo4j routing table refreshed"
                    );
                    *self.table.write().expect("table") = table;
                    return Ok(());
                }
                Err(err) => {
                    self.pools.lock().expect("pools").remove(&router);
                    failures.push(format!("{router}: {err}"));
                }
            }
        }
        Err(GraphError::Unavailable {
            reason: format!("no router gave a routing table ({})", failures.join("; ")),
        })
    }

    async fn ask(&self, router: &Arc<str>) -> Result<Table, GraphError> {
        let graph = self.pool_for(router)?;
        let timeout = self.settings.upkeep_timeout();
        let query = neo4rs::query(
            "CALL dbms.routing.getRoutingTable({address: $address}) YIELD ttl, servers \
             RETURN ttl, servers",
        )
        .param("address", self.seed.as_ref());
        let work = async {
            let mut stream = graph.execute_read(query).await?;
            let row = stream.next().await?.ok_or_else(|| {
                GraphError::Decode("dbms.routing.getRoutingTable returned no row".to_owned())
            })?;
            while stream.next().await?.is_some() {}
            Ok::<_, GraphError>(row.to::<TableRow>()?)
        };
        let row = tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| GraphError::Timeout(timeout))??;
        Ok(Table::from_row(row, Instant::now()))
    }

    fn forget(&self, server: &Arc<str>, reason: &str) {
        tracing::debug!(%server, %reason, "a Neo4j server failed; it leaves the routing table until the next refresh");
        self.table.write().expect("table").forget(server);
        self.pools.lock().expect("pools").remove(server);
    }
}

impl Access {
    fn role(self) -> &'static str {
        match self {
            Access::Read => "reader",
            Access::Write => "writer",
        }
    }
}

/// One row of `dbms.routing.getRoutingTable`.
#[derive(Debug, Deserialize)]
struct TableRow {
    /// Seconds the table may be used.
    ttl: i64,
    servers: Vec<ServerRow>,
}

#[derive(Debug, Deserialize)]
struct ServerRow {
    addresses: Vec<String>,
    /// `ROUTE`, `READ` or `WRITE`.
    role: String,
}

/// The servers in each role, and until when the list holds.
#[derive(Debug, Clone, Default)]
struct Table {
    routers: Vec<Arc<str>>,
    readers: Vec<Arc<str>>,
    writers: Vec<Arc<str>>,
    expires: Option<Instant>,
}

impl Table {
    fn from_row(row: TableRow, now: Instant) -> Self {
        let mut table = Table {
            expires: Some(now + Duration::from_secs(row.ttl.clamp(0, 86_400) as u64)),
            ..Table::default()
        };
        for server in row.servers {
            let list = match server.role.as_str() {
                "ROUTE" => &mut table.routers,
                "READ" => &mut table.readers,
                "WRITE" => &mut table.writers,
                _ => continue,
            };
            list.extend(server.addresses.iter().map(|a| Arc::from(a.as_str())));
        }
        table
    }

    /// The servers for `access`: readers, or the leader where the table names none.
    fn servers(&self, access: Access) -> &[Arc<str>] {
        match access {
            Access::Write => &self.writers,
            Access::Read if self.readers.is_empty() => &self.writers,
            Access::Read => &self.readers,
        }
    }

    /// Whether the table may still be used for `access`.
    fn serves(&self, access: Access, now: Instant) -> bool {
        self.expires.is_some_and(|at| now < at) && !self.servers(access).is_empty()
    }

    fn forget(&mut self, server: &str) {
        for list in [&mut self.routers, &mut self.readers, &mut self.writers] {
            list.retain(|s| s.as_ref() != server);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ttl: i64, roles: &[(&str, &[&str])]) -> TableRow {
        TableRow {
            ttl,
            servers: roles
                .iter()
                .map(|(role, addresses)| ServerRow {
                    role: (*role).to_owned(),
                    addresses: addresses.iter().map(|a| (*a).to_owned()).collect(),
                })
                .collect(),
        }
    }

    fn router(read_own_writes_ms: u64, table: Table) -> Router {
        let settings = GraphSettings {
            uri: "neo4j://core-1:7687".to_owned(),
            read_own_writes_ms,
            ..GraphSettings::default()
        };
        let Pools::Routed(router) = Pools::new(&settings).unwrap() else {
            panic!("a neo4j:// URI is routed");
        };
        *router.table.write().unwrap() = table;
        Arc::into_inner(router).unwrap()
    }

    fn cluster(now: Instant) -> Table {
        Table::from_row(
            row(
                300,
                &[
                    ("WRITE", &["core-1:7687"]),
                    ("READ", &["core-2:7687", "core-3:7687", "replica-1:7687"]),
                    ("ROUTE", &["core-1:7687", "core-2:7687", "core-3:7687"]),
                    ("SOMETHING_NEW", &["x:1"]),
                ],
            ),
            now,
        )
    }

    #[test]
    fn the_table_sorts_servers_by_role_and_holds_for_its_ttl() {
        let now = Instant::now();
        let table = cluster(now);
        assert_eq!(table.writers.len(), 1);
        assert_eq!(table.readers.len(), 3);
        assert_eq!(table.routers.len(), 3);
        assert!(table.serves(Access::Write, now + Duration::from_secs(299)));
        assert!(!table.serves(Access::Read, now + Duration::from_secs(300)));
        assert!(!Table::default().serves(Access::Read, now), "none yet");
    }

    #[test]
    fn a_failed_server_leaves_every_role_and_a_table_without_a_leader_serves_no_writes() {
        let now = Instant::now();
        let mut table = cluster(now);
        table.forget("core-1:7687");
        assert!(table.writers.is_empty() && table.routers.len() == 2);
        assert!(!table.serves(Access::Write, now), "asks again for a leader");
        assert!(table.serves(Access::Read, now), "reads go on meanwhile");
        // A table of a leader alone (a single server) sends reads to it.
        let single = Table::from_row(row(300, &[("WRITE", &["solo:7687"])]), now);
        assert_eq!(single.servers(Access::Read)[0].as_ref(), "solo:7687");
    }

    #[tokio::test]
    async fn reads_take_the_readers_in_turn_and_writes_the_leader() {
        let router = router(0, cluster(Instant::now()));
        let mut read = Vec::new();
        for _ in 0..6 {
            read.push(router.pick(Access::Read).await.unwrap().server.unwrap());
        }
        let read: Vec<&str> = read.iter().map(|s| s.as_ref()).collect();
        assert_eq!(
            read,
            [
                "core-2:7687",
                "core-3:7687",
                "replica-1:7687",
                "core-2:7687",
                "core-3:7687",
                "replica-1:7687"
            ]
        );
        let write = router.pick(Access::Write).await.unwrap();
        assert_eq!(write.server.as_deref(), Some("core-1:7687"));
    }

    #[tokio::test]
    async fn reads_follow_the_leader_for_a_while_after_a_write_of_this_process() {
        let router = router(60_000, cluster(Instant::now()));
        let pools = Pools::Routed(Arc::new(router));
        let before = pools.pick(Access::Read).await.unwrap();
        assert_ne!(before.server.as_deref(), Some("core-1:7687"));
        let write = pools.pick(Access::Write).await.unwrap();
        pools.done(&write, Access::Write, &Ok::<(), GraphError>(()));
        let after = pools.pick(Access::Read).await.unwrap();
        assert_eq!(after.server.as_deref(), Some("core-1:7687"));
        // A failed leader leaves the table, with its pool.
        let failed = Err::<(), _>(GraphError::Unavailable {
            reason: "connection refused".to_owned(),
        });
        pools.done(&after, Access::Read, &failed);
        let state = pools.routing().unwrap();
        assert_eq!((state.writers, state.readers, state.routers), (0, 3, 2));
    }

    #[test]
    fn an_address_without_a_port_gets_bolts() {
        assert_eq!(
            with_port("graph.force.police.uk"),
            "graph.force.police.uk:7687"
        );
        assert_eq!(with_port("10.0.0.5:7688"), "10.0.0.5:7688");
        assert_eq!(with_port("[::1]"), "[::1]:7687");
        assert_eq!(with_port("[::1]:7000"), "[::1]:7000");
    }
}
