//! Vectors made once per document, before it enters the index log (with NATS): by a
//! `toex worker --tasks embed` while one is taking work, else by this replica's own
//! model; every replica then stores them as they came instead of embedding each document
//! again. Without either, the replicas embed what they apply themselves.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toex_cluster::{Outcome, WorkQueue};
use toex_indexer::{Embed, Embedded, NewDocument};

use crate::{PipelineError, Services, hex};

/// The work-queue task that embeds text.
pub const EMBED: &str = "embed";
/// Texts per work item: its vectors stay well under a NATS message.
const TEXTS_PER_ITEM: usize = 64;
/// How long a replica waits for an embedding worker before it embeds here.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(600);

/// What an embedding worker is sent: the texts themselves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmbedItem {
    pub texts: Vec<String>,
}

/// What it answers: the model, and one vector per text, packed in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Embedding {
    pub model: String,
    pub packed: String,
}

/// Embeds `item` with `model`, on the calling thread (a pool's).
pub fn embed_on(model: &dyn Embed, item: &EmbedItem) -> Result<Embedding, String> {
    let texts: Vec<&str> = item.texts.iter().map(String::as_str).collect();
    let vectors = model.embed(&texts).map_err(|e| e.to_string())?;
    Ok(Embedding {
        model: model.model_id().to_owned(),
        packed: toex_indexer::pack(&vectors),
    })
}

impl Services {
    /// Each of `docs`' vectors, made once for every replica: on an embedding worker
    /// while one takes `embed`, else here with the index's model (`None` each without
    /// one, or where the workers failed: the replicas embed those themselves).
    pub(crate) async fn embed_once(&self, docs: &[NewDocument]) -> Vec<Option<Embedded>> {
        let workers = match self.work.as_deref() {
            Some(work) => work
                .has_takers(EMBED)
                .await
                .ok()
                .filter(|t| *t)
                .map(|_| work),
            None => None,
        };
        let made = match workers {
            Some(work) => self.embed_on_workers(work, docs).await,
            // Nothing to make here: each replica with a model embeds what it applies.
            None if self.index.embedding_model().is_none() => Ok(vec![None; docs.len()]),
            None => {
                let (index, batch) = (self.index.clone(), docs.to_vec());
                match self.cpu.run(move || index.embed(&batch)).await {
                    Ok(Ok(embedded)) => Ok(embedded),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        made.unwrap_or_else(|reason| {
            tracing::warn!(reason, "embedding a batch: each replica embeds it instead");
            vec![None; docs.len()]
        })
    }

    async fn embed_on_workers(
        &self,
        work: &WorkQueue,
        docs: &[NewDocument],
    ) -> Result<Vec<Option<Embedded>>, String> {
        let batch = docs.to_vec();
        let chunks = self
            .cpu
            .run(move || {
                batch
                    .iter()
                    .map(NewDocument::texts_to_embed)
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| e.to_string())?;
        let texts: Vec<String> = chunks.iter().flatten().map(|(_, _, t)| t.clone()).collect();
        let asked = texts.chunks(TEXTS_PER_ITEM).map(|texts| async move {
            let item = EmbedItem {
                texts: texts.to_vec(),
            };
            // The same texts are the same item: asked again after a crash, answered once.
            let id = format!(
                "embed-{}",
                hex(&Sha256::digest(texts.join("\n").as_bytes()))
            );
            match work
                .run_while_taken::<_, Embedding>(EMBED, &id, &item, None, PATIENCE)
                .await
            {
                Ok(Outcome::Done(embedding)) => Ok(embedding),
                Ok(Outcome::Failed(reason)) => Err(reason),
                Err(e) => Err(e.to_string()),
            }
        });
        let mut model = None;
        let mut vectors = Vec::with_capacity(texts.len());
        for answer in futures::future::join_all(asked).await {
            let answer = answer?;
            if model.get_or_insert_with(|| answer.model.clone()) != &answer.model {
                return Err("the embedding workers run different models".to_owned());
            }
            vectors.extend(toex_indexer::unpack(&answer.packed).map_err(|e| e.to_string())?);
        }
        let Some(model) = model else {
            // Nothing to embed: no document has English text.
            return Ok(vec![None; docs.len()]);
        };
        let mut vectors = vectors.into_iter();
        chunks
            .iter()
            .map(|spans| {
                let mine: Vec<Vec<f32>> = vectors.by_ref().take(spans.len()).collect();
                Embedded::from_vectors(&model, spans, mine)
                    .map(Some)
                    .map_err(|e| e.to_string())
            })
            .collect()
    }
}

/// Loads the embedding model in `dir` once, for a worker.
pub(crate) fn load_model(dir: &std::path::Path) -> Result<Arc<dyn Embed>, PipelineError> {
    let model = toex_inference::embed::Embedder::shared(dir).map_err(|e| PipelineError::Open {
        what: format!("the embedding model in {}", dir.display()),
        reason: format!("{e} (scripts/fetch-models.sh installs it)"),
    })?;
    Ok(Arc::new(crate::models::MiniLm(model)))
}
