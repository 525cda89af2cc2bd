//! A replicated log on one JetStream stream: entries published idempotently (a message id
//! per entry, so a retried publish is stored once), and followed by each replica through
//! its own durable consumer that acknowledges an entry only after applying it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::stream::{Config, StorageType};
use async_nats::jetstream::{AckKind, Context};
use futures::{FutureExt, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::{ClusterError, Nats, NatsSettings};

/// How long a publish keeps retrying while the cluster elects a leader or reconnects.
const PUBLISH_PATIENCE: Duration = Duration::from_secs(30);
/// How long making the stream keeps retrying while a new cluster forms.
const STREAM_PATIENCE: Duration = Duration::from_secs(60);
/// Entries a follower applies together (one index commit).
const FOLLOW_BATCH: usize = 256;
/// How long a waiting pull request waits for the next entry or item.
pub(crate) const PULL_WAIT: Duration = Duration::from_secs(5);
/// How long past its own wait a pull request may go unanswered before it is given up.
pub(crate) const PULL_PATIENCE: Duration = Duration::from_secs(10);
/// How long entries delivered to a follower stay unacknowledged before NATS delivers
/// them again (a delivery lost with a dying server comes back after this).
const REDELIVER: Duration = Duration::from_secs(30);

/// One JetStream stream used as a log, and this replica's place in it.
pub struct Log {
    js: Context,
    stream: String,
    subject: String,
    consumer: String,
    max_entry_bytes: usize,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    applied: watch::Sender<u64>,
    /// Entries stored in the stream that this replica has not applied (last seen).
    lag: AtomicU64,
    connected: AtomicBool,
}

/// What `/health` says of this replica's place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogState {
    pub stream: String,
    pub consumer: String,
    /// The last stream sequence this replica applied.
    pub applied: u64,
    /// Entries waiting for this replica, as of its last fetch.
    pub lag: u64,
    /// Whether the follower's last exchange with NATS worked.
    pub connected: bool,
}

/// The follower's task, for the process to keep or stop.
pub type Followed = tokio::task::JoinHandle<()>;

impl Log {
    /// Makes (or finds) stream `stream` on subject `subject`; `consumer` is this
    /// replica's durable name in it.
    pub async fn open(
        nats: &Nats,
        stream: &str,
        subject: &str,
        consumer: &str,
    ) -> Result<Self, ClusterError> {
        let (js, settings) = (nats.js.clone(), &nats.settings);
        let config = Config {
            name: stream.to_owned(),
            subjects: vec![subject.to_owned()],
            storage: StorageType::File,
            num_replicas: settings.stream_replicas,
            duplicate_window: Duration::from_secs(120),
            max_message_size: i32::try_from(settings.max_entry_bytes).unwrap_or(i32::MAX),
            ..Default::default()
        };
        patiently(&format!("making stream {stream}"), || {
            js.get_or_create_stream(config.clone())
        })
        .await?;
        Ok(Self {
            js,
            stream: stream.to_owned(),
            subject: subject.to_owned(),
            consumer: consumer.to_owned(),
            max_entry_bytes: settings.max_entry_bytes,
            state: Arc::default(),
        })
    }

    /// Checks that `entry` fits and encodes it, before anything is published.
    pub fn encode<T: Serialize>(&self, entry: &T) -> Result<Vec<u8>, ClusterError> {
        let bytes = serde_json::to_vec(entry).map_err(|e| ClusterError::Encode(e.to_string()))?;
        if bytes.len() > self.max_entry_bytes {
            return Err(ClusterError::TooLarge {
                stream: self.stream.clone(),
                bytes: bytes.len(),
                limit: self.max_entry_bytes,
            });
        }
        Ok(bytes)
    }

