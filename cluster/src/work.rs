//! Work for `toex worker` processes: a JetStream work-queue stream (each item goes to one
//! worker, is redelivered when a worker dies or stalls, and fails with its reason after a
//! bounded number of attempts), the item's file in the object store, and its result in
//! a latest-value stream that the submitting replica waits on.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use std::sync::atomic::{AtomicU64, Ordering};

use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::stream::{Config, RetentionPolicy, StorageType};
use async_nats::jetstream::{AckKind, Context, object_store};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::latest::{Latest, key_of};
use crate::{ClusterError, Nats};

const WORK_STREAM: &str = "TOEX_WORK";
const RESULTS: &str = "TOEX_RESULTS";
/// How long what [`WorkQueue::has_takers`] read is taken as still true.
const TAKERS_FRESH: Duration = Duration::from_secs(1);
const TAKERS: &str = "TOEX_TAKERS";
/// How often a serving worker says it takes its task.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(5);
/// How old the last word from a task's workers may be while the task counts as taken.
const TAKEN_WITHIN: Duration = Duration::from_secs(20);
const FILES: &str = "toex-files";
/// Attempts at one item before it fails with the last reason.
pub const MAX_ATTEMPTS: i64 = 3;
/// Deliveries of one item (a worker that dies or stalls holding it loses one) before the
/// next worker to take it stores it as failed instead of leaving it unanswered.
pub const MAX_DELIVERIES: i64 = 10;

/// What a worker sends back for one item.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome<R> {
    Done(R),
    /// The item cannot be done (bad input, or every attempt failed): why.
    Failed(String),
}

/// What this process's worker has done, for its `/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkerState {
    /// Items finished with a result.
    pub done: u64,
    /// Items finished as failed (with their reason).
    pub failed: u64,
    /// Whether an item is in hand now.
    pub busy: bool,
}

#[derive(Default)]
struct Counters {
    done: AtomicU64,
    failed: AtomicU64,
    /// Items in hand now (a worker serves each of its tasks side by side).
    in_hand: AtomicU64,
}

/// The work queue, its files and its results.
pub struct WorkQueue {
    counters: Counters,
    js: Context,
    results: Latest,
    /// Per task, the last time any worker said it takes it.
    takers: Latest,
    /// Per task, what [`WorkQueue::has_takers`] last read and when (read again after
    /// [`TAKERS_FRESH`]: a write asks it, and need not ask NATS each time).
    takers_seen: std::sync::Mutex<std::collections::HashMap<String, (Instant, bool)>>,
    files: object_store::ObjectStore,
    /// How long a worker may hold an item without a sign of life before it is redelivered.
    stall: Duration,
    /// The largest item the stream takes (`nats.max_entry_bytes`).
    max_item_bytes: usize,
}

