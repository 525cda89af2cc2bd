//! Ingest jobs in GraphQL: the job, its files and progress as clients see them, and the
//! queries that list them. The queue and the worker are `toex_pipeline::jobs`.

use chrono::Utc;
use toex_indexer::jobs::{FileStatus, Job, JobKind, JobState};

use crate::Services;
use crate::error::ApiResult;

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
    /// `WAITING`, `DONE`, `OPENED` (a container whose files joined the job), `PENDING`
    /// or `FAILED`.
    pub status: String,
    /// The document it became.
    pub document_id: Option<String>,
    pub graph_linked: Option<bool>,
    /// Why it failed or waits, or what an opened container held.
    pub reason: Option<String>,
    /// The file of the same job it was found in (an archive, an email), when it was.
    pub found_in: Option<String>,
    /// Its path inside that file.
    pub path_inside: Option<String>,
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
                        FileStatus::Opened { files } => {
                            ("OPENED", None, None, Some(format!("held {files} file(s)")))
                        }
                    };
                    IngestJobFile {
                        name: f.name.clone(),
                        bytes: f.bytes,
                        status: status.to_owned(),
                        document_id: document_id.or_else(|| f.document_id.clone()),
                        graph_linked,
                        reason,
                        found_in: f
                            .within
                            .as_ref()
                            .and_then(|w| job.files.get(w.parent))
                            .map(|p| p.name.clone()),
                        path_inside: f.within.as_ref().map(|w| w.path.clone()),
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
        let scope = crate::access::scope(ctx)?;
        // A job another replica runs is read from what it last shared.
        Ok(services
            .jobs
            .find(&id)
            .await?
            .as_ref()
            .filter(|job| scope.contains(&job.force, job.operation.as_deref()))
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
        let scope = crate::access::scope(ctx)?;
        Ok(services
            .jobs
            .store()
            .list()?
            .iter()
            .filter(|job| scope.contains(&job.force, job.operation.as_deref()))
            .take(first)
            .map(IngestJob::from)
            .collect())
    }
}
