//! Alerts on relationships rather than documents: what an import wrote about a watched
//! identifier or person (a new user of a watched phone, a watched person in a new
//! incident or missing episode, new calls to a watched phone), and the documents a
//! re-linking pass newly links to a watched person. Each is a key look-up among the
//! written records or the found names; nothing is searched again.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use toex_extract::{EntityKind, Mention};
use toex_graph::import::ImportReport;
use toex_graph::{AlertRow, GraphClient, Scope, WatchRow};

use super::{alert_id, cross_case, scope_of};
use crate::graph::IngestGraph;
use crate::{PipelineError, Services};

/// Every key anyone watches, for an import to report what it writes about them.
pub async fn watched_keys(graph: &GraphClient) -> Result<Arc<HashSet<String>>, PipelineError> {
    let keys = graph.watches(None).await?.into_iter().map(|w| w.key);
    Ok(Arc::new(keys.collect()))
}

/// Every watch by key, each with the compartment it was made in.
pub(super) async fn watches_by_key(
    graph: &dyn IngestGraph,
) -> Result<HashMap<String, Vec<(WatchRow, Scope)>>, PipelineError> {
    let mut by_key: HashMap<String, Vec<(WatchRow, Scope)>> = HashMap::new();
    for w in graph.watches().await? {
        if let Some(scope) = scope_of(&w.forces, &w.operations) {
            by_key.entry(w.key.clone()).or_default().push((w, scope));
        }
    }
    Ok(by_key)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Stores an alert for each watch (within its compartment) on a key the import's
/// written records touch ([`ImportReport::touched`]; the import must have been given
/// the watched keys). Serving processes pick them up for their live feeds. Importing the
/// same file again raises nothing new. How many alerts there were.
pub async fn alert_on_import(
    graph: &GraphClient,
    report: &ImportReport,
) -> Result<usize, PipelineError> {
    if report.touched.is_empty() {
        return Ok(0);
    }
    let watches = watches_by_key(graph).await?;
    let file = file_name(&report.file);
    let now = now();
    let mut alerts = Vec::new();
    for t in &report.touched {
        for (w, scope) in watches.get(&t.key).into_iter().flatten() {
            if !scope.contains(&t.force, t.operation.as_deref()) {
                continue;
            }
            let other = t.other.as_deref().unwrap_or("");
            let what = format!("{}\u{0}{}\u{0}{}", report.source, t.relationship, other);
            alerts.push(AlertRow {
                id: alert_id(&w.id, &what),
                owner: w.owner.clone(),
                kind: "WATCH".to_owned(),
                subject_id: w.id.clone(),
                subject: w.label.clone(),
                document_id: None,
                title: format!("{file}, line {}", t.line),
                force: t.force.clone(),
                document_operation: t.operation.clone(),
                segment: None,
                why: format!("“{}” {} (imported from {file})", w.label, t.what),
                watched_key: Some(t.key.clone()),
                cross_case: cross_case(&w.operation, t.operation.as_deref()),
                relationship: Some(t.relationship.to_owned()),
                related: t.other.clone(),
                source: Some(report.source.clone()),
                created_at: now.clone(),
                read: false,
            });
        }
    }
    graph.record_alerts(&alerts).await?;
    Ok(alerts.len())
}

/// The name of a file, for an alert's title.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
}

impl Services {
    /// Before a re-linking pass writes the person mentions it found (`(document, force,
    /// mentions)`), the alerts for the watched persons among them that the document was
    /// not linked to yet; stored and sent after the write succeeds.
    pub(crate) async fn relink_alerts(
        &self,
        found: &[(String, String, Vec<Mention>)],
    ) -> Result<Vec<AlertRow>, PipelineError> {
        let orders = self.orders().await?;
        if orders.watches.is_empty() {
            return Ok(Vec::new());
        }
        // The first mention of each watched person in each document.
        let mut first: HashMap<(String, String), &Mention> = HashMap::new();
        for (doc, _, mentions) in found {
            for m in mentions {
                let key = EntityKind::Person.key(&m.found.value);
                if m.found.kind == EntityKind::Person && orders.watches.contains_key(&key) {
                    first
                        .entry((doc.clone(), m.found.value.clone()))
                        .or_insert(m);
                }
            }
        }
        let pairs: Vec<(String, String)> = first.keys().cloned().collect();
        let now = now();
        let mut alerts = Vec::new();
        for new in self.graph.unlinked_persons(&pairs).await? {
            let Some(m) = first.get(&(new.document.clone(), new.person.clone())) else {
                continue;
            };
            let key = EntityKind::Person.key(&new.person);
            for (w, scope) in orders.watches.get(&key).into_iter().flatten() {
                if !scope.contains(&new.force, new.operation.as_deref()) {
                    continue;
                }
                alerts.push(AlertRow {
                    id: alert_id(&w.id, &new.document),
                    owner: w.owner.clone(),
                    kind: "WATCH".to_owned(),
                    subject_id: w.id.clone(),
                    subject: w.label.clone(),
                    document_id: Some(new.document.clone()),
                    title: new.title.clone().unwrap_or_default(),
                    force: new.force.clone(),
                    document_operation: new.operation.clone(),
                    segment: m.segment.map(i64::from),
                    why: format!(
                        "names {} (watched as “{}”), written “{}”; found when the graph \
                         gained the person",
                        m.found.value, w.label, m.found.text
                    ),
                    watched_key: Some(key.clone()),
                    cross_case: cross_case(&w.operation, new.operation.as_deref()),
                    relationship: Some("MENTIONS".to_owned()),
                    related: Some(format!("Document:{}", new.document)),
                    source: Some("relink".to_owned()),
                    created_at: now.clone(),
                    read: false,
                });
            }
        }
        Ok(alerts)
    }

    /// Stores alerts and sends them live.
    pub(crate) async fn send_alerts(&self, alerts: Vec<AlertRow>) -> Result<(), PipelineError> {
        self.ingest_graph.record_alerts(&alerts).await?;
        for alert in alerts {
            self.alerts.send(alert);
        }
        Ok(())
    }
}
