//! Text put into English by a `toex worker --tasks translate` (with NATS, while such a
//! worker is taking work): a file's text at ingest, and a stored document in a
//! translation job. The text goes in the work item itself, and the worker answers with the
//! English and its provenance, as the replica's own models would.

use serde::{Deserialize, Serialize};
use toex_cluster::{Outcome, WorkQueue};
use toex_indexer::{NewDocument, TranslationMeta};
use toex_inference::InferenceError;
use toex_inference::translate::{Missing, Translators};

use super::WORKER_PATIENCE;
use super::translation::{machine_translation, provenance};
use crate::{PipelineError, Services};

/// The work-queue task that translates text.
pub const TRANSLATE: &str = "translate";

/// What a worker is sent: the text itself (no file).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranslateItem {
    /// The file's name, for the worker's log.
    pub name: String,
    pub text: String,
    /// ISO 639-1 code of the text, as detected or stated (none: each line's own).
    pub language: Option<String>,
    /// A translation job's document: every line in a language other than English is
    /// translated, and a language without a model leaves the whole text waiting (at
    /// ingest, such lines stay as they are and English is left alone but for Arabizi).
    #[serde(default)]
    pub every_line: bool,
}

/// A text in English, or nothing when no line of it could be translated.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rendered {
    pub english: Option<(String, TranslationMeta)>,
    /// Why the text waits untranslated (a translation job's document in a language the
    /// worker has no model for).
    #[serde(default)]
    pub waiting: Option<String>,
}

/// Translates `item` on `translators` (blocking: on a CPU pool). At ingest, lines no
/// model covers stay as they are and a failure leaves the text untranslated (and
/// searchable); in a translation job, a failure is the item's.
pub fn render_on(translators: &Translators, item: &TranslateItem) -> Result<Rendered, String> {
    if !item.every_line {
        let (text, meta) = machine_translation(
            translators,
            &item.text,
            item.language.as_deref(),
            &item.name,
        );
        return Ok(Rendered {
            english: text.zip(meta),
            waiting: None,
        });
    }
    let language = item.language.as_deref();
    match translators.translate(&item.text, None, language, Missing::Refuse, &mut |_, _| {}) {
        Ok(t) => Ok(Rendered {
            english: Some((t.lines.join("\n"), provenance(&t))),
            waiting: None,
        }),
        Err(InferenceError::Model(reason)) => Ok(Rendered {
            english: None,
            waiting: Some(reason),
        }),
        Err(e) => Err(e.to_string()),
    }
}

impl Services {
    /// The work queue, while this replica's texts go to translation workers: with NATS,
    /// while one takes work (else the replica's own models translate, if it has any).
    pub(super) async fn translation_workers(&self) -> Result<Option<&WorkQueue>, PipelineError> {
        let Some(work) = self.work.as_deref() else {
            return Ok(None);
        };
        Ok(work.has_takers(TRANSLATE).await?.then_some(work))
    }

    /// Whether texts can be put into English here: by this replica's own models, or by
    /// translation workers taking work.
    pub async fn translates(&self) -> Result<bool, PipelineError> {
        Ok(!self.translation.get().is_empty() || self.translation_workers().await?.is_some())
    }
}

/// Puts each of `docs` whose place is in `foreign` (a text not in English, or an English
/// one with Arabizi lines) and that is not translated yet into English on the workers;
/// `job` and each document's place name the items.
pub(super) async fn translate_on_workers(
    work: &WorkQueue,
    job: &str,
    docs: &mut [(usize, NewDocument)],
    foreign: &std::collections::HashSet<usize>,
) -> Result<(), PipelineError> {
    let items = (0..docs.len())
        .filter(|&k| foreign.contains(&docs[k].0) && docs[k].1.translation.is_none())
        .map(|k| {
            let (i, doc) = &docs[k];
            let item = TranslateItem {
                name: doc.title.clone(),
                text: doc.text.clone(),
                language: doc.language.clone(),
                every_line: false,
            };
            (*i, item)
        })
        .collect::<Vec<_>>();
    if items.is_empty() {
        return Ok(());
    }
    for (i, answer) in render_on_workers(work, job, items).await? {
        let Some(k) = docs.iter().position(|(place, _)| *place == i) else {
            continue;
        };
        match answer {
            Outcome::Done(Rendered {
                english: Some((text, meta)),
                ..
            }) => {
                docs[k].1.translation = Some(text);
                docs[k].1.translation_meta = Some(meta);
            }
            Outcome::Done(Rendered { english: None, .. }) => {}
            // The text stays searchable untranslated, as with a local failure.
            Outcome::Failed(reason) => {
                tracing::warn!(file = docs[k].1.title, reason, "not translated");
            }
        }
    }
    Ok(())
}

/// Sends `items` to the translation workers on `work` side by side, each named by `job`
/// and its place, and waits for every answer (an item fails once no worker takes
/// translation any more: the text stays untranslated, as without a model).
pub(super) async fn render_on_workers(
    work: &WorkQueue,
    job: &str,
    items: Vec<(usize, TranslateItem)>,
) -> Result<Vec<(usize, Outcome<Rendered>)>, PipelineError> {
    let asked = items.iter().map(|(i, item)| {
        let id = format!("{job}-{i}-en");
        async move {
            work.run_while_taken::<_, Rendered>(TRANSLATE, &id, item, None, WORKER_PATIENCE)
                .await
        }
    });
    let answers = futures::future::join_all(asked).await;
    items
        .into_iter()
        .zip(answers)
        .map(|((i, _), answer)| Ok((i, answer?)))
        .collect()
}
