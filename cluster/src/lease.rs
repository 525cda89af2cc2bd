//! Which replica runs each unfinished job: a lease per job, the job's latest value on a
//! [`Latest`] stream, renewed while the job runs and taken over by another replica
//! once it goes unrenewed. Every change is a compare-and-set on the job's last sequence,
//! so two replicas never both take the same job.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{ClusterError, Latest, Nats};

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
    latest: Latest,
    holder: String,
    /// How long a lease lasts unrenewed before another replica may take it over.
    pub term: Duration,
}

impl Leases {
    /// Makes (or finds) the lease stream; `holder` is this replica's name.
    pub async fn open(nats: &Nats, holder: &str) -> Result<Self, ClusterError> {
        Ok(Self {
            latest: Latest::open(nats, STREAM, PREFIX).await?,
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
            let expected = match self.latest.last(job).await? {
                Some((body, sequence)) => {
                    let lease = decode(&body, sequence)?;
                    if lease.holder != self.holder {
                        return Ok(Claim::Other(lease.holder));
                    }
                    sequence
                }
                None => 0,
            };
            // Lost to a replica that claimed it in between: read again.
            if let Some(sequence) = self.write(job, expected).await? {
                return Ok(Claim::Held(sequence));
            }
        }
    }

    /// Renews this replica's lease on `job` held at `sequence`; `None` when another
    /// replica took it over meanwhile (or it was released).
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
        self.latest.remove(job).await
    }

    /// Every lease held now.
    pub async fn all(&self) -> Result<Vec<Lease>, ClusterError> {
        self.latest
            .all()
            .await?
            .into_iter()
            .map(|(body, sequence)| decode(&body, sequence))
            .collect()
    }

    /// Writes this replica's lease on `job` if the job's last sequence is still
    /// `expected` (0: no lease); its new sequence, or `None` when it was not.
    async fn write(&self, job: &str, expected: u64) -> Result<Option<u64>, ClusterError> {
        let body = serde_json::to_vec(&Body {
            job: job.to_owned(),
            holder: self.holder.clone(),
        })
        .map_err(|e| ClusterError::Encode(e.to_string()))?;
        self.latest.put_expecting(job, body, expected).await
    }
}

fn decode(body: &[u8], sequence: u64) -> Result<Lease, ClusterError> {
    let body: Body = serde_json::from_slice(body).map_err(|e| ClusterError::Stream {
        what: "reading a job's lease".to_owned(),
        reason: e.to_string(),
    })?;
    Ok(Lease {
        job: body.job,
        holder: body.holder,
        sequence,
    })
}
