//! Which replica runs each unfinished job: a lease per job on a JetStream stream (the
//! latest message per job), renewed while the job runs and taken over by another replica
//! once it goes unrenewed. Every change is a compare-and-set on the job's last sequence,
//! so two replicas never both take the same job.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE;
use async_nats::jetstream::Context;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::stream::{Config, RawMessageErrorKind, StorageType, Stream};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::latest::key_of;
use crate::{ClusterError, Nats};

const STREAM: &str = "TOEX_LEASES";
const PREFIX: &str = "toex.lease";

/// One job's lease as the stream holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job: String,
    /// The replica holding it.
    pub holder: String,
    /// Its place in the stream: it changes with every renewal.
    pub sequence: u64,
}

#[derive(Serialize, Deserialize)]
struct Body {
    job: String,
    holder: String,
}

/// What asking for a job's lease came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This replica holds it now, at this sequence.
    Held(u64),
    /// Another replica holds it.
    Other(String),
}

/// The job leases, as seen by replica `holder`.
pub struct Leases {
    js: Context,
    stream: Stream,
    holder: String,
    /// How long a lease lasts unrenewed before another replica may take it over.
    pub term: Duration,
}

impl Leases {
    /// Makes (or finds) the lease stream; `holder` is this replica's name.
    pub async fn open(nats: &Nats, holder: &str) -> Result<Self, ClusterError> {
        let config = Config {
            name: STREAM.to_owned(),
            subjects: vec![format!("{PREFIX}.*")],
            max_messages_per_subject: 1,
            storage: StorageType::File,
            num_replicas: nats.settings.stream_replicas,
            ..Default::default()
        };
        let js = &nats.js;
        let stream = crate::log::patiently("making the lease stream", || {
            js.get_or_create_stream(config.clone())
        })
        .await?;
        Ok(Self {
            js: js.clone(),
            stream,
            holder: holder.to_owned(),
            term: Duration::from_millis(nats.settings.lease_ms),
        })
    }

    /// This replica's name.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes `job` for this replica when no replica holds it or this one did (it was
    /// restarted); else says who does.
    pub async fn claim(&self, job: &str) -> Result<Claim, ClusterError> {
        loop {
            let seen = self.read(job).await?;
            let expected = match &seen {
                Some(lease) if lease.holder != self.holder => {
                    return Ok(Claim::Other(lease.holder.clone()));
                }
                Some(lease) => lease.sequence,
                None => 0,
            };
            // Lost to a replica that claimed it in between: read again.
            if let Some(sequence) = self.write(job, expected).await? {
                return Ok(Claim::Held(sequence));
            }
        }
    }

    /// Renews this replica's lease on `job` held at `sequence`; `None` when another
    /// replica took it over meanwhile.
    pub async fn renew(&self, job: &str, sequence: u64) -> Result<Option<u64>, ClusterError> {
        self.write(job, sequence).await
    }

    /// Takes over `lease`, which its holder stopped renewing; `None` when another
    /// replica was first or the holder renewed it after all.
    pub async fn take_over(&self, lease: &Lease) -> Result<Option<u64>, ClusterError> {
        self.write(&lease.job, lease.sequence).await
    }

    /// Ends the lease on a finished (or unknown) job.
    pub async fn release(&self, job: &str) -> Result<(), ClusterError> {
        let subject = format!("{PREFIX}.{}", key_of(job));
        crate::log::patiently("releasing a job's lease", || async {
            self.stream.purge().filter(subject.clone()).await
        })
        .await?;
        Ok(())
    }

    /// Every lease held now.
    pub async fn all(&self) -> Result<Vec<Lease>, ClusterError> {
        let failed = |e: String| ClusterError::Stream {
            what: "listing job leases".to_owned(),
            reason: e,
        };
        let subjects: Vec<(String, usize)> = self
            .stream
            .info_with_subjects(format!("{PREFIX}.*"))
            .await
            .map_err(|e| failed(e.to_string()))?
            .try_collect()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let mut leases = Vec::new();
        for (subject, _) in subjects {
            if let Some(lease) = self.read_subject(&subject).await? {
                leases.push(lease);
            }
        }
        Ok(leases)
    }

    /// `job`'s lease, if one is held.
    async fn read(&self, job: &str) -> Result<Option<Lease>, ClusterError> {
        self.read_subject(&format!("{PREFIX}.{}", key_of(job)))
            .await
    }

    async fn read_subject(&self, subject: &str) -> Result<Option<Lease>, ClusterError> {
        let last = self
            .stream
            .raw_message_builder()
            .last_by_subject(subject.to_owned())
            .send()
            .await;
        match last {
            Ok(message) => {
                let body: Body =
                    serde_json::from_slice(&message.payload).map_err(|e| ClusterError::Stream {
                        what: format!("reading {subject}"),
                        reason: e.to_string(),
                    })?;
                Ok(Some(Lease {
                    job: body.job,
                    holder: body.holder,
                    sequence: message.sequence,
                }))
            }
            Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(ClusterError::Stream {
                what: format!("reading {subject}"),
                reason: e.to_string(),
            }),
        }
    }

    /// Writes this replica's lease on `job` if the job's last sequence is still
    /// `expected` (0: no lease); its new sequence, or `None` when it was not.
    async fn write(&self, job: &str, expected: u64) -> Result<Option<u64>, ClusterError> {
        let body = serde_json::to_vec(&Body {
            job: job.to_owned(),
            holder: self.holder.clone(),
        })
        .map_err(|e| ClusterError::Encode(e.to_string()))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
            expected.to_string().as_str(),
        );
        let subject = format!("{PREFIX}.{}", key_of(job));
        let failed = |e: String| ClusterError::Publish {
            stream: STREAM.to_owned(),
            reason: e,
        };
        let sent = self
            .js
            .publish_with_headers(subject, headers, body.into())
            .await
            .map_err(|e| failed(e.to_string()))?;
        match sent.await {
            Ok(ack) => Ok(Some(ack.sequence)),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Ok(None),
            Err(e) => Err(failed(e.to_string())),
        }
    }
}
