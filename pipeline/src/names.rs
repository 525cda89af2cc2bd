//! Known persons' names: the gazetteers ingestion extracts with, one per force (rebuilt
//! when the graph's persons change), and the background re-linker that searches stored
//! documents again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use toex_extract::{Gazetteer, KnownPerson};
use toex_graph::{KnownPersonRow, MentionRow};

use crate::{PipelineError, Services};

/// Documents re-linked per graph transaction by the background job.
const RELINK_BATCH: usize = 64;
/// Known persons' names by owning force: a document is searched only for the persons of
/// its own force, so material never records that another force knows someone.
#[derive(Debug, Default)]
pub struct ForceGazetteers(HashMap<String, Gazetteer>);

impl ForceGazetteers {
    /// One gazetteer per force from `rows`; persons with no force (whom no user may see)
    /// are left out.
    pub fn new(rows: impl IntoIterator<Item = KnownPersonRow>) -> Self {
        let mut by_force: HashMap<String, Vec<KnownPerson>> = HashMap::new();
        for r in rows {
            let Some(force) = r.force else { continue };
            by_force.entry(force).or_default().push(KnownPerson {
                id: r.id,
                names: r
                    .name
                    .into_iter()
                    .chain(r.aliases.unwrap_or_default())
                    .collect(),
            });
        }
        Self(
            by_force
                .into_iter()
                .map(|(force, persons)| (force, Gazetteer::new(persons)))
                .collect(),
        )
    }

    /// The gazetteer of `force`'s persons; `None` when it holds none.
    pub fn of(&self, force: &str) -> Option<&Gazetteer> {
        self.0.get(force)
    }

    /// Persons known across every force.
    pub fn len(&self) -> usize {
        self.0.values().map(Gazetteer::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The current gazetteers, swapped whole when the graph's persons change.
pub struct Names {
    current: RwLock<Arc<ForceGazetteers>>,
    /// Person count the gazetteer was built from; -1 before the first build.
    persons: AtomicI64,
    /// Person count the stored documents were last searched with; -1 before.
    scanned: AtomicI64,
    /// One rebuild or rescan at a time.
    busy: tokio::sync::Mutex<()>,
}

impl Names {
    pub fn new() -> Self {
        Self {
            current: RwLock::new(Arc::new(ForceGazetteers::default())),
            persons: AtomicI64::new(-1),
            scanned: AtomicI64::new(-1),
            busy: tokio::sync::Mutex::new(()),
        }
    }
}

impl Default for Names {
    fn default() -> Self {
        Self::new()
    }
}

impl Names {
    /// The gazetteers to extract with now.
    pub fn get(&self) -> Arc<ForceGazetteers> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// How often the background job checks whether the graph gained persons.
pub const RELINK_EVERY: Duration = Duration::from_secs(30);

/// What one re-linking pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relinked {
    pub persons: usize,
    pub documents_scanned: usize,
    pub mentions: usize,
}

impl Services {
    /// Rebuilds the gazetteer when the graph's person count differs from the one it was
    /// built from. Returns whether it did. Cheap when nothing changed (one count).
    pub async fn update_gazetteer(&self) -> Result<bool, PipelineError> {
        let count = self.ingest_graph.person_count().await?;
        if count == self.names.persons.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let _busy = self.names.busy.lock().await;
        if count == self.names.persons.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let rows = self.ingest_graph.known_persons().await?;
        let gazetteer = self.cpu.run(move || ForceGazetteers::new(rows)).await?;
        tracing::info!(persons = gazetteer.len(), "gazetteer rebuilt");
        *self
            .names
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(gazetteer);
        self.names.persons.store(count, Ordering::SeqCst);
        Ok(true)
    }

    /// Brings the gazetteer up to date and, when the graph has gained (or lost) persons
    /// since the stored documents were last searched, searches every stored document for
    /// the names again and writes the person mentions found (idempotent). `None` when
    /// nothing changed.
    pub async fn refresh_names(&self) -> Result<Option<Relinked>, PipelineError> {
        self.update_gazetteer().await?;
        let persons = self.names.persons.load(Ordering::SeqCst);
        if persons == self.names.scanned.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let _busy = self.names.busy.lock().await;
        let names = self.names.get();
        let mut report = Relinked {
            persons: names.len(),
            documents_scanned: self.index.num_docs() as usize,
            ..Relinked::default()
        };
        let index = self.index.clone();
        // Every stored document read again: background work, on the jobs' pool.
        let found = self
            .jobs_cpu
            .run(move || index.find_names(|force| names.of(force)))
            .await??;
        // Watched persons a document names for the first time: alerted once written.
        let alerts = self.relink_alerts(&found).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "re-linked documents were not checked against watches");
            Vec::new()
        });
        for batch in found.chunks(RELINK_BATCH) {
            let rows: Vec<MentionRow<'_>> = batch
                .iter()
                .flat_map(|(doc, force, mentions)| {
                    mentions.iter().map(move |m| MentionRow {
                        document: doc,
                        force,
                        mention: m,
                    })
                })
                .collect();
            report.mentions += rows.len();
            self.ingest_graph.link_mentions(&rows).await?;
        }
        self.names.scanned.store(persons, Ordering::SeqCst);
        if let Err(e) = self.send_alerts(alerts).await {
            tracing::warn!(error = %e, "alerts on re-linked documents were not stored");
        }
        Ok(Some(report))
    }

    /// The background re-linking job: every [`RELINK_EVERY`], [`Services::refresh_names`].
    /// One pass at a time, on the CPU pool; a Neo4j outage just waits for the next turn.
    pub async fn keep_names_current(self) {
        loop {
            match self.refresh_names().await {
                Ok(Some(r)) => tracing::info!(
                    persons = r.persons,
                    documents = r.documents_scanned,
                    mentions = r.mentions,
                    "documents searched again for known names"
                ),
                Ok(None) => {}
                Err(e) => tracing::debug!(error = %e, "re-linking waits"),
            }
            tokio::time::sleep(RELINK_EVERY).await;
        }
    }
}
