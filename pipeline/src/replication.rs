//! The index as a replicated log (with `nats.url` set): a write publishes each document
//! to the `TOEX_INDEX` stream, every replica applies the stream to its own tantivy index
//! through its durable consumer, and the replica that took the write answers once it has
//! applied it (so a client reads its own writes). Documents are idempotent by id and
//! content hash, so an entry applied twice leaves one document.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toex_cluster::{ClusterError, Log, LogState, Nats};
use toex_indexer::{Added, Embedded, NewDocument, SearchIndex};

use crate::{PipelineError, Services, hex};

/// The stream of prepared documents every search replica follows.
pub const INDEX_STREAM: &str = "TOEX_INDEX";
const INDEX_SUBJECT: &str = "toex.index";

/// One entry of the index log.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IndexEntry {
    /// A document to (re-)index, with the time the accepting replica took it and its
    /// vectors, made once (absent: each replica embeds it).
    Document {
        doc: Box<NewDocument>,
        at_micros: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        embedded: Option<Embedded>,
    },
}

/// This replica's place in the index log.
pub struct Replication {
    log: Arc<Log>,
    apply_timeout: Duration,
    /// Whether this process applies the log (a server does; a command such as
    /// `toex ingest` only publishes, and the replicas apply what it wrote).
    following: std::sync::atomic::AtomicBool,
}

impl Replication {
    /// Makes (or finds) the index stream; `replica` names this replica's consumer.
    pub async fn open(nats: &Nats, replica: &str) -> Result<Self, PipelineError> {
        let settings = nats.settings();
        let log = Log::open(nats, INDEX_STREAM, INDEX_SUBJECT, replica)
            .await
            .map_err(|e| PipelineError::Open {
                what: "the index log on NATS JetStream".to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            log: Arc::new(log),
            apply_timeout: Duration::from_millis(settings.apply_timeout_ms),
            following: Default::default(),
        })
    }

    pub fn state(&self) -> LogState {
        self.log.state()
    }

    /// Applies the log to `index` from where this replica stopped, for as long as the
    /// process runs. Indexing runs on `cpu`, never on the runtime.
    pub fn follow(
        &self,
        index: Arc<SearchIndex>,
        cpu: toex_cpu::CpuPool,
    ) -> toex_cluster::Followed {
        self.following
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.log.follow(move |entries: Vec<IndexEntry>| {
            let (index, cpu) = (index.clone(), cpu.clone());
            async move {
                // Everything fetched together is one commit.
                let (mut docs, mut times, mut vectors) = (Vec::new(), Vec::new(), Vec::new());
                for IndexEntry::Document {
                    doc,
                    at_micros,
                    embedded,
                } in entries
                {
                    docs.push(*doc);
                    times.push(at_micros);
                    vectors.push(embedded);
                }
                cpu.run(move || apply(&index, &docs, &times, &vectors))
                    .await
                    .map_err(|e| e.to_string())?
            }
        })
    }

