//! Translation: of a file's text at ingest, and translation jobs over stored documents
//! (each translated on the CPU pool, or on the translation workers while any take work,
//! then indexed again in batches, its mentions found again and linked).

use std::collections::HashMap;

use chrono::Utc;
use toex_cluster::{Outcome, WorkQueue};
use toex_indexer::jobs::{FileStatus, Job, JobState};
use toex_indexer::{NewDocument, StoredDocument, TranslationMeta};

use super::item_progress;
use super::rendering::{Rendered, TranslateItem, render_on_workers};
use crate::{PipelineError, Services, WhileGraphDown};

/// Translated documents indexed with one commit, at most.
const TRANSLATE_BATCH_DOCS: usize = 16;
/// Longest a translated document waits for its batch's commit.
const TRANSLATE_BATCH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The English of a non-English text (or of an English one's Arabizi lines), line for
/// line, each line by the model of its own language (the document's when the line's has
/// none but shares its script), with its provenance; lines no model has stay as they are. Nothing when no line was translated.
/// A failure is logged and leaves the document untranslated (and searchable).
pub(crate) fn machine_translation(
    translators: &toex_inference::translate::Translators,
    text: &str,
    language: Option<&str>,
    name: &str,
) -> (Option<String>, Option<toex_indexer::TranslationMeta>) {
    if translators.is_empty() || !wants_english(text, language) {
        return (None, None);
    }
    let foreign = language.filter(|l| *l != "en");
    let missing = toex_inference::translate::Missing::Keep;
    match translators.translate(text, None, foreign, missing, &mut |_, _| {}) {
        Ok(t) if t.runs.is_empty() => (None, None),
        Ok(t) => (Some(t.lines.join("\n")), Some(provenance(&t))),
        Err(err) => {
            tracing::warn!(file = name, error = %err, "not translated");
            (None, None)
        }
    }
}

/// The provenance of a machine translation: engines, model names, weights hashes, now,
/// and which model translated which lines.
pub(super) fn provenance(
    t: &toex_inference::translate::Translation,
) -> toex_indexer::TranslationMeta {
    let (model, version): (Vec<&str>, Vec<&str>) = t
        .models
        .iter()
        .map(|m| m.split_once('@').unwrap_or((m.as_str(), "")))
        .unzip();
    toex_indexer::TranslationMeta {
        engine: t.engine.clone(),
        model: Some(model.join(",")),
        version: Some(version.join(",")),
        translated_at: Some(Utc::now().to_rfc3339()),
        lines: t
            .runs
            .iter()
            .map(|r| toex_indexer::TranslatedLines {
                first: r.first,
                last: r.last,
                language: r.language.clone(),
                model: r.model.clone(),
            })
            .collect(),
    }
}

/// Whether a text in `language` has lines to put into English: any non-English text, and
/// an English one with Arabizi lines (Arabic in Latin letters). Reads the whole text:
/// call it off the async runtime.
pub(crate) fn wants_english(text: &str, language: Option<&str>) -> bool {
    language.is_some_and(|l| l != "en") || toex_inference::translate::arabizi::has_arabizi(text)
}

/// What translating one stored document came to.
enum Translated {
    Doc(Box<NewDocument>),
    Status(FileStatus),
}

/// Stored document `id` of `force` (blocking: on the CPU pool), or why it cannot be
/// translated.
fn read_stored(
    index: &toex_indexer::SearchIndex,
    id: &str,
    force: &str,
) -> Result<StoredDocument, FileStatus> {
    let fail = |error: String| FileStatus::Failed { error };
    // The job was authorised for `force` when it was queued; it works on that force only.
    let scope = toex_indexer::Scope::new(&[force.to_owned()], &[], true)
        .map_err(|e| fail(e.to_string()))?;
    match index.get(id, &scope) {
        Ok(Some(stored)) => Ok(stored),
        Ok(None) => Err(fail("the document is no longer in the index".to_owned())),
        Err(e) => Err(fail(format!("the document cannot be read: {e}"))),
    }
}

/// The document to index again in place of stored document `id`: same id, same
/// original, the new translation and its provenance, the analyst's correction kept.
fn retranslated(
    stored: StoredDocument,
    id: &str,
    english: String,
    meta: TranslationMeta,
) -> Translated {
    let doc = NewDocument {
        title: stored.title,
        text: stored.text,
        language: stored.language,
        translation: Some(english),
        force: stored.force,
        operation: stored.operation,
        source_type: stored.source_type,
        segments: stored.segments,
        mentions: Vec::new(),
        translation_meta: Some(meta),
        correction: stored.correction,
        provenance: stored.provenance,
    };
    if doc.id() != id {
        // Indexing it would add a second document instead of replacing this one.
        return Translated::Status(FileStatus::Failed {
            error: "the stored copy no longer matches its id; ingest it again".to_owned(),
        });
    }
    Translated::Doc(Box::new(doc))
}

/// Translates stored document `id` of `force` here (blocking: on the CPU pool) into the
/// document to index again. A language without a model leaves it pending, untranslated
/// and searchable.
fn translate_stored(
    index: &toex_indexer::SearchIndex,
    translators: &toex_inference::translate::Translators,
    id: &str,
    force: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Translated {
    let stored = match read_stored(index, id, force) {
        Ok(stored) => stored,
        Err(status) => return Translated::Status(status),
    };
    match translators.translate(
        &stored.text,
        None,
        stored.language.as_deref(),
        toex_inference::translate::Missing::Refuse,
        progress,
    ) {
        Ok(t) => {
            let meta = provenance(&t);
            retranslated(stored, id, t.lines.join("\n"), meta)
        }
        Err(toex_inference::InferenceError::Model(reason)) => {
            Translated::Status(FileStatus::Pending { reason })
        }
        Err(e) => Translated::Status(FileStatus::Failed {
            error: e.to_string(),
        }),
    }
}

impl Services {
    /// Runs a translation job to the end from wherever it stopped: each waiting document
    /// is translated on the CPU pool (subscribers hear its sentences go by), then indexed
    /// again in batches with one commit each, its mentions found again and linked. A
    /// document translated before a crash is translated again, never duplicated.
    pub async fn run_translation_job(&self, mut job: Job) -> Result<Job, PipelineError> {
        job.state = JobState::Running;
        self.jobs.save(&mut job)?;
        let mut batch: Vec<(usize, NewDocument)> = Vec::new();
        let mut oldest = std::time::Instant::now();
        let waiting: Vec<usize> = (0..job.files.len())
            .filter(|&i| job.files[i].status == FileStatus::Waiting)
            .collect();
        let mut next = 0;
        // Taken over by another replica (this one stalled past its lease): its now.
        while next < waiting.len() && !self.jobs.lost(&job.id) {
            // While translation workers take work, a batch goes to them side by side;
            // else this replica's models translate one document at a time.
            let outcomes = match self.translation_workers().await? {
                Some(work) => {
                    let end = (next + TRANSLATE_BATCH_DOCS).min(waiting.len());
                    let places = &waiting[next..end];
                    next = end;
                    self.translate_stored_on_workers(work, &job, places).await?
                }
                None => {
                    let i = waiting[next];
                    next += 1;
                    vec![(i, self.translate_stored_here(&job, i).await?)]
                }
            };
            for (i, outcome) in outcomes {
                match outcome {
                    Translated::Doc(doc) => {
                        if batch.is_empty() {
                            oldest = std::time::Instant::now();
                        }
                        batch.push((i, *doc));
                    }
                    Translated::Status(status) => job.files[i].status = status,
                }
            }
            if batch.len() >= TRANSLATE_BATCH_DOCS || oldest.elapsed() >= TRANSLATE_BATCH_WAIT {
                self.index_translations(&mut job, std::mem::take(&mut batch))
                    .await?;
            }
            job.current = None;
            self.jobs.save(&mut job)?;
        }
        self.index_translations(&mut job, batch).await?;
        if self.jobs.lost(&job.id) {
            return Ok(job);
        }
        job.current = None;
        job.state = JobState::Done;
        self.jobs.save(&mut job)?;
        Ok(job)
    }

    /// Translates the stored document of `job`'s item `i` on the CPU pool with this
    /// replica's models (subscribers hear its sentences go by).
    async fn translate_stored_here(
        &self,
        job: &Job,
        i: usize,
    ) -> Result<Translated, PipelineError> {
        let id = job.files[i].document_id.clone().unwrap_or_default();
        let (index, translators, force) = (
            self.index.clone(),
            self.translation.get(),
            job.force.clone(),
        );
        let mut report = item_progress(self.jobs.clone(), job, i, "sentences");
        Ok(self
            .jobs_cpu
            .run(move || {
                translate_stored(&index, &translators, &id, &force, &mut |done, total| {
                    report(done as f64, total as f64)
                })
            })
            .await?)
    }

    /// Translates the stored documents of `job`'s items `places` on the translation
    /// workers, side by side: each read (and, translated, made into the document to
    /// index again) on the CPU pool.
    async fn translate_stored_on_workers(
        &self,
        work: &WorkQueue,
        job: &Job,
        places: &[usize],
    ) -> Result<Vec<(usize, Translated)>, PipelineError> {
        let wanted: Vec<(usize, String)> = places
            .iter()
            .map(|&i| (i, job.files[i].document_id.clone().unwrap_or_default()))
            .collect();
        let (index, force) = (self.index.clone(), job.force.clone());
        let read = self
            .jobs_cpu
            .run(move || {
                wanted
                    .into_iter()
                    .map(|(i, id)| (i, read_stored(&index, &id, &force).map(|s| (id, s))))
                    .collect::<Vec<_>>()
            })
            .await?;
        let mut outcomes = Vec::new();
        let mut stored = HashMap::new();
        let mut items = Vec::new();
        for (i, found) in read {
            match found {
                Ok((id, doc)) => {
                    items.push((
                        i,
                        TranslateItem {
                            name: doc.title.clone(),
                            text: doc.text.clone(),
                            language: doc.language.clone(),
                            every_line: true,
                        },
                    ));
                    stored.insert(i, (id, doc));
                }
                Err(status) => outcomes.push((i, Translated::Status(status))),
            }
        }
        let answers = render_on_workers(work, &job.id, items).await?;
        let built = self
            .jobs_cpu
            .run(move || {
                answers
                    .into_iter()
                    .filter_map(|(i, answer)| {
                        let (id, doc) = stored.remove(&i)?;
                        let outcome = match answer {
                            Outcome::Done(Rendered {
                                english: Some((english, meta)),
                                ..
                            }) => retranslated(doc, &id, english, meta),
                            Outcome::Done(Rendered {
                                waiting: Some(reason),
                                ..
                            }) => Translated::Status(FileStatus::Pending { reason }),
                            Outcome::Done(_) => Translated::Status(FileStatus::Failed {
                                error: "the translation worker sent no translation".to_owned(),
                            }),
                            Outcome::Failed(error) => {
                                Translated::Status(FileStatus::Failed { error })
                            }
                        };
                        Some((i, outcome))
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
        outcomes.extend(built);
        Ok(outcomes)
    }

    /// Indexes translated documents with one commit and marks them done.
    async fn index_translations(
        &self,
        job: &mut Job,
        batch: Vec<(usize, NewDocument)>,
    ) -> Result<(), PipelineError> {
        let (slots, docs): (Vec<usize>, Vec<NewDocument>) = batch.into_iter().unzip();
        for (i, outcome) in slots
            .into_iter()
            .zip(self.ingest_batch_as(docs, WhileGraphDown::Wait).await)
        {
            job.files[i].status = match outcome {
                Ok(done) => FileStatus::Done {
                    document: done.id,
                    graph_linked: done.graph_linked,
                },
                Err(err) if err.bad_input().is_some() => FileStatus::Failed {
                    error: err.bad_input().unwrap_or_default().to_owned(),
                },
                Err(err) => {
                    self.jobs.save(job)?;
                    return Err(err);
                }
            };
        }
        Ok(())
    }
}
