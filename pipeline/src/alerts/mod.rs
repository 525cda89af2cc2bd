//! Standing orders: every analyst's saved searches and watched identifiers, checked
//! against each new batch of material as it is indexed. A saved search runs over the
//! batch's documents only (its query with a document-id filter, in the compartment it
//! was saved in); a watch is a key look-up among the batch's extracted mentions, which
//! are normalised, so `07700 900001` and `+447700900001` are one phone. Each match is an
//! alert, stored in the graph and sent to the owner's live subscriptions. Imports and
//! re-linking passes alert on the relationships they write (`links`); alerts raised by
//! another process (`toex import`, another replica) reach this one's subscribers by a
//! short poll of the graph.

mod links;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

pub use links::{alert_on_import, watched_keys};

use sha2::{Digest, Sha256};
use toex_graph::{AlertRow, SavedSearchRow, Scope, WatchRow};
use toex_indexer::{NewDocument, SearchIndex, SearchRequest, SearchSort, StandingQuery};
use tokio::sync::broadcast;

use crate::{PipelineError, Services, WhileGraphDown};

/// Most alerts one saved search raises on one batch.
const MAX_ALERTS_PER_SEARCH: usize = 100;

/// The standing orders in memory, and the live channel of new alerts.
pub struct Alerts {
    /// `None` until first needed and after any change: read again from the graph.
    orders: RwLock<Option<Arc<Orders>>>,
    /// Bumped by every change, so orders read before a change are not kept after it.
    generation: AtomicU64,
    live: broadcast::Sender<Arc<AlertRow>>,
    /// Ids of the alerts sent lately, so one read again from the graph is not sent twice.
    sent: Mutex<Sent>,
}

/// The last [`SENT_KEPT`] alert ids sent live.
#[derive(Default)]
struct Sent {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

/// How many sent alert ids are remembered (more than any poll window holds).
const SENT_KEPT: usize = 20_000;

/// How often the graph is read for alerts other processes raised.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(2);

/// How far each read reaches back before the newest alert already seen: an alert is
/// stamped before its transaction commits, so one committed late is still found.
const FOLLOW_OVERLAP: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// Most alerts read by one poll.
const FOLLOW_LIMIT: i64 = 1_000;

/// The standing orders as the check uses them, each with the compartment it was made in
/// (an order whose compartment no longer parses is left out), a saved search parsed once
/// for percolation.
#[derive(Default)]
struct Orders {
    searches: Vec<(SavedSearchRow, Scope, StandingQuery)>,
    /// By watched key.
    watches: HashMap<String, Vec<(WatchRow, Scope)>>,
}

impl Default for Alerts {
    fn default() -> Self {
        Self {
            orders: RwLock::new(None),
            generation: AtomicU64::new(0),
            live: broadcast::channel(1024).0,
            sent: Mutex::default(),
        }
    }
}

impl Alerts {
    /// New alerts as they are raised (every owner's; subscribers keep their own).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<AlertRow>> {
        self.live.subscribe()
    }

    /// Saved searches or watches changed: read them again before the next batch.
    pub fn changed(&self) {
        let mut orders = self.orders.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        *orders = None;
    }

    /// Sends an alert to the live subscribers unless it was sent lately.
    fn send(&self, alert: AlertRow) {
        {
            let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
            if !sent.ids.insert(alert.id.clone()) {
                return;
            }
            sent.order.push_back(alert.id.clone());
            if sent.order.len() > SENT_KEPT
                && let Some(old) = sent.order.pop_front()
            {
                sent.ids.remove(&old);
            }
        }
        // No subscriber is no error.
        let _ = self.live.send(Arc::new(alert));
    }

