//! Durable ingest jobs: each job is a JSON file rewritten atomically (temp file, fsync,
//! rename, fsync of the folder) after every step, so a job acknowledged to a caller
//! survives `kill -9` and resumes where it stopped; uploaded files are spooled beside it.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::IndexError;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Files parsed (or recordings transcribed), indexed and linked.
    #[default]
    Ingest,
    /// Stored documents translated by the configured models and indexed again.
    Translate,
}

/// How far a job is inside the item it is working on: a recording's seconds, a
/// document's sentences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemProgress {
    /// The item's place in [`Job::files`].
    pub item: usize,
    pub done: u64,
    pub total: u64,
    /// `seconds` or `sentences`.
    pub unit: String,
}

/// Where one file of a job is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum FileStatus {
    Waiting,
    /// Indexed (and committed) as `document`.
    Done {
        document: String,
        graph_linked: bool,
    },
    /// Stored, waiting for an engine (transcription, translation).
    Pending {
        reason: String,
    },
    Failed {
        error: String,
    },
    /// A container (an archive, a mailbox) with no document of its own: the files it
    /// held were added to the job.
    Opened {
        files: usize,
    },
}

/// One file of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobFile {
    pub name: String,
    /// Where the bytes are: the spool for uploads, the original path for `toex ingest`.
    pub path: PathBuf,
    pub bytes: u64,
    /// The stored document a translation job works on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    /// The container it was taken out of, when it was inside another file of the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Within>,
    #[serde(flatten)]
    pub status: FileStatus,
}

/// Where a file of a job was found inside another of its files (an archive, an email).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Within {
    /// The container's place in the job's files.
    pub parent: usize,
    /// The path inside the container.
    pub path: String,
    /// How many containers deep: 1 for a file of an uploaded archive.
    pub depth: u32,
    /// SHA-256 of the container, hex.
    #[serde(default)]
    pub parent_sha256: String,
}

/// An ingest job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub state: JobState,
    #[serde(default)]
    pub kind: JobKind,
    pub force: String,
    pub operation: Option<String>,
    pub language: Option<String>,
    pub files: Vec<JobFile>,
    /// Progress inside the item being worked on, while there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<ItemProgress>,
}

impl Job {
    /// A new queued ingest job over `files`.
    pub fn new(
        force: String,
        operation: Option<String>,
        language: Option<String>,
        files: Vec<JobFile>,
    ) -> Self {
        Self::of_kind(JobKind::Ingest, force, operation, language, files)
    }

    /// A new queued translation job over stored documents: `(id, title, bytes)`.
    pub fn translate(
        force: String,
        operation: Option<String>,
        documents: Vec<(String, String, u64)>,
    ) -> Self {
        let files = documents
            .into_iter()
            .map(|(id, title, bytes)| JobFile {
                name: title,
                path: PathBuf::new(),
                bytes,
                document_id: Some(id),
                within: None,
                status: FileStatus::Waiting,
            })
            .collect();
        Self::of_kind(JobKind::Translate, force, operation, None, files)
    }

    fn of_kind(
        kind: JobKind,
        force: String,
        operation: Option<String>,
        language: Option<String>,
        files: Vec<JobFile>,
    ) -> Self {
        let now = Utc::now();
        let id = format!(
            "job-{}-{:08x}",
            now.format("%Y%m%d%H%M%S"),
            rand_suffix(&now)
        );
        Self {
            id,
            created_at: now,
            updated_at: now,
            state: JobState::Queued,
            kind,
            force,
            operation,
            language,
            files,
            current: None,
        }
    }

    /// Files in each status: (waiting, done, pending, failed).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for f in &self.files {
            match f.status {
                FileStatus::Waiting => c.0 += 1,
                FileStatus::Done { .. } | FileStatus::Opened { .. } => c.1 += 1,
                FileStatus::Pending { .. } => c.2 += 1,
                FileStatus::Failed { .. } => c.3 += 1,
            }
        }
        c
    }
}

fn rand_suffix(now: &DateTime<Utc>) -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(now.timestamp_nanos_opt().unwrap_or_default());
    h.finish() as u32
}

/// The folder of jobs.
#[derive(Debug, Clone)]
pub struct JobStore {
    dir: PathBuf,
    media: crate::media::MediaStore,
}

fn io(path: &Path, e: std::io::Error) -> IndexError {
    IndexError::Jobs(format!("{}: {e}", path.display()))
}