impl WorkQueue {
    /// Makes (or finds) the work stream, the results stream and the files bucket.
    pub async fn open(nats: &Nats) -> Result<Self, ClusterError> {
        let (js, settings) = (nats.js.clone(), &nats.settings);
        let replicas = settings.stream_replicas;
        crate::log::patiently("making the work stream", || {
            js.get_or_create_stream(Config {
                name: WORK_STREAM.to_owned(),
                subjects: vec!["toex.work.>".to_owned()],
                retention: RetentionPolicy::WorkQueue,
                storage: StorageType::File,
                num_replicas: replicas,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
        })
        .await?;
        let results = Latest::open(nats, RESULTS, "toex.result").await?;
        let takers = Latest::open(nats, TAKERS, "toex.takers").await?;
        let files = crate::spool::bucket(nats, FILES, Duration::from_secs(7 * 24 * 3600)).await?;
        Ok(Self {
            counters: Counters::default(),
            js,
            results,
            takers,
            takers_seen: Default::default(),
            files,
            stall: Duration::from_millis(settings.stall_ms),
            max_item_bytes: settings.max_entry_bytes,
        })
    }

    /// Submits `item` of `task`, with its file if it has one (else the item carries all
    /// the worker needs), under `id` (stable for the same item, so submitting again
    /// after a crash is one item), and waits up to `patience` for a worker's outcome.
    pub async fn run<T: Serialize, R: DeserializeOwned>(
        &self,
        task: &str,
        id: &str,
        item: &T,
        file: Option<&Path>,
        patience: Duration,
    ) -> Result<Outcome<R>, ClusterError> {
        self.submit_and_wait(task, id, item, file, patience, false)
            .await
    }

    /// As [`WorkQueue::run`], but the wait also ends, failed, once no worker has said
    /// it takes `task` for [`TAKEN_WITHIN`] (the workers went away): for work the
    /// submitter can do without (a translation at ingest), rather than wait for them.
    pub async fn run_while_taken<T: Serialize, R: DeserializeOwned>(
        &self,
        task: &str,
        id: &str,
        item: &T,
        file: Option<&Path>,
        patience: Duration,
    ) -> Result<Outcome<R>, ClusterError> {
        self.submit_and_wait(task, id, item, file, patience, true)
            .await
    }

    async fn submit_and_wait<T: Serialize, R: DeserializeOwned>(
        &self,
        task: &str,
        id: &str,
        item: &T,
        file: Option<&Path>,
        patience: Duration,
        while_taken: bool,
    ) -> Result<Outcome<R>, ClusterError> {
        let key = key_of(id);
        // Told the moment a worker stores the outcome (subscribed before it is first
        // read, so none is missed); read again now and then all the same, in case the
        // message was lost in a reconnect.
        let mut told = self
            .js
            .client()
            .subscribe(self.results.subject(&key))
            .await
            .ok();
        // NATS may be electing a leader (a node just died): each step is retried.
        let done = crate::log::patiently("reading a result", || self.outcome::<R>(&key)).await?;
        if let Some(outcome) = done {
            return Ok(outcome);
        }
        let envelope = Envelope {
            key: &key,
            item,
            file: file.is_some(),
        };
        let body =
            serde_json::to_vec(&envelope).map_err(|e| ClusterError::Encode(e.to_string()))?;
        if body.len() > self.max_item_bytes {
            // Refused before anything is stored: the stream would never take it.
            return Ok(Outcome::Failed(format!(
                "the item is {} bytes; the work queue takes at most {} (nats.max_entry_bytes)",
                body.len(),
                self.max_item_bytes
            )));
        }
        // The file is stored once: submitted again after a restart, the copy a worker
        // may be reading now is left alone.
        if let Some(file) = file
            && self.files.info(key.as_str()).await.is_err()
        {
            crate::spool::put_file(
                &self.files,
                &key,
                Default::default(),
                file,
                "storing the file",
            )
            .await?;
        }
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", key.as_str());
        crate::log::patiently("queueing work", || async {
            self.js
                .publish_with_headers(
                    format!("toex.work.{task}"),
                    headers.clone(),
                    body.clone().into(),
                )
                .await?
                .await
        })
        .await?;
        let started = Instant::now();
        let mut wait = Duration::from_millis(100);
        let mut asked_takers = Instant::now();
        loop {
            if while_taken && asked_takers.elapsed() >= ANNOUNCE_EVERY {
                asked_takers = Instant::now();
                if let Ok(false) = self.has_takers(task).await {
                    return Ok(Outcome::Failed(format!(
                        "no worker takes `{task}` any more (none said so in the last {} s)",
                        TAKEN_WITHIN.as_secs()
                    )));
                }
            }
            match self.outcome(&key).await {
                Ok(Some(outcome)) => {
                    if file.is_some() {
                        let _ = self.files.delete(key.as_str()).await;
                    }
                    return Ok(outcome);
                }
                Ok(None) => {}
                // Asked again on the next turn.
                Err(e) => tracing::debug!(key, error = %e, "reading a result"),
            }
            if started.elapsed() > patience {
                return Ok(Outcome::Failed(format!(
                    "no worker for `{task}` finished it in {} s (is `toex worker --tasks {task}` running?)",
                    patience.as_secs()
                )));
            }
            match told.as_mut() {
                Some(results) => {
                    if let Ok(None) =
                        tokio::time::timeout(wait, futures::StreamExt::next(results)).await
                    {
                        told = None;
                    }
                }
                None => tokio::time::sleep(wait).await,
            }
            wait = (wait * 2).min(Duration::from_secs(2));
        }
    }

    /// What this process's worker has done so far.
    pub fn worker_state(&self) -> WorkerState {
        WorkerState {
            done: self.counters.done.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
            busy: self.counters.in_hand.load(Ordering::Relaxed) > 0,
        }
    }

    /// Whether a worker takes `task` now: one said so within the last
    /// [`TAKEN_WITHIN`] (each says so every [`ANNOUNCE_EVERY`] while it serves). Asked
    /// again while NATS elects a leader: "no answer" is not "no worker".
    pub async fn has_takers(&self, task: &str) -> Result<bool, ClusterError> {
        let seen = self
            .takers_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(task)
            .filter(|(at, _)| at.elapsed() < TAKERS_FRESH)
            .map(|(_, taken)| *taken);
        if let Some(taken) = seen {
            return Ok(taken);
        }
        let taken = self.read_takers(task).await?;
        self.takers_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(task.to_owned(), (Instant::now(), taken));
        Ok(taken)
    }

    async fn read_takers(&self, task: &str) -> Result<bool, ClusterError> {
        let said = crate::log::patiently("reading which tasks have workers", || async {
            match tokio::time::timeout(Duration::from_secs(5), self.takers.get(task)).await {
                Ok(read) => read.map_err(|e| e.to_string()),
                Err(_) => Err("timed out".to_owned()),
            }
        })
        .await?;
        let Some(body) = said else {
            return Ok(false);
        };
        let Ok(at) = serde_json::from_slice::<u64>(&body) else {
            return Ok(false);
        };
        Ok(now_millis().saturating_sub(at) <= TAKEN_WITHIN.as_millis() as u64)
    }

    /// Items of `task` waiting for a worker (not yet taken by any).
    pub async fn waiting(&self, task: &str) -> Result<u64, ClusterError> {
        let failed = |e: String| ClusterError::Stream {
            what: format!("reading the `{task}` queue"),
            reason: e,
        };
        let stream = self
            .js
            .get_stream(WORK_STREAM)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let mut consumer: PullConsumer = stream
            .get_consumer(&format!("workers-{task}"))
            .await
            .map_err(|e| failed(e.to_string()))?;
        let info = consumer.info().await.map_err(|e| failed(e.to_string()))?;
        Ok(info.num_pending)
    }

    async fn outcome<R: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<Outcome<R>>, ClusterError> {
        let Some(bytes) = self.results.get(key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ClusterError::Encode(e.to_string()))
    }

    /// Takes items of `task`, `at_once` at a time, for as long as the process runs: the
    /// file is fetched to `scratch`, `work` runs, and the item is acknowledged only after its
    /// outcome is stored. `work` answers `Err` for an item it cannot do now (it is tried
    /// again, up to [`MAX_ATTEMPTS`]) and `Ok(Outcome::Failed)` for one it never can; an
    /// item delivered more than [`MAX_DELIVERIES`] times (its workers died) fails unworked.
    pub async fn serve<T, R, F, Fut>(
        &self,
        task: &str,
        scratch: &Path,
        at_once: usize,
        work: F,
    ) -> ClusterError
    where
        T: DeserializeOwned,
        R: Serialize,
        F: Fn(T, Option<PathBuf>) -> Fut,
        Fut: Future<Output = Result<Outcome<R>, String>>,
    {
        let announce = async {
            loop {
                let now = serde_json::to_vec(&now_millis()).unwrap_or_default();
                if let Err(e) = self.takers.put(task, now).await {
                    tracing::debug!(task, error = %e, "saying this worker takes its task");
                }
                tokio::time::sleep(ANNOUNCE_EVERY).await;
            }
        };
        // Each taker pulls its own next item: `at_once` items are in hand at most.
        let takers = (0..at_once.max(1)).map(|_| async {
            loop {
                if let Err(e) = self.serve_once(task, scratch, &work).await {
                    tracing::warn!(task, error = %e, "taking work again shortly");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        });
        tokio::select! {
            () = announce => unreachable!("announcing never ends"),
            _ = futures::future::join_all(takers) => unreachable!("taking work never ends"),
        }
    }

    async fn serve_once<T, R, F, Fut>(
        &self,
        task: &str,
        scratch: &Path,
        work: &F,
    ) -> Result<(), String>
    where
        T: DeserializeOwned,
        R: Serialize,
        F: Fn(T, Option<PathBuf>) -> Fut,
        Fut: Future<Output = Result<Outcome<R>, String>>,
    {
        let stream = self
            .js
            .get_stream(WORK_STREAM)
            .await
            .map_err(|e| e.to_string())?;
        let name = format!("workers-{task}");
        let consumer = stream
            .get_or_create_consumer(
                &name,
                pull::Config {
                    durable_name: Some(name.clone()),
                    filter_subject: format!("toex.work.{task}"),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: self.stall,
                    // Unbounded here: a worker gives up on an item itself (below), so
                    // that every item ends with an outcome the submitter reads.
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        loop {
            // One request that waits for the next item (never a loop of empty ones).
            let next = consumer
                .batch()
                .max_messages(1)
                .expires(crate::log::PULL_WAIT)
                .messages();
            let within = crate::log::PULL_WAIT + crate::log::PULL_PATIENCE;
            let Some(message) = crate::log::take(next, within).await?.pop() else {
                continue;
            };
            let attempt = message.info().map(|i| i.delivered).unwrap_or(1);
            let OwnedEnvelope { key, item, file } = match serde_json::from_slice(&message.payload) {
                Ok(envelope) => envelope,
                Err(e) => {
                    tracing::error!(task, error = %e, "a work item that cannot be read: dropped");
                    message
                        .ack_with(AckKind::Term)
                        .await
                        .map_err(|e| e.to_string())?;
                    continue;
                }
            };
            let path = file.then(|| scratch.join(&key));
            self.counters.in_hand.fetch_add(1, Ordering::Relaxed);
            let outcome = if attempt > MAX_DELIVERIES {
                Ok(Outcome::Failed(format!(
                    "taken {} times and never finished: the workers that took it died or stalled",
                    attempt - 1
                )))
            } else {
                // Tells NATS the item is alive while the file comes and long work runs.
                let beat = async {
                    loop {
                        tokio::time::sleep(self.stall / 3).await;
                        let _ = message.ack_with(AckKind::Progress).await;
                    }
                };
                let working = async {
                    if let Some(path) = &path {
                        // A NATS server may be down a moment: fetching is retried.
                        crate::log::patiently("fetching its file", || self.fetch_file(&key, path))
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    work(item, path.clone()).await
                };
                tokio::select! {
                    outcome = working => outcome,
                    () = beat => unreachable!("the heartbeat never ends"),
                }
            };
            if let Some(path) = &path {
                let _ = tokio::fs::remove_file(path).await;
            }
            self.counters.in_hand.fetch_sub(1, Ordering::Relaxed);
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(reason) if attempt >= MAX_ATTEMPTS => {
                    Outcome::Failed(format!("failed {attempt} times; the last: {reason}"))
                }
                Err(reason) => {
                    tracing::warn!(
                        task,
                        key,
                        attempt,
                        reason,
                        "work item failed; it will be tried again"
                    );
                    let _ = message
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                        .await;
                    continue;
                }
            };
            let bytes = serde_json::to_vec(&outcome).map_err(|e| e.to_string())?;
            // The outcome is stored before the item is let go, each step retried while
            // NATS elects a leader (a lost step would cost the whole work again).
            crate::log::patiently("storing an outcome", || {
                self.results.put(&key, bytes.clone())
            })
            .await
            .map_err(|e| e.to_string())?;
            crate::log::patiently("acknowledging an item", || message.double_ack())
                .await
                .map_err(|e| e.to_string())?;
            let counter = match outcome {
                Outcome::Done(_) => &self.counters.done,
                Outcome::Failed(_) => &self.counters.failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    async fn fetch_file(&self, key: &str, path: &Path) -> Result<(), String> {
        let mut object = self
            .files
            .get(key)
            .await
            .map_err(|e| format!("its file: {e}"))?;
        let mut out = tokio::fs::File::create(path)
            .await
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        tokio::io::copy(&mut object, &mut out)
            .await
            .map_err(|e| format!("fetching its file: {e}"))?;
        Ok(())
    }
}

/// Milliseconds since the Unix epoch, by this machine's clock.
fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    key: &'a str,
    item: T,
    /// Whether the item's file waits in the files bucket under `key`.
    file: bool,
}

#[derive(Deserialize)]
struct OwnedEnvelope<T> {
    key: String,
    item: T,
    file: bool,
}
