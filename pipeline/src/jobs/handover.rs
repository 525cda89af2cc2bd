//! Jobs past one replica (with NATS): each unfinished job is leased by the replica that
//! holds it (renewed every third of `nats.lease_ms`, queued or running), its waiting files
//! are in the shared spool before any state that lists them is, and the jobs of a replica
//! that stopped renewing are taken over by another, which fetches their files.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use toex_cluster::{Claim, Lease, Leases, Spool};
use toex_indexer::jobs::{FileStatus, Job, JobState};

use super::Jobs;
use crate::PipelineError;

/// The leases this replica holds and the shared spool.
pub(super) struct Handover {
    leases: Leases,
    spool: Spool,
    /// Jobs this replica holds, and each lease's last sequence.
    held: Mutex<HashMap<String, u64>>,
    /// Jobs another replica took over from this one: left alone from now on.
    lost: Mutex<HashSet<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Jobs {
    /// Leases this replica's jobs on `leases` and keeps their files in `spool` from now on,
    /// and takes over the jobs of replicas that stop renewing theirs.
    pub fn hand_over(self: &Arc<Self>, leases: Leases, spool: Spool) {
        let handover = Arc::new(Handover {
            leases,
            spool,
            held: Mutex::new(HashMap::new()),
            lost: Mutex::new(HashSet::new()),
        });
        if self.handover.set(handover).is_err() {
            return;
        }
        tokio::spawn(self.clone().renew_leases());
        tokio::spawn(self.clone().take_over_lost_jobs());
    }

    /// Puts `job`'s waiting files from place `from` on into the shared spool (with NATS).
    pub(crate) async fn stash(&self, job: &Job, from: usize) -> Result<(), PipelineError> {
        let Some(handover) = self.handover.get() else {
            return Ok(());
        };
        for (i, file) in job.files.iter().enumerate().skip(from) {
            if file.status == FileStatus::Waiting && file.document_id.is_none() {
                handover.spool.put(&job.id, i, &file.path).await?;
            }
        }
        Ok(())
    }

    /// Before a new job is acknowledged (with NATS): its files in the shared spool, its
    /// lease taken, and its state shared, so any replica can finish it.
    pub(super) async fn hand_over_new(&self, job: &Job) -> Result<(), PipelineError> {
        let Some(handover) = self.handover.get() else {
            return Ok(());
        };
        self.stash(job, 0).await?;
        match handover.leases.claim(&job.id).await? {
            Claim::Held(sequence) => lock(&handover.held).insert(job.id.clone(), sequence),
            Claim::Other(holder) => {
                return Err(toex_cluster::ClusterError::Stream {
                    what: format!("leasing job {}", job.id),
                    reason: format!("replica {holder} holds it already"),
                }
                .into());
            }
        };
        if let Some(shared) = self.shared.get() {
            let body = serde_json::to_vec(job).unwrap_or_default();
            shared.latest.put(&job.id, body).await?;
        }
        Ok(())
    }

    /// Takes back an unfinished job found in this replica's store at start-up: `false`
    /// (and the local copy discarded) when another replica took it over meanwhile.
    pub async fn reclaim(&self, id: &str) -> bool {
        let Some(handover) = self.handover.get() else {
            return true;
        };
        loop {
            match handover.leases.claim(id).await {
                Ok(Claim::Held(sequence)) => {
                    lock(&handover.held).insert(id.to_owned(), sequence);
                    return true;
                }
                Ok(Claim::Other(holder)) => {
                    tracing::info!(
                        job = id,
                        holder,
                        "the job was taken over by another replica"
                    );
                    self.discard_copy(id);
                    return false;
                }
                // NATS is electing a leader, or not up yet: asked again shortly.
                Err(e) => {
                    tracing::debug!(job = id, error = %e, "claiming a job");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Whether another replica took job `id` over from this one.
    pub(crate) fn lost(&self, id: &str) -> bool {
        self.handover
            .get()
            .is_some_and(|h| lock(&h.lost).contains(id))
    }

    /// Discards this replica's copy of job `id` if another replica took it over: `true`
    /// when it did (the job is that replica's now).
    pub(super) fn forget_if_lost(&self, id: &str) -> bool {
        if !self.lost(id) {
            return false;
        }
        self.discard_copy(id);
        true
    }

    /// Removes this replica's copy of a job another replica runs now.
    fn discard_copy(&self, id: &str) {
        if let Err(e) = self.store.discard(id) {
            tracing::warn!(job = id, error = %e, "the local copy stays");
        }
    }

    /// Releases `job`'s lease and removes its spooled files (in the background: the job
    /// worker goes on to the next job): it is done, or it was never acknowledged.
    pub(super) fn let_go(&self, job: &Job) {
        let Some(handover) = self.handover.get() else {
            return;
        };
        lock(&handover.held).remove(&job.id);
        let (handover, id, count) = (handover.clone(), job.id.clone(), job.files.len());
        tokio::spawn(async move {
            if let Err(e) = handover.leases.release(&id).await {
                tracing::warn!(job = id, error = %e, "the job's lease stays");
            }
            handover.spool.remove(&id, count).await;
            tracing::debug!(job = id, "the job's lease and spooled files are let go");
        });
    }

    /// Renews every lease this replica holds, every third of a lease's term; a lease
    /// another replica took over is given up (its job is left alone from then on).
    async fn renew_leases(self: Arc<Self>) {
        let Some(handover) = self.handover.get() else {
            return;
        };
        loop {
            tokio::time::sleep(handover.leases.term / 3).await;
            let held: Vec<(String, u64)> = lock(&handover.held)
                .iter()
                .map(|(job, sequence)| (job.clone(), *sequence))
                .collect();
            for (job, sequence) in held {
                match handover.leases.renew(&job, sequence).await {
                    Ok(Some(next)) => {
                        if let Some(s) = lock(&handover.held).get_mut(&job) {
                            *s = next;
                        }
                    }
                    // (Unless it was let go meanwhile: then its lease is gone, not taken.)
                    Ok(None) => {
                        if lock(&handover.held).remove(&job).is_some() {
                            tracing::warn!(job, "another replica took the job over");
                            lock(&handover.lost).insert(job);
                        }
                    }
                    // NATS is away: renewed on the next turn (if it stays away a whole
                    // term, another replica may take the job, and the next renewal says so).
                    Err(e) => tracing::debug!(job, error = %e, "renewing a lease"),
                }
            }
        }
    }

    /// Watches the other replicas' leases and takes over each that goes a whole term
    /// unrenewed (its replica stopped), or one of this replica's own that it no longer
    /// has a copy of (it was replaced with an empty disk).
    async fn take_over_lost_jobs(self: Arc<Self>) {
        let Some(handover) = self.handover.get() else {
            return;
        };
        let term = handover.leases.term;
        // Each lease's sequence and since when this replica has seen it unchanged.
        let mut seen: HashMap<String, (u64, Instant)> = HashMap::new();
        loop {
            tokio::time::sleep(term / 3).await;
            let leases = match handover.leases.all().await {
                Ok(leases) => leases,
                Err(e) => {
                    tracing::debug!(error = %e, "listing job leases");
                    continue;
                }
            };
            seen.retain(|job, _| leases.iter().any(|l| &l.job == job));
            for lease in leases {
                let due = if lease.holder == handover.leases.holder() {
                    // This replica's own: held, or being claimed back at start-up, unless
                    // it has no copy of the job any more.
                    !lock(&handover.held).contains_key(&lease.job)
                        && !self.store.contains(&lease.job)
                } else {
                    let (sequence, since) = seen
                        .entry(lease.job.clone())
                        .or_insert((lease.sequence, Instant::now()));
                    if *sequence != lease.sequence {
                        (*sequence, *since) = (lease.sequence, Instant::now());
                    }
                    since.elapsed() >= term
                };
                if !due {
                    continue;
                }
                match handover.leases.take_over(&lease).await {
                    Ok(Some(sequence)) => {
                        seen.remove(&lease.job);
                        self.adopt(handover, &lease, sequence).await;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::debug!(job = lease.job, error = %e, "taking a job over"),
                }
            }
        }
    }

    /// Runs the job of `lease`, now held here at `sequence`: its last shared state, each
    /// waiting file fetched from the shared spool, queued like a job of this replica's.
    async fn adopt(&self, handover: &Handover, lease: &Lease, sequence: u64) {
        let id = &lease.job;
        // Held (and renewed) from now on, while NATS may still be electing a leader.
        lock(&handover.held).insert(id.clone(), sequence);
        let job = loop {
            match self.shared_state(id).await {
                Ok(job) => break job,
                Err(e) => {
                    tracing::debug!(job = id, error = %e, "reading a lost replica's job");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        };
        let job = match job {
            Some(job) if job.state != JobState::Done => job,
            // Finished: its lease and files go.
            Some(done) => return self.let_go(&done),
            // Never acknowledged (its replica stopped before sharing it): nothing to run.
            None => {
                lock(&handover.held).remove(id);
                if let Err(e) = handover.leases.release(id).await {
                    tracing::debug!(job = id, error = %e, "releasing a lease");
                }
                return;
            }
        };
        tracing::warn!(
            job = id,
            from = lease.holder,
            "taking over a lost replica's job"
        );
        match self.fetch_files(handover, job).await {
            Ok(job) => {
                tracing::info!(job = id, "the lost replica's job is queued here");
                self.resume(job.id).await;
            }
            // Given up here: once its lease goes stale, a replica (this one too) tries again.
            Err(e) => {
                tracing::error!(job = id, error = %e, "the job's files cannot be fetched");
                lock(&handover.held).remove(id);
            }
        }
    }

    /// `job` with each waiting file fetched into this replica's spool (a file the spool
    /// does not hold fails with the reason), saved here.
    async fn fetch_files(&self, handover: &Handover, mut job: Job) -> Result<Job, PipelineError> {
        let spool = self.store.spool(&job.id)?;
        for (i, file) in job.files.iter_mut().enumerate() {
            if file.status != FileStatus::Waiting || file.document_id.is_some() {
                continue;
            }
            // The name keeps the file's extension: media are kept by it.
            let extension = toex_formats::extension(&file.name);
            let clean =
                extension.chars().all(|c| c.is_ascii_alphanumeric()) && extension.len() <= 8;
            let path = match clean && !extension.is_empty() {
                true => spool.join(format!("{i}-taken.{extension}")),
                false => spool.join(format!("{i}-taken")),
            };
            match handover.spool.fetch(&job.id, i, &path).await {
                Ok(()) => file.path = path,
                Err(e) => {
                    file.status = FileStatus::Failed {
                        error: format!("the replica running the job was lost with this file: {e}"),
                    }
                }
            }
        }
        self.store.save(&job)?;
        self.publish(&job);
        Ok(job)
    }

    /// Job `id` as its replica last shared it.
    async fn shared_state(&self, id: &str) -> Result<Option<Job>, PipelineError> {
        let Some(shared) = self.shared.get() else {
            return Ok(None);
        };
        let Some(bytes) = shared.latest.get(id).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }
}
