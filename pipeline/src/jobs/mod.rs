//! Ingest jobs: a bounded queue, one worker that runs jobs in batches of files (one index
//! commit per batch, then the job is saved), resumption of unfinished jobs at start-up,
//! and progress broadcast to subscribers.

mod files;
mod handover;
pub mod hearing;
mod members;
pub mod rendering;
pub mod scanning;
mod translation;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use toex_indexer::jobs::{ItemProgress, Job, JobKind, JobState, JobStore};
use tokio::sync::{mpsc, watch};

use crate::{PipelineError, Services};

/// How long a job stopped by a fault waits before it runs again.
const RETRY: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a job waits for a worker to finish one item (a recording, a text).
const WORKER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(6 * 3600);
/// How often another replica's job is read again for a subscriber.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Most documents one translation job covers.
pub const MAX_TRANSLATION_JOB_DOCUMENTS: usize = 10_000;

/// The job store, the queue in front of the worker, and the progress channels.
pub struct Jobs {
    store: JobStore,
    queue: mpsc::Sender<String>,
    watchers: Mutex<HashMap<String, watch::Sender<Job>>>,
    /// With NATS: each job's latest state, for other replicas to read.
    shared: std::sync::OnceLock<Arc<Shared>>,
    /// With NATS: the jobs' leases and their files in the shared spool.
    handover: std::sync::OnceLock<Arc<handover::Handover>>,
}

/// Job snapshots waiting to be published (the latest of each), and where they go.
struct Shared {
    latest: toex_cluster::Latest,
    pending: Mutex<HashMap<String, Job>>,
    wake: tokio::sync::Notify,
}

impl Jobs {
    /// Jobs over `store` with room for `capacity` queued jobs; the receiver feeds
    /// [`Services::run_jobs`].
    pub fn new(store: JobStore, capacity: usize) -> (Arc<Self>, mpsc::Receiver<String>) {
        let (queue, rx) = mpsc::channel(capacity.max(1));
        (
            Arc::new(Self {
                store,
                queue,
                watchers: Mutex::new(HashMap::new()),
                shared: std::sync::OnceLock::new(),
                handover: std::sync::OnceLock::new(),
            }),
            rx,
        )
    }