    /// Publishes `docs` with their vectors and waits until this replica has applied them:
    /// each document's outcome (a document the index would refuse is refused here,
    /// before publishing).
    async fn add(
        &self,
        docs: &[NewDocument],
        embedded: Vec<Option<Embedded>>,
    ) -> Vec<Result<Added, PipelineError>> {
        let at_micros = chrono::Utc::now().timestamp_micros();
        let mut outcomes = Vec::with_capacity(docs.len());
        let mut entries = Vec::new();
        for (doc, embedded) in docs.iter().zip(embedded) {
            if let Err(e) = doc.validate() {
                outcomes.push(Err(e.into()));
                continue;
            }
            let hash = doc.content_hash();
            let added = Added {
                id: NewDocument::id_of(&hash),
                content_hash: hash,
            };
            let mut entry = IndexEntry::Document {
                doc: Box::new(doc.clone()),
                at_micros,
                embedded,
            };
            let mut encoded = self.log.encode(&entry);
            if let (Err(ClusterError::TooLarge { .. }), IndexEntry::Document { embedded, .. }) =
                (&encoded, &mut entry)
                && embedded.take().is_some()
            {
                // Too large with its vectors: each replica embeds it instead.
                encoded = self.log.encode(&entry);
            }
            match encoded {
                Ok(bytes) => {
                    // The same bytes again (a retry) are stored once.
                    let id = hex(&Sha256::digest(&bytes));
                    entries.push((id, bytes));
                    outcomes.push(Ok(added));
                }
                Err(e @ ClusterError::TooLarge { .. }) => {
                    outcomes.push(Err(PipelineError::InvalidInput(e.to_string())));
                }
                Err(e) => outcomes.push(Err(e.into())),
            }
        }
        if entries.is_empty() {
            return outcomes;
        }
        let stored = match self.log.publish(entries).await {
            Ok(sequence) if self.following.load(std::sync::atomic::Ordering::Relaxed) => {
                self.log.wait_applied(sequence, self.apply_timeout).await
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        match stored {
            Ok(()) => outcomes,
            Err(e) => {
                let shared = Arc::new(PipelineError::from(e));
                outcomes
                    .into_iter()
                    .map(|o| o.and_then(|_| Err(PipelineError::Shared(shared.clone()))))
                    .collect()
            }
        }
    }
}

/// Indexes what the log brought with one commit. A document the index refuses (checked
/// before publishing, so only a bug or a newer writer's entry) is logged and skipped,
/// one by one, so that it can never hold the log up; any other failure is retried.
fn apply(
    index: &SearchIndex,
    docs: &[NewDocument],
    times: &[i64],
    embedded: &[Option<Embedded>],
) -> Result<(), String> {
    use toex_indexer::IndexError::InvalidDocument;
    match index.add_documents_embedded(docs, times, embedded) {
        Ok(_) => Ok(()),
        Err(InvalidDocument(reason)) if docs.len() == 1 => {
            tracing::error!(
                title = docs[0].title,
                reason,
                "an entry of the index log refused: skipped"
            );
            Ok(())
        }
        Err(InvalidDocument(_)) => (0..docs.len()).try_for_each(|i| {
            let one = i..i + 1;
            apply(
                index,
                &docs[one.clone()],
                &times[one.clone()],
                &embedded[one],
            )
        }),
        Err(e) => Err(e.to_string()),
    }
}

impl Services {
    /// Indexes `docs` with one commit: straight into this process's index, or through
    /// the index log when replicated. One outcome per document.
    pub(crate) async fn index_documents(
        &self,
        docs: &[NewDocument],
    ) -> Vec<Result<Added, PipelineError>> {
        if let Some(replication) = &self.replication {
            let embedded = self.embed_once(docs).await;
            return replication.add(docs, embedded).await;
        }
        let count = docs.len();
        let index = self.index.clone();
        let batch = docs.to_vec();
        match self
            .cpu
            .run(move || index.add_documents_hashed(&batch))
            .await
        {
            Ok(Ok(ids)) => ids.into_iter().map(Ok).collect(),
            Ok(Err(toex_indexer::IndexError::InvalidDocument(_))) if docs.len() > 1 => {
                let mut out = Vec::new();
                for doc in docs.iter().cloned() {
                    let index = self.index.clone();
                    out.push(
                        match self
                            .cpu
                            .run(move || index.add_documents_hashed(&[doc]))
                            .await
                        {
                            Ok(Ok(mut added)) => Ok(added.remove(0)),
                            Ok(Err(e)) => Err(e.into()),
                            Err(e) => Err(e.into()),
                        },
                    );
                }
                out
            }
            Ok(Err(e)) => PipelineError::for_each(e.into(), count),
            Err(e) => PipelineError::for_each(e.into(), count),
        }
    }

    /// Keeps an analyst's corrected translation of document `id` (inside `scope`)
    /// beside the machine one; `None` when the document is not there for them.
    pub async fn correct_translation(
        &self,
        id: String,
        scope: toex_scope::Scope,
        text: String,
        by: String,
    ) -> Result<Option<toex_indexer::StoredDocument>, PipelineError> {
        // Checked here, then written the one way every document is (straight into the
        // index, or through the index log).
        let index = self.index.clone();
        let (check, check_scope) = (id.clone(), scope.clone());
        let Some(doc) = self
            .cpu
            .run(move || index.corrected(&check, &check_scope, &text, &by))
            .await??
        else {
            return Ok(None);
        };
        self.index_documents(&[doc]).await.pop().transpose()?;
        let index = self.index.clone();
        Ok(self.cpu.run(move || index.get(&id, &scope)).await??)
    }
}