impl JobStore {
    /// Opens (creating) the folder.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        Ok(Self {
            dir: dir.to_owned(),
            media: crate::media::MediaStore::open(&dir.join("media"))?,
        })
    }

    /// The recordings kept beside their transcripts.
    pub fn media(&self) -> &crate::media::MediaStore {
        &self.media
    }

    fn file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// The folder a job's uploaded files are spooled into.
    pub fn spool(&self, id: &str) -> Result<PathBuf, IndexError> {
        let dir = self.dir.join(id);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        Ok(dir)
    }

    /// Writes a job durably: when this returns, a crash cannot lose or tear it.
    pub fn save(&self, job: &Job) -> Result<(), IndexError> {
        let target = self.file(&job.id);
        let tmp = self.dir.join(format!(".{}.tmp", job.id));
        let body = serde_json::to_vec_pretty(job).map_err(|e| IndexError::Jobs(e.to_string()))?;
        let mut f = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        f.write_all(&body).map_err(|e| io(&tmp, e))?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &target).map_err(|e| io(&target, e))?;
        sync_dir(&self.dir)
    }

    /// One job, if it exists.
    pub fn load(&self, id: &str) -> Result<Option<Job>, IndexError> {
        if !valid_id(id) {
            return Ok(None);
        }
        let path = self.file(id);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| IndexError::Jobs(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path, e)),
        }
    }

    /// Whether job `id` is in the store (without reading it).
    pub fn contains(&self, id: &str) -> bool {
        valid_id(id) && self.file(id).exists()
    }

    /// Every job, newest first.
    pub fn list(&self) -> Result<Vec<Job>, IndexError> {
        let mut jobs = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(|e| io(&self.dir, e))? {
            let entry = entry.map_err(|e| io(&self.dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".json")
                && !name.starts_with('.')
                && let Some(job) = self.load(id)?
            {
                jobs.push(job);
            }
        }
        jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(jobs)
    }

    /// Jobs that were queued or running when the process stopped, oldest first.
    pub fn unfinished(&self) -> Result<Vec<Job>, IndexError> {
        let mut jobs: Vec<Job> = self
            .list()?
            .into_iter()
            .filter(|j| j.state != JobState::Done)
            .collect();
        jobs.reverse();
        Ok(jobs)
    }

    /// Removes a job that was never acknowledged (e.g. the queue was full).
    pub fn discard(&self, id: &str) -> Result<(), IndexError> {
        let _ = std::fs::remove_dir_all(self.dir.join(id));
        match std::fs::remove_file(self.file(id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&self.file(id), e)),
        }
    }
}

fn valid_id(id: &str) -> bool {
    id.starts_with("job-")
        && id.len() < 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn sync_dir(dir: &Path) -> Result<(), IndexError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, e))
}

/// Writes `bytes` to `path` and fsyncs it (for spooled uploads).
pub fn write_durably(path: &Path, mut source: impl std::io::Read) -> Result<u64, IndexError> {
    let mut f = std::fs::File::create(path).map_err(|e| io(path, e))?;
    let n = std::io::copy(&mut source, &mut f).map_err(|e| io(path, e))?;
    f.sync_all().map_err(|e| io(path, e))?;
    Ok(n)
}

/// File extensions that are recordings: stored and marked pending until transcription.
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "wav", "mp3", "flac", "ogg", "opus", "m4a", "aac", "mp4", "mkv", "mov", "webm", "amr",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_job_round_trips_and_unfinished_jobs_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::open(dir.path()).unwrap();
        let mut job = Job::new(
            "WYP".into(),
            None,
            None,
            vec![JobFile {
                name: "a.txt".into(),
                path: dir.path().join("a.txt"),
                bytes: 3,
                document_id: None,
                within: None,
                status: FileStatus::Waiting,
            }],
        );
        store.save(&job).unwrap();
        assert_eq!(store.load(&job.id).unwrap().unwrap(), job);
        assert_eq!(store.unfinished().unwrap().len(), 1);
        job.files[0].status = FileStatus::Done {
            document: "doc-1".into(),
            graph_linked: true,
        };
        job.state = JobState::Done;
        store.save(&job).unwrap();
        assert!(store.unfinished().unwrap().is_empty());
        assert_eq!(store.list().unwrap()[0].counts(), (0, 1, 0, 0));
        assert!(store.load("../etc/passwd").unwrap().is_none());
        store.discard(&job.id).unwrap();
        assert!(store.load(&job.id).unwrap().is_none());
    }

    #[test]
    fn translation_jobs_round_trip_and_older_jobs_load_as_ingest() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::open(dir.path()).unwrap();
        let mut job = Job::translate(
            "WYP".into(),
            Some("OP".into()),
            vec![("doc-1".into(), "chat.txt".into(), 120)],
        );
        job.current = Some(ItemProgress {
            item: 0,
            done: 3,
            total: 9,
            unit: "sentences".into(),
        });
        store.save(&job).unwrap();
        let back = store.load(&job.id).unwrap().unwrap();
        assert_eq!(back, job);
        assert_eq!(back.kind, JobKind::Translate);
        assert_eq!(back.files[0].document_id.as_deref(), Some("doc-1"));

        // A job written before jobs had kinds.
        let old = r#"{"id":"job-20260101000000-00000001","created_at":"2026-01-01T00:00:00Z",
            "updated_at":"2026-01-01T00:00:00Z","state":"queued","force":"WYP",
            "operation":null,"language":null,
            "files":[{"name":"a.txt","path":"/tmp/a.txt","bytes":3,"status":"waiting"}]}"#;
        std::fs::write(dir.path().join("job-20260101000000-00000001.json"), old).unwrap();
        let old = store.load("job-20260101000000-00000001").unwrap().unwrap();
        assert_eq!(old.kind, JobKind::Ingest);
        assert_eq!(old.files[0].document_id, None);
        assert_eq!(old.current, None);
    }
}
