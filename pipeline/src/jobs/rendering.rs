//! A file's text put into English at ingest by a `toex worker --tasks translate` (with
//! NATS, while such a worker is taking work): the text goes in the work item itself, and
//! the worker answers with the English and its provenance, as the replica's own models
//! would (`machine_translation`).

use serde::{Deserialize, Serialize};
use toex_cluster::Outcome;
use toex_indexer::{NewDocument, TranslationMeta};
use toex_inference::translate::Translators;

use super::WORKER_PATIENCE;
use super::translation::machine_translation;
use crate::{PipelineError, Services};

/// The work-queue task that translates text.
pub const TRANSLATE: &str = "translate";

/// What a worker is sent: the text itself (no file).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranslateItem {
    /// The file's name, for the worker's log.
    pub name: String,
    pub text: String,
    /// ISO 639-1 code of the text, as detected or stated.
    pub language: String,
}

/// A text in English, or nothing when no line of it could be translated.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rendered {
    pub english: Option<(String, TranslationMeta)>,
}

/// Translates `item` on `translators` (blocking: on a CPU pool). Lines no model covers
/// stay as they are; a failure leaves the text untranslated (and searchable).
pub fn render_on(translators: &Translators, item: &TranslateItem) -> Rendered {
    let (text, meta) =
        machine_translation(translators, &item.text, Some(&item.language), &item.name);
    Rendered {
        english: text.zip(meta),
    }
}

impl Services {
    /// Whether this replica's texts go to translation workers: with NATS, while one
    /// takes work (else the replica's own models translate, if it has any).
    pub(super) async fn translating_on_workers(&self) -> bool {
        match &self.work {
            Some(work) => work.has_takers(TRANSLATE).await,
            None => false,
        }
    }

    /// Puts each of `docs` that is not in English and not translated yet into English
    /// on the workers, side by side; `job` and each document's place name the items.
    pub(super) async fn translate_on_workers(
        &self,
        job: &str,
        docs: &mut [(usize, NewDocument)],
    ) -> Result<(), PipelineError> {
        let Some(work) = &self.work else {
            return Ok(());
        };
        let wanted: Vec<usize> = (0..docs.len())
            .filter(|&k| {
                let doc = &docs[k].1;
                doc.translation.is_none() && doc.language.as_deref().is_some_and(|l| l != "en")
            })
            .collect();
        let asked = wanted.iter().map(|&k| {
            let (i, doc) = &docs[k];
            let item = TranslateItem {
                name: doc.title.clone(),
                text: doc.text.clone(),
                language: doc.language.clone().unwrap_or_default(),
            };
            let id = format!("{job}-{i}-en");
            async move {
                work.run::<_, Rendered>(TRANSLATE, &id, &item, None, WORKER_PATIENCE)
                    .await
            }
        });
        let answers = futures::future::join_all(asked).await;
        for (k, answer) in wanted.into_iter().zip(answers) {
            match answer? {
                Outcome::Done(Rendered {
                    english: Some((text, meta)),
                }) => {
                    docs[k].1.translation = Some(text);
                    docs[k].1.translation_meta = Some(meta);
                }
                Outcome::Done(Rendered { english: None }) => {}
                // The text stays searchable untranslated, as with a local failure.
                Outcome::Failed(reason) => {
                    tracing::warn!(file = docs[k].1.title, reason, "not translated");
                }
            }
        }
        Ok(())
    }
}
