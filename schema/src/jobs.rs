//! Ingest jobs: a bounded queue, one worker that runs jobs in batches of files (one index
//! commit per batch, then the job is saved), resumption of unfinished jobs at start-up,
//! and progress broadcast to subscribers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use toex_indexer::NewDocument;
use toex_indexer::formats::{self, MAX_FILE_BYTES};
use toex_indexer::jobs::{
    FileStatus, ItemProgress, Job, JobKind, JobState, JobStore, MEDIA_EXTENSIONS,
};
use tokio::sync::{mpsc, watch};

use crate::Services;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Files per batch (one commit each).
const BATCH_FILES: usize = 32;
/// Bytes per batch.
const BATCH_BYTES: u64 = 16 * 1024 * 1024;
/// Translated documents indexed with one commit, at most.
const TRANSLATE_BATCH_DOCS: usize = 16;
/// Longest a translated document waits for its batch's commit.
const TRANSLATE_BATCH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Most documents one translation job covers.
pub const MAX_TRANSLATION_JOB_DOCUMENTS: usize = 10_000;

/// The job store, the queue in front of the worker, and the progress channels.
pub struct Jobs {
    store: JobStore,
    queue: mpsc::Sender<String>,
    watchers: Mutex<HashMap<String, watch::Sender<Job>>>,
}

impl Jobs {
    /// Jobs over `store` with room for `capacity` queued jobs; the receiver feeds
    /// [`Services::run_jobs`].
    pub fn new(store: JobStore, capacity: usize) -> (Arc<Self>, mpsc::Receiver<String>) {
        let (queue, rx) = mpsc::channel(capacity.max(1));
        (
            Arc::new(Self {
                store,
                queue,
                watchers: Mutex::new(HashMap::new()),
            }),
            rx,
        )
    }

    pub fn store(&self) -> &JobStore {
        &self.store
    }

    /// Saves a new job durably, then queues it. When this returns Ok the job is
    /// acknowledged: it will run to the end even across restarts.
    pub fn submit(&self, job: &Job) -> ApiResult<()> {
        self.store.save(job)?;
        match self.queue.try_send(job.id.clone()) {
            Ok(()) => {
                self.publish(job);
                Ok(())
            }
            Err(_) => {
                self.store.discard(&job.id)?;
                Err(ApiError::new(
                    ErrorCode::Overloaded,
                    "the ingest queue is full; try again shortly",
                ))
            }
        }
    }

    /// Queues a job found unfinished at start-up (waits for room).
    pub async fn resume(&self, id: String) {
        let _ = self.queue.send(id).await;
    }

    /// Progress of one job: the latest snapshot, then each change.
    pub fn watch(&self, job: &Job) -> watch::Receiver<Job> {
        let mut watchers = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        watchers
            .entry(job.id.clone())
            .or_insert_with(|| watch::channel(job.clone()).0)
            .subscribe()
    }

    fn publish(&self, job: &Job) {
        let mut watchers = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        let sender = watchers
            .entry(job.id.clone())
            .or_insert_with(|| watch::channel(job.clone()).0);
        sender.send_replace(job.clone());
        if job.state == JobState::Done {
            watchers.remove(&job.id);
        }
    }

    /// Tells subscribers how far the job is inside one item (not saved: the item's
    /// outcome is).
    fn report(&self, job: &Job) {
        self.publish(job);
    }

    fn save(&self, job: &mut Job) -> ApiResult<()> {
        job.updated_at = Utc::now();
        self.store.save(job)?;
        self.publish(job);
        Ok(())
    }
}

/// What one file became before indexing.
enum Prepared {
    Doc(Box<NewDocument>),
    Status(FileStatus),
    /// A recording without a transcript beside it, for the speech engine.
    Recording,
}