    /// Publishes encoded entries, each with its message id (the stream stores an id
    /// once within its duplicate window, so retrying is safe), and returns the highest
    /// sequence the stream gave them once every one is stored.
    pub async fn publish(&self, entries: Vec<(String, Vec<u8>)>) -> Result<u64, ClusterError> {
        let mut last = 0;
        let started = Instant::now();
        let mut pending = entries;
        while !pending.is_empty() {
            let mut acks = Vec::with_capacity(pending.len());
            for (id, bytes) in &pending {
                let mut headers = HeaderMap::new();
                headers.insert("Nats-Msg-Id", id.as_str());
                let sent = self
                    .js
                    .publish_with_headers(self.subject.clone(), headers, bytes.clone().into())
                    .await;
                acks.push(sent);
            }
            let mut retry = Vec::new();
            let mut failure = String::new();
            for ((id, bytes), sent) in pending.into_iter().zip(acks) {
                let stored = match sent {
                    Ok(ack) => ack.await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match stored {
                    Ok(ack) => last = last.max(ack.sequence),
                    Err(e) => {
                        failure = e;
                        retry.push((id, bytes));
                    }
                }
            }
            if !retry.is_empty() {
                if started.elapsed() > PUBLISH_PATIENCE {
                    return Err(ClusterError::Publish {
                        stream: self.stream.clone(),
                        reason: format!("{} entries not stored: {failure}", retry.len()),
                    });
                }
                tracing::debug!(entries = retry.len(), error = %failure, "publishing again");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            pending = retry;
        }
        Ok(last)
    }

    /// Waits until this replica has applied the entry at `sequence`.
    pub async fn wait_applied(&self, sequence: u64, timeout: Duration) -> Result<(), ClusterError> {
        let mut applied = self.state.applied.subscribe();
        let reached = tokio::time::timeout(timeout, applied.wait_for(|a| *a >= sequence)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            _ => Err(ClusterError::Lagging {
                stream: self.stream.clone(),
                sequence,
                waited_ms: timeout.as_millis() as u64,
            }),
        }
    }

    pub fn state(&self) -> LogState {
        LogState {
            stream: self.stream.clone(),
            consumer: self.consumer.clone(),
            applied: *self.state.applied.borrow(),
            lag: self.state.lag.load(Ordering::Relaxed),
            connected: self.state.connected.load(Ordering::Relaxed),
        }
    }

    /// Follows the log from where this replica's consumer stopped (the start, for a new
    /// replica): entries are decoded, handed to `apply` in batches, and acknowledged
    /// only when `apply` succeeds; a failed batch is delivered again. An entry that
    /// cannot be decoded is logged and terminated, never retried forever.
    pub fn follow<T, F, Fut>(self: &Arc<Self>, apply: F) -> Followed
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(Vec<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send,
    {
        let log = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = log.follow_once(&apply).await {
                    log.state.connected.store(false, Ordering::Relaxed);
                    let seen = log.describe().await;
                    tracing::warn!(stream = log.stream, error = %e, seen, "following the log again shortly");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        })
    }

    /// What NATS says of this replica's consumer, for a warning.
    async fn describe(&self) -> String {
        let server = self.js.client().server_info().port;
        let info = async {
            let mut consumer = self.consumer().await?;
            consumer
                .info()
                .await
                .map(|i| {
                    format!(
                        "leader {:?}, pending {}, ack pending {}, waiting {}, delivered {}, ack floor {}",
                        i.cluster.as_ref().and_then(|c| c.leader.clone()),
                        i.num_pending,
                        i.num_ack_pending,
                        i.num_waiting,
                        i.delivered.stream_sequence,
                        i.ack_floor.stream_sequence
                    )
                })
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(Duration::from_secs(5), info).await {
            Ok(Ok(info)) => format!("via server port {server}: {info}"),
            Ok(Err(e)) => format!("via server port {server}: no consumer info ({e})"),
            Err(_) => format!("via server port {server}: no consumer info in 5 s"),
        }
    }

    async fn consumer(&self) -> Result<PullConsumer, String> {
        let stream = self
            .js
            .get_stream(&self.stream)
            .await
            .map_err(|e| e.to_string())?;
        stream
            .get_or_create_consumer(
                &self.consumer,
                pull::Config {
                    durable_name: Some(self.consumer.clone()),
                    ack_policy: AckPolicy::Explicit,
                    deliver_policy: DeliverPolicy::All,
                    ack_wait: REDELIVER,
                    // One batch in flight: a lost delivery holds back what follows it
                    // until it comes again, so entries apply in order and `applied`
                    // never passes one that is missing.
                    max_ack_pending: FOLLOW_BATCH as i64,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())
    }

    async fn follow_once<T, F, Fut>(&self, apply: &F) -> Result<(), String>
    where
        T: DeserializeOwned,
        F: Fn(Vec<T>) -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        let consumer = self.consumer().await?;
        // One standing pull, renewed by the client before it runs out, with the server's
        // heartbeats while nothing comes: a pull lost with a dying server shows as a
        // missed heartbeat (and the follower starts again) instead of a silent stall,
        // and entries due again after `REDELIVER` always have a request to go to.
        let mut entries_in = consumer
            .stream()
            .max_messages_per_batch(FOLLOW_BATCH)
            .heartbeat(PULL_WAIT)
            .expires(PULL_WAIT * 6)
            .messages()
            .await
            .map_err(|e| e.to_string())?;
        self.state.connected.store(true, Ordering::Relaxed);
        loop {
            // The next entry, then whatever else has arrived with it (one commit).
            let first = entries_in
                .next()
                .await
                .ok_or("the pull stream ended")?
                .map_err(|e| e.to_string())?;
            let mut messages = vec![first];
            // A fault after some entries came: those are applied first, then it is said.
            let mut fault = None;
            while messages.len() < FOLLOW_BATCH {
                match entries_in.next().now_or_never() {
                    Some(Some(Ok(message))) => messages.push(message),
                    Some(Some(Err(e))) => {
                        fault = Some(e.to_string());
                        break;
                    }
                    Some(None) | None => break,
                }
            }
            // Never empty: it starts with `first`.
            let pending = messages[messages.len() - 1]
                .info()
                .map(|i| i.pending)
                .map_err(|e| e.to_string())?;
            let mut top = 0;
            let mut entries = Vec::with_capacity(messages.len());
            let mut keep = Vec::with_capacity(messages.len());
            for message in messages {
                let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
                top = top.max(sequence);
                match serde_json::from_slice::<T>(&message.payload) {
                    Ok(entry) => {
                        entries.push(entry);
                        keep.push(message);
                    }
                    Err(e) => {
                        tracing::error!(stream = self.stream, sequence, error = %e, "an entry that cannot be read: skipped");
                        message
                            .ack_with(AckKind::Term)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
            if let Err(e) = apply(entries).await {
                for message in &keep {
                    let _ = message
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                        .await;
                }
                return Err(format!("applying entries up to {top}: {e}"));
            }
            for message in &keep {
                message.ack().await.map_err(|e| e.to_string())?;
            }
            self.state.lag.store(pending, Ordering::Relaxed);
            self.state.applied.send_modify(|a| *a = (*a).max(top));
            if let Some(fault) = fault {
                return Err(fault);
            }
        }
    }
}

/// A client of the NATS servers in `settings.url` (comma-separated), named `who`; it
/// reconnects by itself, to any server of the cluster, for as long as it lives.
pub(crate) async fn connect(
    settings: &NatsSettings,
    who: &str,
) -> Result<async_nats::Client, ClusterError> {
    let urls: Vec<&str> = settings
        .url
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    async_nats::ConnectOptions::new()
        .name(format!("toex {who}"))
        .connection_timeout(Duration::from_secs(5))
        .connect(urls)
        .await
        .map_err(|e| ClusterError::Connect {
            url: settings.url.clone(),
            reason: e.to_string(),
        })
}

/// Runs `step` until it succeeds or [`STREAM_PATIENCE`] passes: a cluster that has just
/// started, or lost a server, has no leader for a few seconds.
pub(crate) async fn patiently<T, E, Fut>(
    what: &str,
    step: impl Fn() -> Fut,
) -> Result<T, ClusterError>
where
    E: std::fmt::Display,
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    loop {
        match step().await {
            Ok(done) => return Ok(done),
            Err(e) if started.elapsed() < STREAM_PATIENCE => {
                tracing::debug!(error = %e, what, "waiting for JetStream");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(ClusterError::Stream {
                    what: what.to_owned(),
                    reason: e.to_string(),
                });
            }
        }
    }
}

/// Every message of one pull request, or an error once `within` passes: a request lost
/// while a server died or a leader moved is never answered, and must not stall its
/// caller for good.
pub(crate) async fn take<E: std::fmt::Display>(
    request: impl Future<Output = Result<async_nats::jetstream::consumer::pull::Batch, E>>,
    within: Duration,
) -> Result<Vec<async_nats::jetstream::Message>, String> {
    let all = async {
        let mut batch = request.await.map_err(|e| e.to_string())?;
        let mut messages = Vec::new();
        while let Some(message) = batch.next().await {
            messages.push(message.map_err(|e| e.to_string())?);
        }
        Ok(messages)
    };
    tokio::time::timeout(within, all)
        .await
        .map_err(|_| format!("a pull request went unanswered for {} s", within.as_secs()))?
}
