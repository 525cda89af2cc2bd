//! Documents' originals (recordings, photos, scans, PDFs) in JetStream's object store:
//! the replica that reads a file keeps it there too, so any replica can serve any
//! document's original without a shared disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use async_nats::jetstream::object_store::{self, ObjectStore};

use crate::{ClusterError, Latest, Nats};

const BUCKET: &str = "toex-media";
/// The stream of keys the replicas agree on.
const KEYS: &str = "TOEX_KEYS";
/// The metadata field that keeps an original's extension (its format).
const EXTENSION: &str = "extension";

/// An original the shared store holds: its extension and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    pub extension: String,
    pub bytes: u64,
}

/// The shared store of originals.
pub struct Originals {
    files: ObjectStore,
}

impl Originals {
    /// Makes (or finds) the bucket; originals are kept as long as their documents.
    pub async fn open(nats: &Nats) -> Result<Self, ClusterError> {
        Ok(Self {
            files: crate::spool::bucket(nats, BUCKET, std::time::Duration::ZERO).await?,
        })
    }

    /// Stores the file at `path` (its extension its format) as document `id`'s original,
    /// replacing any earlier one.
    pub async fn put(&self, id: &str, path: &Path) -> Result<(), ClusterError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let metadata = HashMap::from([(EXTENSION.to_owned(), extension)]);
        crate::spool::put_file(&self.files, id, metadata, path, "storing an original").await
    }

    /// Document `id`'s original, if the store holds one (its metadata alone).
    pub async fn info(&self, id: &str) -> Result<Option<Original>, ClusterError> {
        let info = crate::log::patiently("reading an original's metadata", || async {
            match self.files.info(id).await {
                Ok(info) => Ok(Some(info)),
                Err(e) if e.kind() == object_store::InfoErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        })
        .await?;
        Ok(info.filter(|i| !i.deleted).map(|i| Original {
            extension: i.metadata.get(EXTENSION).cloned().unwrap_or_default(),
            bytes: i.size as u64,
        }))
    }

    /// Fetches document `id`'s original into `folder` as `<id>.<extension>`: its path, or
    /// `None` when the store holds none.
    pub async fn fetch(&self, id: &str, folder: &Path) -> Result<Option<PathBuf>, ClusterError> {
        crate::spool::fetch_file(&self.files, id, |metadata| {
            let extension = metadata.get(EXTENSION).map_or("", String::as_str);
            folder.join(format!("{id}.{extension}"))
        })
        .await
    }
}

/// The key named `name` every replica uses: the first replica's `candidate`, agreed by a
/// compare-and-set (so of two replicas starting together one wins, and both use its key).
/// Whoever reaches NATS can read it, as they can read the originals themselves.
pub async fn agreed_key(
    nats: &Nats,
    name: &str,
    candidate: [u8; 32],
) -> Result<[u8; 32], ClusterError> {
    let keys = Latest::open_keeping(nats, KEYS, "toex.key", std::time::Duration::ZERO).await?;
    // Each step asked again while a stream just made elects its leader.
    loop {
        let agreed = crate::log::patiently("reading an agreed key", || keys.get(name)).await?;
        if let Some(key) = agreed {
            return key.try_into().map_err(|k: Vec<u8>| {
                ClusterError::Encode(format!("key `{name}` is {} bytes, not 32", k.len()))
            });
        }
        let offered = crate::log::patiently("offering a key", || {
            keys.put_expecting(name, candidate.to_vec(), 0)
        })
        .await?;
        if offered.is_some() {
            return Ok(candidate);
        }
    }
}