fn prepare(
    path: &Path,
    name: &str,
    job: &Job,
    translation: &toex_indexer::translate::Translators,
    speech: bool,
) -> Prepared {
    let fail = |error: String| Prepared::Status(FileStatus::Failed { error });
    if has_extension(name, MEDIA_EXTENSIONS) {
        let paired = job
            .files
            .iter()
            .any(|f| has_extension(&f.name, TRANSCRIPT_EXTENSIONS) && stem(&f.name) == stem(name));
        if speech && !paired {
            return Prepared::Recording;
        }
        let reason = if paired {
            "a recording: kept as the media of its transcript"
        } else {
            "a recording: kept, waiting for transcription (no speech engine is configured)"
        };
        return Prepared::Status(FileStatus::Pending {
            reason: reason.to_owned(),
        });
    }
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return fail(format!("cannot read it: {e}")),
    };
    if size > MAX_FILE_BYTES {
        return fail(format!("it is {size} bytes; the limit is {MAX_FILE_BYTES}"));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read it: {e}")),
    };
    let parsed = match formats::parse(name, &bytes) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let text = parsed.text();
    let language = job
        .language
        .clone()
        .or_else(|| formats::detect_language(&text));
    let (translation, translation_meta) =
        machine_translation(translation, &text, language.as_deref(), name);
    Prepared::Doc(Box::new(NewDocument {
        title: name.to_owned(),
        language,
        text,
        translation,
        force: job.force.clone(),
        operation: job.operation.clone(),
        source_type: parsed.source_type.to_owned(),
        segments: parsed.segments,
        mentions: Vec::new(),
        translation_meta,
        correction: None,
    }))
}

/// The English of a non-English text, line for line, when a model for its language is
/// loaded, with its provenance. A failure is logged and leaves the document untranslated
/// (and searchable).
fn machine_translation(
    translators: &toex_indexer::translate::Translators,
    text: &str,
    language: Option<&str>,
    name: &str,
) -> (Option<String>, Option<toex_indexer::TranslationMeta>) {
    let Some(language) = language.filter(|l| *l != "en" && translators.get(l).is_some()) else {
        return (None, None);
    };
    match translators.translate(text, Some(language), &mut |_, _| {}) {
        Ok(t) => (Some(t.lines.join("\n")), Some(provenance(&t))),
        Err(err) => {
            tracing::warn!(file = name, error = %err, "not translated");
            (None, None)
        }
    }
}