    /// Publishes every job's changes to `latest` from now on (a background task sends
    /// the newest state of each job; progress inside an item is coalesced), so any
    /// replica can answer for a job this one runs.
    pub fn share(self: &Arc<Self>, latest: toex_cluster::Latest) {
        let shared = Arc::new(Shared {
            latest,
            pending: Mutex::new(HashMap::new()),
            wake: tokio::sync::Notify::new(),
        });
        if self.shared.set(shared.clone()).is_err() {
            return;
        }
        tokio::spawn(async move {
            loop {
                shared.wake.notified().await;
                let batch: Vec<Job> = {
                    let mut pending = shared.pending.lock().unwrap_or_else(|p| p.into_inner());
                    pending.drain().map(|(_, job)| job).collect()
                };
                let mut failed = false;
                for job in batch {
                    let body = serde_json::to_vec(&job).unwrap_or_default();
                    if let Err(e) = shared.latest.put(&job.id, body).await {
                        // Kept for the next turn unless a newer state replaced it: a
                        // job's last state (DONE) must reach the other replicas.
                        tracing::warn!(job = job.id, error = %e, "job state not shared yet");
                        let mut pending = shared.pending.lock().unwrap_or_else(|p| p.into_inner());
                        pending.entry(job.id.clone()).or_insert(job);
                        failed = true;
                    }
                }
                if failed {
                    shared.wake.notify_one();
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                } else {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        });
    }

    /// Job `id` from this process's store, or else as the replica running it last
    /// shared it.
    pub async fn find(&self, id: &str) -> Result<Option<Job>, PipelineError> {
        if let Some(job) = self.store.load(id)? {
            return Ok(Some(job));
        }
        let Some(shared) = self.shared.get() else {
            return Ok(None);
        };
        let Some(bytes) = shared.latest.get(id).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// Jobs waiting in the queue for the worker.
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    pub fn store(&self) -> &JobStore {
        &self.store
    }

    /// Saves a new job durably (with NATS, its files and state there too, and its lease
    /// taken), then queues it. When this returns Ok the job is acknowledged: it will run
    /// to the end even across restarts, and with NATS even when this replica is lost.
    pub async fn submit(&self, job: &Job) -> Result<(), PipelineError> {
        if self.queue.capacity() == 0 {
            return Err(PipelineError::Overloaded(
                "the ingest queue is full; try again shortly",
            ));
        }
        self.hand_over_new(job).await?;
        self.store.save(job)?;
        match self.queue.try_send(job.id.clone()) {
            Ok(()) => {
                self.publish(job);
                Ok(())
            }
            Err(_) => {
                self.store.discard(&job.id)?;
                self.let_go(job);
                Err(PipelineError::Overloaded(
                    "the ingest queue is full; try again shortly",
                ))
            }
        }
    }

    /// Queues a job found unfinished at start-up (waits for room).
    pub async fn resume(&self, id: String) {
        let _ = self.queue.send(id).await;
    }

    /// Progress of job `id` wherever it runs: this process's own channel, or for a job
    /// another replica runs, its shared state read every [`FOLLOW_EVERY`] until it is
    /// done or the receiver is dropped. `None` when no replica knows the job.
    pub async fn follow(
        self: &Arc<Self>,
        id: &str,
    ) -> Result<Option<watch::Receiver<Job>>, PipelineError> {
        if let Some(job) = self.store.load(id)? {
            return Ok(Some(self.watch(&job)));
        }
        let Some(mut last) = self.find(id).await? else {
            return Ok(None);
        };
        let (tx, rx) = watch::channel(last.clone());
        if last.state == JobState::Done {
            return Ok(Some(rx));
        }
        let (jobs, id) = (self.clone(), id.to_owned());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tx.closed() => return,
                    () = tokio::time::sleep(FOLLOW_EVERY) => {}
                }
                match jobs.find(&id).await {
                    Ok(Some(job)) if job != last => {
                        let done = job.state == JobState::Done;
                        tx.send_replace(job.clone());
                        if done {
                            return;
                        }
                        last = job;
                    }
                    Ok(_) => {}
                    // NATS may be electing a leader: asked again on the next turn.
                    Err(e) => tracing::debug!(job = id, error = %e, "following a job"),
                }
            }
        });
        Ok(Some(rx))
    }

    /// Progress of one job: the latest snapshot, then each change.
    pub fn watch(&self, job: &Job) -> watch::Receiver<Job> {
        let mut watchers = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        watchers
            .entry(job.id.clone())
            .or_insert_with(|| watch::channel(job.clone()).0)
            .subscribe()
    }

    fn publish(&self, job: &Job) {
        let mut watchers = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        let sender = watchers
            .entry(job.id.clone())
            .or_insert_with(|| watch::channel(job.clone()).0);
        sender.send_replace(job.clone());
        if job.state == JobState::Done {
            watchers.remove(&job.id);
        }
        drop(watchers);
        // A job another replica took over is that replica's to share.
        if let Some(shared) = self.shared.get()
            && !self.lost(&job.id)
        {
            let mut pending = shared.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.insert(job.id.clone(), job.clone());
            shared.wake.notify_one();
        }
    }

    /// Tells subscribers how far the job is inside one item (not saved: the item's
    /// outcome is).
    pub(crate) fn report(&self, job: &Job) {
        self.publish(job);
    }

    pub(crate) fn save(&self, job: &mut Job) -> Result<(), PipelineError> {
        job.updated_at = Utc::now();
        self.store.save(job)?;
        self.publish(job);
        Ok(())
    }
}

/// Reports progress inside item `item` of `job` to its subscribers.
fn item_progress(
    jobs: Arc<Jobs>,
    job: &Job,
    item: usize,
    unit: &'static str,
) -> impl FnMut(f64, f64) + Send + 'static {
    let mut snapshot = job.clone();
    move |done, total| {
        snapshot.current = Some(ItemProgress {
            item,
            done: done.max(0.0).round() as u64,
            total: total.max(0.0).round() as u64,
            unit: unit.to_owned(),
        });
        jobs.report(&snapshot);
    }
}

impl Services {
    /// The worker: runs queued jobs one at a time until the queue closes.
    pub async fn run_jobs(self, mut queue: mpsc::Receiver<String>) {
        while let Some(id) = queue.recv().await {
            if self.jobs.forget_if_lost(&id) {
                continue;
            }
            let job = match self.jobs.store().load(&id) {
                Ok(Some(job)) => job,
                Ok(None) => {
                    tracing::warn!(%id, "a queued job is not in the store");
                    continue;
                }
                Err(err) => {
                    tracing::error!(%id, error = %err, "cannot load an ingest job");
                    continue;
                }
            };
            tracing::info!(%id, files = job.files.len(), "running a job");
            let outcome = match job.kind {
                JobKind::Ingest => self.run_job(job).await,
                JobKind::Translate => self.run_translation_job(job).await,
            };
            if self.jobs.forget_if_lost(&id) {
                continue;
            }
            match outcome {
                // With NATS, its lease released and its spooled files removed.
                Ok(job) if job.state == JobState::Done => self.jobs.let_go(&job),
                Ok(_) => {}
                Err(err) => {
                    // A fault of an engine or of NATS, not of the files: the job is saved
                    // where it stopped and tried again shortly (a restart would too).
                    tracing::error!(%id, error = %err, "ingest job stopped; trying again in {} s", RETRY.as_secs());
                    let jobs = self.jobs.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(RETRY).await;
                        jobs.resume(id).await;
                    });
                }
            }
        }
    }
}
