//! Documents' originals: kept in this replica's media store and, with NATS, in the
//! shared store of originals too, so a replica serves an original another replica read
//! (fetched into its own store the first time it is asked for).

use std::path::PathBuf;

use toex_indexer::media::{MediaFile, content_type};

use crate::{PipelineError, Services};

/// An original some replica keeps: what it is and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub content_type: &'static str,
    pub bytes: u64,
}

/// The shared store of originals, and the lock that lets one request at a time fetch
/// into this replica's store.
pub struct SharedMedia {
    originals: toex_cluster::Originals,
    fetching: tokio::sync::Mutex<()>,
}

impl SharedMedia {
    pub fn new(originals: toex_cluster::Originals) -> Self {
        Self {
            originals,
            fetching: tokio::sync::Mutex::new(()),
        }
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> PipelineError {
    toex_indexer::IndexError::Jobs(format!("{what}: {e}")).into()
}

impl Services {
    /// Keeps the file at `path` as document `id`'s original, here and (with NATS) in
    /// the shared store, before the file counts as done.
    pub(crate) async fn keep_media(&self, id: &str, path: PathBuf) -> Result<(), PipelineError> {
        let jobs = self.jobs.clone();
        let (document, source) = (id.to_owned(), path.clone());
        tokio::task::spawn_blocking(move || jobs.store().media().attach(&document, &source))
            .await
            .map_err(|e| failed("keeping an original", e))??;
        if let Some(shared) = &self.shared_media {
            shared.originals.put(id, &path).await?;
        }
        Ok(())
    }

    /// Whether document `id` has an original and what it is, without fetching it.
    pub async fn media_kept(&self, id: &str) -> Option<Kept> {
        if let Some(file) = self.jobs.store().media().get(id) {
            return Some(Kept {
                content_type: file.content_type,
                bytes: file.bytes,
            });
        }
        let shared = self.shared_media.as_ref()?;
        match shared.originals.info(id).await {
            Ok(original) => original.map(|o| Kept {
                content_type: content_type(&o.extension),
                bytes: o.bytes,
            }),
            Err(e) => {
                tracing::warn!(document = id, error = %e, "reading the shared originals");
                None
            }
        }
    }

    /// Document `id`'s original in this replica's store, fetched there from the shared
    /// store when another replica read it.
    pub async fn media(&self, id: &str) -> Option<MediaFile> {
        let store = self.jobs.store().media();
        if let Some(file) = store.get(id) {
            return Some(file);
        }
        let shared = self.shared_media.as_ref()?;
        let _one_at_a_time = shared.fetching.lock().await;
        if let Some(file) = store.get(id) {
            return Some(file);
        }
        match self.fetch_media(shared, id).await {
            Ok(file) => file,
            Err(e) => {
                tracing::warn!(document = id, error = %e, "fetching a shared original");
                None
            }
        }
    }

    async fn fetch_media(
        &self,
        shared: &SharedMedia,
        id: &str,
    ) -> Result<Option<MediaFile>, PipelineError> {
        let folder = tempfile::tempdir().map_err(|e| failed("a scratch folder", e))?;
        let Some(path) = shared.originals.fetch(id, folder.path()).await? else {
            return Ok(None);
        };
        let (jobs, id) = (self.jobs.clone(), id.to_owned());
        let file = tokio::task::spawn_blocking(move || jobs.store().media().attach(&id, &path))
            .await
            .map_err(|e| failed("keeping a fetched original", e))??;
        Ok(Some(file))
    }
}