/// The provenance of a Marian translation: engine, model names, weights hashes, now.
fn provenance(t: &toex_indexer::translate::Translation) -> toex_indexer::TranslationMeta {
    let (model, version): (Vec<&str>, Vec<&str>) = t
        .models
        .iter()
        .map(|m| m.split_once('@').unwrap_or((m.as_str(), "")))
        .unzip();
    toex_indexer::TranslationMeta {
        engine: toex_indexer::translate::ENGINE.to_owned(),
        model: Some(model.join(",")),
        version: Some(version.join(",")),
        translated_at: Some(Utc::now().to_rfc3339()),
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
    translators: &toex_indexer::translate::Translators,
    id: &str,
    force: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Translated {
    let fail = |error: String| Translated::Status(FileStatus::Failed { error });
    let stored = match index.get(id, &[force.to_owned()]) {
        Ok(Some(stored)) => stored,
        Ok(None) => return fail("the document is no longer in the index".to_owned()),
        Err(e) => return fail(format!("the document cannot be read: {e}")),
    };
    let translation =
        match translators.translate(&stored.text, stored.language.as_deref(), progress) {
            Ok(t) => t,
            Err(toex_indexer::IndexError::Model(reason)) => {
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
    };
    if doc.id() != id {
        // Indexing it would add a second document instead of replacing this one.
        return fail("the stored copy no longer matches its id; ingest it again".to_owned());
    }
    Translated::Doc(Box::new(doc))
}

/// Reports progress inside item `item` of `job` to its subscribers.
fn item_progress(
    jobs: Arc<Jobs>,
    job: &Job,
    item: usize,
    unit: &'static str,
) -> impl FnMut(f64, f64) + Send + 'static {
    let mut snapshot = job.clone();
    move |done, total| {
        snapshot.current = Some(ItemProgress {
            item,
            done: done.max(0.0).round() as u64,
            total: total.max(0.0).round() as u64,
            unit: unit.to_owned(),
        });
        jobs.report(&snapshot);
    }
}

impl Services {
    /// The worker: runs queued jobs one at a time until the queue closes.
    pub async fn run_jobs(self, mut queue: mpsc::Receiver<String>) {
        while let Some(id) = queue.recv().await {
            let job = match self.jobs.store().load(&id) {
                Ok(Some(job)) => job,
                Ok(None) => continue,
                Err(err) => {
                    tracing::error!(%id, error = %err, "cannot load an ingest job");
                    continue;
                }
            };
            let outcome = match job.kind {
                JobKind::Ingest => self.run_job(job).await,
                JobKind::Translate => self.run_translation_job(job).await,
            };
            if let Err(err) = outcome {
                tracing::error!(%id, error = %err.message, "ingest job stopped");
            }
        }
    }

    /// Runs one job to the end from wherever it stopped: waiting files are parsed off
    /// the runtime, indexed in batches with one commit each, linked in the graph, and
    /// the job saved after every batch. Re-running a file indexed before a crash
    /// replaces it (same content hash), never duplicates it.
    pub async fn run_job(&self, mut job: Job) -> ApiResult<Job> {
        job.state = JobState::Running;
        self.jobs.save(&mut job)?;
        loop {
            let mut batch = Vec::new();
            let mut bytes = 0;
            for (i, f) in job.files.iter().enumerate() {
                if f.status == FileStatus::Waiting {
                    if !batch.is_empty()
                        && (batch.len() == BATCH_FILES || bytes + f.bytes > BATCH_BYTES)
                    {
                        break;
                    }
                    bytes += f.bytes;
                    batch.push(i);
                }
            }
            if batch.is_empty() {
                break;
            }
            let work: Vec<(usize, std::path::PathBuf, String)> = batch
                .iter()
                .map(|&i| (i, job.files[i].path.clone(), job.files[i].name.clone()))
                .collect();
            let snapshot = job.clone();
            let translation = self.translation.clone();
            let speech = self.speech.is_some();
            let prepared = self
                .cpu
                .run(move || {
                    work.into_iter()
                        .map(|(i, path, name)| {
                            (i, prepare(&path, &name, &snapshot, &translation, speech))
                        })
                        .collect::<Vec<_>>()
                })
                .await?;
            let mut docs = Vec::new();
            let mut recordings = HashMap::new();
            for (i, p) in prepared {
                match p {
                    Prepared::Status(s) => job.files[i].status = s,
                    Prepared::Doc(doc) => docs.push((i, *doc)),
                    Prepared::Recording => match self.transcribe_recording(&job, i).await? {
                        Ok(doc) => {
                            recordings.insert(i, job.files[i].path.clone());
                            docs.push((i, doc));
                        }
                        Err(error) => job.files[i].status = FileStatus::Failed { error },
                    },
                }
            }
            let (slots, docs): (Vec<usize>, Vec<NewDocument>) = docs.into_iter().unzip();
            for (i, outcome) in slots.into_iter().zip(self.ingest_batch(docs).await) {
                job.files[i].status = match outcome {
                    Ok(done) => {
                        if let Some(path) = recordings.remove(&i) {
                            self.keep_media(&done.id, path).await?;
                        }
                        FileStatus::Done {
                            document: done.id,
                            graph_linked: done.graph_linked,
                        }
                    }
                    Err(err) if err.code == ErrorCode::BadInput => {
                        FileStatus::Failed { error: err.message }
                    }
                    // The index or the pool failed: stop, leaving the file waiting.
                    Err(err) => {
                        self.jobs.save(&mut job)?;
                        return Err(err);
                    }
                };
            }
            job.current = None;
            self.jobs.save(&mut job)?;
        }
        self.pair_recordings(&mut job).await?;
        job.state = JobState::Done;
        self.jobs.save(&mut job)?;
        Ok(job)
    }

    /// Runs a translation job to the end from wherever it stopped: each waiting document
    /// is translated on the CPU pool (subscribers hear its sentences go by), then indexed
    /// again in batches with one commit each, its mentions found again and linked. A
    /// document translated before a crash is translated again, never duplicated.
    pub async fn run_translation_job(&self, mut job: Job) -> ApiResult<Job> {
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
                self.translation.clone(),
                job.force.clone(),
            );
            let mut report = item_progress(self.jobs.clone(), &job, i, "sentences");
            let outcome = self
                .cpu
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
    ) -> ApiResult<()> {
        let (slots, docs): (Vec<usize>, Vec<NewDocument>) = batch.into_iter().unzip();
        for (i, outcome) in slots.into_iter().zip(self.ingest_batch(docs).await) {
            job.files[i].status = match outcome {
                Ok(done) => FileStatus::Done {
                    document: done.id,
                    graph_linked: done.graph_linked,
                },
                Err(err) if err.code == ErrorCode::BadInput => {
                    FileStatus::Failed { error: err.message }
                }
                Err(err) => {
                    self.jobs.save(job)?;
                    return Err(err);
                }
            };
        }
        Ok(())
    }

    /// Transcribes file `i` of `job` (a recording) on the speech worker into a document
    /// of time-coded segments in the spoken language, with an English translation of each
    /// segment when the language is not English (Whisper's translate task). `Err(reason)`
    /// for a file that is not usable audio; `Err` outside for a fault of the engine.
    async fn transcribe_recording(
        &self,
        job: &Job,
        i: usize,
    ) -> ApiResult<Result<NewDocument, String>> {
        use toex_indexer::transcribe::Task;
        let speech = self
            .speech
            .as_ref()
            .expect("only prepared with a speech engine");
        let file = &job.files[i];
        // The job's worker is the queue's steady customer: it waits for room.
        let transcribe = |task: Task, language: Option<String>| async move {
            loop {
                let progress = item_progress(self.jobs.clone(), job, i, "seconds");
                match speech
                    .transcribe(file.path.clone(), language.clone(), task, progress)
                    .await
                {
                    Err(toex_indexer::PoolError::Overloaded { .. }) => {
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                    other => return other,
                }
            }
        };
        let transcript = match transcribe(Task::Transcribe, job.language.clone()).await? {
            Ok(t) => t,
            Err(toex_indexer::IndexError::InvalidDocument(reason)) => return Ok(Err(reason)),
            Err(other) => return Err(other.into()),
        };
        if transcript.segments.is_empty() {
            return Ok(Err("no speech was found in the recording".to_owned()));
        }
        let (translation, translation_meta) = if transcript.language != "en" {
            match transcribe(Task::Translate, Some(transcript.language.clone())).await? {
                Ok(english) if !english.segments.is_empty() => (
                    Some(english.text()),
                    Some(toex_indexer::TranslationMeta {
                        engine: "whisper-translate".to_owned(),
                        model: Some(english.model.clone()),
                        version: None,
                        translated_at: Some(Utc::now().to_rfc3339()),
                    }),
                ),
                Ok(_) => (None, None),
                Err(err) => {
                    tracing::warn!(file = file.name, error = %err, "speech not translated");
                    (None, None)
                }
            }
        } else {
            (None, None)
        };
        Ok(Ok(NewDocument {
            title: file.name.clone(),
            text: transcript.text(),
            language: Some(transcript.language.clone()),
            translation,
            force: job.force.clone(),
            operation: job.operation.clone(),
            source_type: "transcript".to_owned(),
            segments: transcript.document_segments(),
            mentions: Vec::new(),
            translation_meta,
            correction: None,
        }))
    }

    /// Keeps a transcribed recording as its document's media.
    async fn keep_media(&self, document: &str, path: std::path::PathBuf) -> ApiResult<()> {
        let jobs = self.jobs.clone();
        let document = document.to_owned();
        tokio::task::spawn_blocking(move || {
            jobs.store().media().attach(&document, &path).map(drop)
        })
        .await
        .map_err(|e| toex_indexer::IndexError::Jobs(format!("keeping a recording: {e}")))??;
        Ok(())
    }

    /// A recording that came with its transcript (the same file name but for the
    /// extension: `call 3.wav` with `call 3.srt`, `.vtt` or `.jsonl`) is kept as that
    /// document's media, and is done with it instead of pending.
    async fn pair_recordings(&self, job: &mut Job) -> ApiResult<()> {
        let transcripts: HashMap<&str, (String, bool)> = job
            .files
            .iter()
            .filter_map(|f| match &f.status {
                FileStatus::Done {
                    document,
                    graph_linked,
                } if has_extension(&f.name, TRANSCRIPT_EXTENSIONS) => {
                    Some((stem(&f.name), (document.clone(), *graph_linked)))
                }
                _ => None,
            })
            .collect();
        let pairs: Vec<(usize, String, bool)> = job
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                matches!(f.status, FileStatus::Pending { .. })
                    && has_extension(&f.name, MEDIA_EXTENSIONS)
            })
            .filter_map(|(i, f)| {
                let (doc, linked) = transcripts.get(stem(&f.name))?;
                Some((i, doc.clone(), *linked))
            })
            .collect();
        if pairs.is_empty() {
            return Ok(());
        }
        let jobs = self.jobs.clone();
        let work: Vec<(String, std::path::PathBuf)> = pairs
            .iter()
            .map(|(i, doc, _)| (doc.clone(), job.files[*i].path.clone()))
            .collect();
        tokio::task::spawn_blocking(move || {
            work.iter()
                .try_for_each(|(doc, path)| jobs.store().media().attach(doc, path).map(drop))
        })
        .await
        .map_err(|e| toex_indexer::IndexError::Jobs(format!("keeping recordings: {e}")))??;
        for (i, document, graph_linked) in pairs {
            job.files[i].status = FileStatus::Done {
                document,
                graph_linked,
            };
        }
        Ok(())
    }
}

