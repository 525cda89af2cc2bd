//! Translation: of a file's text at ingest, and translation jobs over stored documents
//! (each translated on the CPU pool, then indexed again in batches, its mentions found
//! again and linked).

use chrono::Utc;
use toex_indexer::NewDocument;
use toex_indexer::jobs::{FileStatus, Job, JobState};

use super::item_progress;
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
    // English text is translated only for its Arabizi lines (Arabic in Latin letters).
    let foreign = language.filter(|l| *l != "en");
    if translators.is_empty()
        || foreign.is_none() && !toex_inference::translate::arabizi::has_arabizi(text)
    {
        return (None, None);
    }
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
fn provenance(t: &toex_inference::translate::Translation) -> toex_indexer::TranslationMeta {
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

/// What translating one stored document came to.
enum Translated {
    Doc(Box<NewDocument>),
    Status(FileStatus),
}

/// Translates stored document `id` of `force` (blocking: on the CPU pool) into the
/// document to index again: same id, same original, the new translation and its
/// provenance, the analyst's correction kept. A language without a model leaves it
/// pending, untranslated and searchable.
fn translate_stored(
    index: &toex_indexer::SearchIndex,
    translators: &toex_inference::translate::Translators,
    id: &str,
    force: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Translated {
    let fail = |error: String| Translated::Status(FileStatus::Failed { error });
    // The job was authorised for `force` when it was queued; it works on that force only.
    let scope = match toex_indexer::Scope::new(&[force.to_owned()], &[], true) {
        Ok(scope) => scope,
        Err(e) => return fail(e.to_string()),
    };
    let stored = match index.get(id, &scope) {
        Ok(Some(stored)) => stored,
        Ok(None) => return fail("the document is no longer in the index".to_owned()),
        Err(e) => return fail(format!("the document cannot be read: {e}")),
    };
    let translation = match translators.translate(
        &stored.text,
        None,
        stored.language.as_deref(),
        toex_inference::translate::Missing::Refuse,
        progress,
    ) {
        Ok(t) => t,
        Err(toex_inference::InferenceError::Model(reason)) => {
            return Translated::Status(FileStatus::Pending { reason });
        }
        Err(e) => return fail(e.to_string()),
    };
    let doc = NewDocument {
        title: stored.title,
        text: stored.text,
        language: stored.language,
        translation: Some(translation.lines.join("\n")),
        force: stored.force,
        operation: stored.operation,
        source_type: stored.source_type,
        segments: stored.segments,
        mentions: Vec::new(),
        translation_meta: Some(provenance(&translation)),
        correction: stored.correction,
        provenance: stored.provenance,
    };
    if doc.id() != id {
        // Indexing it would add a second document instead of replacing this one.
        return fail("the stored copy no longer matches its id; ingest it again".to_owned());
    }
    Translated::Doc(Box::new(doc))
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
        for i in 0..job.files.len() {
            if job.files[i].status != FileStatus::Waiting {
                continue;
            }
            let id = job.files[i].document_id.clone().unwrap_or_default();
            let (index, translators, force) = (
                self.index.clone(),
                self.translation.get(),
                job.force.clone(),
            );
            let mut report = item_progress(self.jobs.clone(), &job, i, "sentences");
            let outcome = self
                .jobs_cpu
                .run(move || {
                    translate_stored(&index, &translators, &id, &force, &mut |done, total| {
                        report(done as f64, total as f64)
                    })
                })
                .await?;
            match outcome {
                Translated::Doc(doc) => {
                    if batch.is_empty() {
                        oldest = std::time::Instant::now();
                    }
                    batch.push((i, *doc));
                }
                Translated::Status(status) => job.files[i].status = status,
            }
            if batch.len() >= TRANSLATE_BATCH_DOCS || oldest.elapsed() >= TRANSLATE_BATCH_WAIT {
                self.index_translations(&mut job, std::mem::take(&mut batch))
                    .await?;
            }
            job.current = None;
            self.jobs.save(&mut job)?;
        }
        self.index_translations(&mut job, batch).await?;
        job.current = None;
        job.state = JobState::Done;
        self.jobs.save(&mut job)?;
        Ok(job)
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
