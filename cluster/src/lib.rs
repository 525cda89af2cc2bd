//! toex past one machine on NATS JetStream: [`Log`], a replicated log that replicas
//! publish to idempotently and each follows with its own durable, acknowledged consumer;
//! [`WorkQueue`], the heavy work (transcription) that `toex worker` processes take;
//! [`Leases`] and the [`Spool`], which let a replica take over the jobs of a lost one.

mod error;
mod latest;
mod lease;
mod log;
mod originals;
mod spool;
mod work;

use serde::{Deserialize, Serialize};

pub use error::ClusterError;
pub use latest::Latest;
pub use lease::{Claim, Lease, Leases};
pub use log::{Followed, Log, LogState};
pub use originals::{Original, Originals, agreed_key};
pub use spool::Spool;
pub use work::{MAX_ATTEMPTS, MAX_DELIVERIES, Outcome, WorkQueue, WorkerState};

/// One connection to the NATS cluster and its JetStream context: what a process keeps
/// there (index log, work queue, job states) shares it. The client reconnects by itself,
/// to any server of the cluster, for as long as it lives.
#[derive(Clone)]
pub struct Nats {
    js: async_nats::jetstream::Context,
    settings: NatsSettings,
}

impl Nats {
    /// Connects to the servers in `settings.url`; `who` names this process to them.
    pub async fn connect(settings: &NatsSettings, who: &str) -> Result<Self, ClusterError> {
        let client = log::connect(settings, who).await?;
        Ok(Self {
            js: async_nats::jetstream::new(client),
            settings: settings.clone(),
        })
    }

    pub fn settings(&self) -> &NatsSettings {
        &self.settings
    }
}

/// The `[nats]` settings section: empty `url` keeps everything in one process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsSettings {
    /// `nats://host:port`, or several separated by commas for a cluster; empty: no NATS.
    pub url: String,
    /// This replica's name (its durable consumer of the index log); empty: the host
    /// name and a digest of the index path.
    pub replica: String,
    /// Copies JetStream keeps of each stream: 1 for one server, 3 for a cluster.
    pub stream_replicas: usize,
    /// How long a write waits for this replica to apply it before answering.
    pub apply_timeout_ms: u64,
    /// Largest entry a stream takes (the server's `max_payload` must allow it).
    pub max_entry_bytes: usize,
    /// How long a worker may go without a sign of life (it sends one every third of
    /// this while it works) before its item goes to another worker.
    pub stall_ms: u64,
    /// How long a replica's job goes without its lease renewed (every third of this while
    /// it runs) before another replica takes the job over.
    pub lease_ms: u64,
}

impl Default for NatsSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            replica: String::new(),
            stream_replicas: 1,
            apply_timeout_ms: 30_000,
            max_entry_bytes: 8 * 1024 * 1024,
            stall_ms: 60_000,
            lease_ms: 30_000,
        }
    }
}

impl NatsSettings {
    /// Whether toex runs as one of several replicas.
    pub fn enabled(&self) -> bool {
        !self.url.trim().is_empty()
    }

    pub fn validate(&self) -> Result<(), ClusterError> {
        let bad = |m: &str| Err(ClusterError::Settings(m.to_owned()));
        if !(1..=5).contains(&self.stream_replicas) {
            return bad("`nats.stream_replicas` must be from 1 to 5");
        }
        if !self
            .replica
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return bad("`nats.replica` may hold only letters, digits, `-` and `_`");
        }
        if self.max_entry_bytes < 1024 || self.max_entry_bytes > 64 * 1024 * 1024 {
            return bad("`nats.max_entry_bytes` must be from 1 KiB to 64 MiB");
        }
        if self.stall_ms < 1_000 {
            return bad("`nats.stall_ms` must be at least 1000");
        }
        if self.lease_ms < 1_000 {
            return bad("`nats.lease_ms` must be at least 1000");
        }
        if self.apply_timeout_ms == 0 {
            return bad("`nats.apply_timeout_ms` must be above 0");
        }
        Ok(())
    }
}

/// A replica name from what tells replicas apart: letters, digits, `-`, `_` only.
pub fn replica_name(host: &str, place: &str) -> String {
    // FNV-1a: a short, stable digest of the place (not a security boundary).
    let digest = place.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let host: String = host
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    format!(
        "{}-{:08x}",
        if host.is_empty() { "toex" } else { &host },
        digest as u32
    )
}

/// This machine's host name (empty where the system does not say), for naming a
/// replica or a worker to NATS.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}