/// Time-coded transcripts a recording can come with.
const TRANSCRIPT_EXTENSIONS: &[&str] = &["srt", "vtt", "jsonl"];

fn has_extension(name: &str, set: &[&str]) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| set.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The file name without its last extension.
fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// A background job as clients see it: an ingest of files, or a translation of stored
/// documents (its files are then the documents).
#[derive(Debug, Clone, async_graphql::SimpleObject)]
pub struct IngestJob {
    pub id: String,
    /// `QUEUED`, `RUNNING` or `DONE`.
    pub state: IngestJobState,
    /// `INGEST` or `TRANSLATE`.
    pub kind: IngestJobKind,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    pub force: String,
    pub operation: Option<String>,
    pub total: i32,
    pub waiting: i32,
    pub done: i32,
    /// Stored, waiting: recordings kept beside their transcripts, or waiting for a speech
    /// model.
    pub pending: i32,
    pub failed: i32,
    pub files: Vec<IngestJobFile>,
    /// How far it is inside the file or document it is working on, while there is one.
    pub current: Option<JobItemProgress>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum IngestJobState {
    Queued,
    Running,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum IngestJobKind {
    Ingest,
    Translate,
}

/// Progress inside one item: a recording's seconds transcribed, a document's sentences
/// translated.
#[derive(Debug, Clone, async_graphql::SimpleObject)]
pub struct JobItemProgress {
    /// The file's (or document's) name.
    pub name: String,
    pub done: u64,
    pub total: u64,
    /// `seconds` or `sentences`.
    pub unit: String,
}

/// One file of a job.
#[derive(Debug, Clone, async_graphql::SimpleObject)]
pub struct IngestJobFile {
    pub name: String,
    pub bytes: u64,
    /// `WAITING`, `DONE`, `PENDING` or `FAILED`.
    pub status: String,
    /// The document it became.
    pub document_id: Option<String>,
    pub graph_linked: Option<bool>,
    /// Why it failed or waits.
    pub reason: Option<String>,
}

impl From<&Job> for IngestJob {
    fn from(job: &Job) -> Self {
        let (waiting, done, pending, failed) = job.counts();
        Self {
            id: job.id.clone(),
            state: match job.state {
                JobState::Queued => IngestJobState::Queued,
                JobState::Running => IngestJobState::Running,
                JobState::Done => IngestJobState::Done,
            },
            kind: match job.kind {
                JobKind::Ingest => IngestJobKind::Ingest,
                JobKind::Translate => IngestJobKind::Translate,
            },
            current: job.current.as_ref().map(|c| JobItemProgress {
                name: job
                    .files
                    .get(c.item)
                    .map(|f| f.name.clone())
                    .unwrap_or_default(),
                done: c.done,
                total: c.total,
                unit: c.unit.clone(),
            }),
            created_at: job.created_at,
            updated_at: job.updated_at,
            force: job.force.clone(),
            operation: job.operation.clone(),
            total: job.files.len() as i32,
            waiting: waiting as i32,
            done: done as i32,
            pending: pending as i32,
            failed: failed as i32,
            files: job
                .files
                .iter()
                .map(|f| {
                    let (status, document_id, graph_linked, reason) = match &f.status {
                        FileStatus::Waiting => ("WAITING", None, None, None),
                        FileStatus::Done {
                            document,
                            graph_linked,
                        } => ("DONE", Some(document.clone()), Some(*graph_linked), None),
                        FileStatus::Pending { reason } => {
                            ("PENDING", None, None, Some(reason.clone()))
                        }
                        FileStatus::Failed { error } => ("FAILED", None, None, Some(error.clone())),
                    };
                    IngestJobFile {
                        name: f.name.clone(),
                        bytes: f.bytes,
                        status: status.to_owned(),
                        document_id: document_id.or_else(|| f.document_id.clone()),
                        graph_linked,
                        reason,
                    }
                })
                .collect(),
        }
    }
}

/// Most files one upload may carry.
pub const MAX_UPLOAD_FILES: usize = 1_000;

/// A file name safe to spool: its last component, odd characters replaced.
pub(crate) fn spool_name(i: usize, name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("file");
    let clean: String = base
        .chars()
        .take(120)
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{i:04}-{}",
        if clean.is_empty() {
            "file".to_owned()
        } else {
            clean
        }
    )
}

#[derive(Default)]
pub struct JobsQuery;

#[async_graphql::Object]
impl JobsQuery {
    /// One ingest job with each file's outcome.
    async fn ingest_job(
        &self,
        ctx: &async_graphql::Context<'_>,
        id: String,
    ) -> ApiResult<Option<IngestJob>> {
        let services = ctx.data_unchecked::<Services>();
        let forces = crate::access::forces(ctx, &[])?;
        Ok(services
            .jobs
            .store()
            .load(&id)?
            .as_ref()
            .filter(|job| forces.contains(&job.force))
            .map(IngestJob::from))
    }

    /// Ingest jobs, newest first.
    async fn ingest_jobs(
        &self,
        ctx: &async_graphql::Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> ApiResult<Vec<IngestJob>> {
        let services = ctx.data_unchecked::<Services>();
        let first = crate::query::page_size(Some(first))?;
        let forces = crate::access::forces(ctx, &[])?;
        Ok(services
            .jobs
            .store()
            .list()?
            .iter()
            .filter(|job| forces.contains(&job.force))
            .take(first)
            .map(IngestJob::from)
            .collect())
    }
}
