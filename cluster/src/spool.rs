//! The files of unfinished jobs in JetStream's object store: each waiting file of a job
//! is stored there before the job state that lists it is, so a replica that takes the job
//! over fetches what the lost one had on its disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream::object_store::{self, ObjectStore};
use async_nats::jetstream::stream::StorageType;

use crate::latest::key_of;
use crate::{ClusterError, Nats};

const BUCKET: &str = "toex-spool";
/// Files of a job kept at most this long (a job runs for hours, not weeks).
const KEEP: Duration = Duration::from_secs(14 * 24 * 3600);
/// How long a fetch is tried again while the cluster cannot answer.
const PATIENCE: Duration = Duration::from_secs(60);

/// Why one try at fetching a file failed.
enum Fetch {
    /// The bucket does not hold it.
    Absent,
    /// For good: it cannot be written here.
    Missing(String),
    /// For now: NATS did not answer.
    Again(String),
}

/// The shared spool.
pub struct Spool {
    files: ObjectStore,
}

impl Spool {
    /// Makes (or finds) the spool's bucket.
    pub async fn open(nats: &Nats) -> Result<Self, ClusterError> {
        Ok(Self {
            files: bucket(nats, BUCKET, KEEP).await?,
        })
    }

    /// Stores file `place` of `job` from `path` (again, if it was stored before).
    pub async fn put(&self, job: &str, place: usize, path: &Path) -> Result<(), ClusterError> {
        put_file(
            &self.files,
            &name_of(job, place),
            HashMap::new(),
            path,
            "storing a job's file",
        )
        .await
    }

    /// Fetches file `place` of `job` to `path`; asked again while NATS elects a leader,
    /// an error at once for a file the spool does not hold.
    pub async fn fetch(&self, job: &str, place: usize, path: &Path) -> Result<(), ClusterError> {
        let name = name_of(job, place);
        match fetch_file(&self.files, &name, |_| path.to_owned()).await? {
            Some(_) => Ok(()),
            None => Err(ClusterError::Stream {
                what: format!("fetching {name} from the spool"),
                reason: "the spool does not hold it".to_owned(),
            }),
        }
    }

    /// Removes the first `count` files of a finished job (those never stored are
    /// skipped).
    pub async fn remove(&self, job: &str, count: usize) {
        for place in 0..count {
            let _ = self.files.delete(name_of(job, place).as_str()).await;
        }
    }
}

/// Makes (or finds) object-store bucket `name` on file storage with the cluster's
/// replicas, each object kept `keep` (zero: until removed).
pub(crate) async fn bucket(
    nats: &Nats,
    name: &str,
    keep: Duration,
) -> Result<ObjectStore, ClusterError> {
    let replicas = nats.settings.stream_replicas;
    let js = &nats.js;
    crate::log::patiently(&format!("making bucket {name}"), || {
        js.create_object_store(object_store::Config {
            bucket: name.to_owned(),
            max_age: keep,
            storage: StorageType::File,
            num_replicas: replicas,
            ..Default::default()
        })
    })
    .await
}

/// Fetches `name` from `files` to the path `to` makes of the object's metadata, asked
/// again while NATS elects a leader: where it was written, or `None` when `files` does
/// not hold it.
pub(crate) async fn fetch_file(
    files: &ObjectStore,
    name: &str,
    to: impl Fn(&HashMap<String, String>) -> PathBuf,
) -> Result<Option<PathBuf>, ClusterError> {
    let started = std::time::Instant::now();
    loop {
        let reason = match fetch_once(files, name, &to).await {
            Ok(path) => return Ok(Some(path)),
            Err(Fetch::Absent) => return Ok(None),
            Err(Fetch::Missing(reason)) => reason,
            Err(Fetch::Again(reason)) if started.elapsed() < PATIENCE => {
                tracing::debug!(name, reason, "fetching a file again");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            Err(Fetch::Again(reason)) => reason,
        };
        return Err(ClusterError::Stream {
            what: format!("fetching {name} from the object store"),
            reason,
        });
    }
}

async fn fetch_once(
    files: &ObjectStore,
    name: &str,
    to: impl Fn(&HashMap<String, String>) -> PathBuf,
) -> Result<PathBuf, Fetch> {
    let mut object = match files.get(name).await {
        Ok(object) => object,
        Err(e) if e.kind() == object_store::GetErrorKind::NotFound => return Err(Fetch::Absent),
        Err(e) => return Err(Fetch::Again(e.to_string())),
    };
    let path = to(&object.info.metadata);
    let written = |e: std::io::Error| Fetch::Missing(format!("writing {}: {e}", path.display()));
    let mut out = tokio::fs::File::create(&path).await.map_err(written)?;
    tokio::io::copy(&mut object, &mut out)
        .await
        .map_err(|e| Fetch::Again(e.to_string()))?;
    out.sync_all().await.map_err(written)?;
    Ok(path)
}

/// Stores the file at `path` in `files` as `name`, with `metadata` beside it, asked again
/// while NATS elects a leader.
pub(crate) async fn put_file(
    files: &ObjectStore,
    name: &str,
    metadata: HashMap<String, String>,
    path: &Path,
    what: &str,
) -> Result<(), ClusterError> {
    crate::log::patiently(what, || async {
        let mut reader = tokio::fs::File::open(path)
            .await
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let meta = object_store::ObjectMetadata {
            name: name.to_owned(),
            metadata: metadata.clone(),
            ..Default::default()
        };
        files
            .put(meta, &mut reader)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    })
    .await
}

fn name_of(job: &str, place: usize) -> String {
    format!("{}.{place}", key_of(job))
}