    fn cached(&self) -> Option<Arc<Orders>> {
        self.orders
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The compartment a standing order was made in.
fn scope_of(forces: &[String], operations: &Option<Vec<String>>) -> Option<Scope> {
    Scope::new(forces, operations.as_deref().unwrap_or(&[]), false).ok()
}

/// The same alert for the same subject and document, however often it is ingested.
fn alert_id(subject: &str, document: &str) -> String {
    let digest = Sha256::digest(format!("{subject}\u{0}{document}").as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether material of `operation` crosses out of the case an order was made for.
fn cross_case(case: &Option<String>, operation: Option<&str>) -> bool {
    case.as_ref().is_some_and(|c| operation != Some(c.as_str()))
}

impl Services {
    /// Keeps a saved search and has the next batch checked against it.
    pub async fn save_search(&self, row: &SavedSearchRow) -> Result<(), PipelineError> {
        self.graph.save_search(row).await?;
        self.alerts.changed();
        Ok(())
    }

    /// Removes `owner`'s saved search `id`; whether there was one.
    pub async fn delete_saved_search(&self, owner: &str, id: &str) -> Result<bool, PipelineError> {
        let deleted = self.graph.delete_saved_search(owner, id).await?;
        self.alerts.changed();
        Ok(deleted)
    }

    /// Keeps a watch and has the next batch checked against it.
    pub async fn add_watch(&self, row: &WatchRow) -> Result<(), PipelineError> {
        self.graph.add_watch(row).await?;
        self.alerts.changed();
        Ok(())
    }

    /// Removes `owner`'s watch `id`; whether there was one.
    pub async fn delete_watch(&self, owner: &str, id: &str) -> Result<bool, PipelineError> {
        let deleted = self.graph.delete_watch(owner, id).await?;
        self.alerts.changed();
        Ok(deleted)
    }

    async fn orders(&self) -> Result<Arc<Orders>, PipelineError> {
        if let Some(orders) = self.alerts.cached() {
            return Ok(orders);
        }
        let generation = self.alerts.generation.load(Ordering::SeqCst);
        let rows = self.ingest_graph.saved_searches().await?;
        let index = self.index.clone();
        // Each saved search parsed once, on the CPU pool, until the orders change.
        let searches = self
            .cpu
            .run(move || {
                (rows.into_iter())
                    .filter_map(|s| {
                        let scope = scope_of(&s.forces, &s.operations)?;
                        let request = SearchRequest::new(s.query.clone(), scope.clone());
                        match index.standing_query(&request) {
                            Ok(query) => Some((s, scope, query)),
                            Err(e) => {
                                tracing::warn!(search = %s.id, error = %e, "a saved search does not parse");
                                None
                            }
                        }
                    })
                    .collect()
            })
            .await?;
        let watches = links::watches_by_key(self.ingest_graph.as_ref()).await?;
        let orders = Arc::new(Orders { searches, watches });
        let mut cached = self
            .alerts
            .orders
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if self.alerts.generation.load(Ordering::SeqCst) == generation {
            *cached = Some(orders.clone());
        }
        Ok(orders)
    }

    /// Checks newly indexed documents (`(id, document)`) against every standing order,
    /// stores the alerts and sends them live. Never fails the ingest: with
    /// [`WhileGraphDown::Wait`] a Neo4j outage is waited out (alert ids are stable, so
    /// a second try stores each alert once); any other problem is logged and the batch
    /// goes on unalerted.
    pub(crate) async fn raise_alerts(
        &self,
        arrived: Vec<(String, NewDocument)>,
        graph_down: WhileGraphDown,
    ) {
        if arrived.is_empty() {
            return;
        }
        let arrived = Arc::new(arrived);
        let mut pause = crate::ingest::GraphPause::new();
        loop {
            match self.try_raise_alerts(&arrived).await {
                Ok(()) => return,
                Err(e) if e.is_graph_outage() && graph_down == WhileGraphDown::Wait => {
                    tracing::debug!(error = %e, "alerts wait for Neo4j");
                    pause.wait().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "new material was not checked against saved searches and watches");
                    return;
                }
            }
        }
    }

    async fn try_raise_alerts(
        &self,
        arrived: &Arc<Vec<(String, NewDocument)>>,
    ) -> Result<(), PipelineError> {
        let orders = self.orders().await?;
        if orders.searches.is_empty() && orders.watches.is_empty() {
            return Ok(());
        }
        let index = self.index.clone();
        let found = orders.clone();
        let arrived = arrived.clone();
        let alerts = self
            .cpu
            .run(move || {
                let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let mut out = watch_alerts(&found, &arrived, &now);
                out.extend(search_alerts(&index, &found, &arrived, &now));
                out
            })
            .await?;
        if alerts.is_empty() {
            return Ok(());
        }
        self.send_alerts(alerts).await
    }

    /// The live feed's catch-up: every [`FOLLOW_EVERY`], the alerts raised since the
    /// last read by any process (`toex import`, another replica, this one) are read from
    /// the graph and those not sent yet go to this process's subscribers. A Neo4j outage
    /// just waits for the next turn.
    pub async fn follow_alerts(self) {
        let mut newest = chrono::Utc::now();
        // Its statements are the process's own, not any request's.
        let graph = self.graph.uncounted();
        loop {
            tokio::time::sleep(FOLLOW_EVERY).await;
            if !self.graph.connectivity().is_up() {
                continue;
            }
            let since =
                (newest - FOLLOW_OVERLAP).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let rows = match graph.alerts_since(&since, FOLLOW_LIMIT).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::debug!(error = %e, "the alert feed waits");
                    continue;
                }
            };
            let full = rows.len() as i64 >= FOLLOW_LIMIT;
            for row in rows {
                if let Ok(at) = chrono::DateTime::parse_from_rfc3339(&row.created_at) {
                    let at = at.with_timezone(&chrono::Utc);
                    // A full page moves on past its last row, overlap or not.
                    newest = if full {
                        at + FOLLOW_OVERLAP
                    } else {
                        newest.max(at)
                    };
                }
                self.alerts.send(row);
            }
        }
    }
}

/// Watches whose key a document mentions, in the watch's compartment.
fn watch_alerts(orders: &Orders, arrived: &[(String, NewDocument)], now: &str) -> Vec<AlertRow> {
    let mut out = Vec::new();
    for (id, doc) in arrived {
        let mut seen = std::collections::HashSet::new();
        for m in &doc.mentions {
            let key = m.found.kind.key(&m.found.value);
            for (w, scope) in orders.watches.get(&key).into_iter().flatten() {
                let in_scope = scope.contains(&doc.force, doc.operation.as_deref());
                if !in_scope || !seen.insert(w.id.clone()) {
                    continue;
                }
                out.push(AlertRow {
                    id: alert_id(&w.id, id),
                    owner: w.owner.clone(),
                    kind: "WATCH".to_owned(),
                    subject_id: w.id.clone(),
                    subject: w.label.clone(),
                    document_id: Some(id.clone()),
                    title: doc.title.clone(),
                    force: doc.force.clone(),
                    document_operation: doc.operation.clone(),
                    segment: m.segment.map(i64::from),
                    why: format!(
                        "mentions {} (watched as “{}”), written “{}”",
                        m.found.value, w.label, m.found.text
                    ),
                    watched_key: Some(key.clone()),
                    cross_case: cross_case(&w.operation, doc.operation.as_deref()),
                    relationship: None,
                    related: None,
                    source: Some("ingest".to_owned()),
                    created_at: now.to_owned(),
                    read: false,
                });
            }
        }
    }
    out
}

/// Saved searches run over the batch's documents, each in its own compartment.
fn search_alerts(
    index: &SearchIndex,
    orders: &Orders,
    arrived: &[(String, NewDocument)],
    now: &str,
) -> Vec<AlertRow> {
    let ids: Vec<String> = arrived.iter().map(|(id, _)| id.clone()).collect();
    let docs: HashMap<&str, &NewDocument> =
        arrived.iter().map(|(id, d)| (id.as_str(), d)).collect();
    // Percolated first: the few saved searches that match the batch are searched in full
    // (for the passage and segment).
    let batch: Vec<&NewDocument> = arrived.iter().map(|(_, d)| d).collect();
    let standing: Vec<&StandingQuery> = orders.searches.iter().map(|(_, _, q)| q).collect();
    let matching = match index.percolate(&batch, &standing) {
        Ok(matching) => matching,
        Err(e) => {
            tracing::warn!(error = %e, "the batch could not be checked against saved searches");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (s, scope, _) in matching.into_iter().map(|i| &orders.searches[i]) {
        let request = SearchRequest {
            documents: ids.clone(),
            limit: ids.len().min(MAX_ALERTS_PER_SEARCH),
            sort: SearchSort::Newest,
            ..SearchRequest::new(s.query.clone(), scope.clone())
        };
        let hits = match index.search(&request) {
            Ok(results) => results.hits,
            Err(e) => {
                tracing::warn!(search = %s.id, error = %e, "a saved search could not run");
                continue;
            }
        };
        for hit in hits {
            let Some(doc) = docs.get(hit.id.as_str()) else {
                continue;
            };
            let segment = hit.segments.first();
            let passage = segment.map_or(&hit.snippet.text, |m| &m.text.text);
            out.push(AlertRow {
                id: alert_id(&s.id, &hit.id),
                owner: s.owner.clone(),
                kind: "SEARCH".to_owned(),
                subject_id: s.id.clone(),
                subject: s.name.clone(),
                document_id: Some(hit.id.clone()),
                title: doc.title.clone(),
                force: doc.force.clone(),
                document_operation: doc.operation.clone(),
                segment: segment.and_then(|m| i64::try_from(m.index).ok()),
                why: format!("matches “{}”: {}", s.query, passage.trim()),
                watched_key: None,
                cross_case: cross_case(&s.operation, doc.operation.as_deref()),
                relationship: None,
                related: None,
                source: Some("ingest".to_owned()),
                created_at: now.to_owned(),
                read: false,
            });
        }
    }
    out
}
