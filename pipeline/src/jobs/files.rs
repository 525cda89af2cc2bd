//! Ingest jobs over files: each file prepared off the runtime (parsed, its language
//! told, translated when a model is loaded), recordings transcribed on the speech worker
//! and kept as media, and batches indexed with one commit each.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::Utc;
use rayon::prelude::*;
use toex_formats::MAX_FILE_BYTES;
use toex_indexer::NewDocument;
use toex_indexer::jobs::{FileStatus, Job, JobState, MEDIA_EXTENSIONS};

use super::hearing::{Hearing, Speech};
use super::members;
use super::rendering::translate_on_workers;
use super::translation::{machine_translation, wants_english};
use crate::{PipelineError, Services, WhileGraphDown};

/// Files per batch (one commit each).
const BATCH_FILES: usize = 32;
/// Bytes per batch.
const BATCH_BYTES: u64 = 16 * 1024 * 1024;

/// What one file became before indexing.
enum Prepared {
    /// A document, and what it held (attachments, archive entries) kept on disk.
    Read {
        doc: Option<Box<NewDocument>>,
        /// Instead of `doc`: a scan read for its facts, its document made once an OCR
        /// worker has read it.
        scan: Option<Box<toex_formats::Parsed>>,
        /// The file is kept as the document's original (a photo, a scan, a PDF).
        original: bool,
        sha256: String,
        kept: Vec<members::Kept>,
        refused: Vec<toex_formats::Refused>,
        /// The document is left for translation workers to put into English (decided
        /// here, on the pool, since it reads the whole text).
        for_workers: bool,
    },
    Status(FileStatus),
    /// A recording without a transcript beside it, for the speech engine.
    Recording,
}

/// What `prepare` needs besides the file.
struct Setting<'a> {
    job: &'a Job,
    limits: &'a toex_formats::Limits,
    /// The models that translate here; `None` when translation workers do.
    translation: Option<&'a toex_inference::translate::Translators>,
    speech: bool,
    spool: &'a Path,
}

fn prepare(index: usize, setting: &Setting<'_>) -> Prepared {
    let Setting {
        job,
        limits,
        translation,
        speech,
        spool,
    } = *setting;
    let file = &job.files[index];
    let (path, name) = (&file.path, file.name.as_str());
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
    let bytes = match file_bytes(path) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let mut read = match toex_formats::read(name, &bytes, limits) {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    // What a container too deep down holds is refused before any of it is written.
    members::refuse_too_deep(file, &mut read);
    let sha256 = members::sha256(&bytes);
    drop(bytes);
    let kept = match members::keep(spool, index, read.members) {
        Ok(kept) => kept,
        Err(e) => return fail(e),
    };
    let original = read.document.as_ref().is_some_and(|d| {
        matches!(d.source_type, "image" | "pdf")
            && toex_indexer::media::kept(&toex_formats::extension(name))
    });
    let (mut doc, mut scan, mut for_workers) = (None, None, false);
    match read.document {
        Some(parsed) if parsed.awaits_ocr => scan = Some(Box::new(parsed)),
        Some(parsed) => {
            let made = document_of(job, index, translation, parsed, &sha256);
            for_workers = made.1;
            doc = Some(Box::new(made.0));
        }
        None => {}
    }
    Prepared::Read {
        doc,
        scan,
        original,
        sha256,
        kept,
        refused: read.refused,
        for_workers,
    }
}

/// A file's bytes, refused (with the reason) past [`MAX_FILE_BYTES`] before it is read.
pub(super) fn file_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read it: {e}"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!("it is {size} bytes; the limit is {MAX_FILE_BYTES}"));
    }
    std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))
}

/// File `index`'s document from what was read of it: its language told and, with models
/// here, put into English; `true` beside it when translation workers should.
fn document_of(
    job: &Job,
    index: usize,
    translation: Option<&toex_inference::translate::Translators>,
    parsed: toex_formats::Parsed,
    sha256: &str,
) -> (NewDocument, bool) {
    let name = job.files[index].name.as_str();
    let text = parsed.text();
    let language = job
        .language
        .clone()
        .or_else(|| toex_extract::detect_language(&text));
    let mut for_workers = false;
    let (translation, translation_meta) = match translation {
        Some(models) => machine_translation(models, &text, language.as_deref(), name),
        None => {
            for_workers = wants_english(&text, language.as_deref());
            (None, None)
        }
    };
    let doc = NewDocument {
        title: name.to_owned(),
        language,
        text,
        translation,
        force: job.force.clone(),
        operation: job.operation.clone(),
        source_type: parsed.source_type.to_owned(),
        provenance: Some(members::provenance(job, index, sha256.to_owned(), &parsed)),
        segments: parsed.segments,
        mentions: Vec::new(),
        translation_meta,
        correction: None,
    };
    (doc, for_workers)
}

impl Services {
    /// Runs one job to the end from wherever it stopped: waiting files are parsed off
    /// the runtime, indexed in batches with one commit each, linked in the graph, and
    /// the job saved after every batch. Re-running a file indexed before a crash
    /// replaces it (same content hash), never duplicates it.
    pub async fn run_job(&self, mut job: Job) -> Result<Job, PipelineError> {
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
            // Taken over by another replica (this one stalled past its lease): its now.
            if batch.is_empty() || self.jobs.lost(&job.id) {
                break;
            }
            tracing::debug!(job = job.id, files = batch.len(), "reading a batch");
            let snapshot = job.clone();
            let translation = self.translation.get();
            let workers = self.translation_workers().await?;
            let on_workers = workers.is_some();
            let speech = self.speech.is_some() || self.work.is_some();
            let spool = self.jobs.store().spool(&job.id)?;
            let scanners = self.ocr_workers().await?;
            let limits = toex_formats::Limits {
                ocr: scanners.is_none(),
                ..self.ocr_limits()
            };
            let prepared = self
                .jobs_cpu
                .run(move || {
                    let setting = Setting {
                        job: &snapshot,
                        limits: &limits,
                        translation: (!on_workers).then_some(&*translation),
                        speech,
                        spool: &spool,
                    };
                    // The batch's files side by side on the pool's workers (a scan waits
                    // for OCR while a text file is parsed).
                    batch
                        .into_par_iter()
                        .map(|i| (i, prepare(i, &setting)))
                        .collect::<Vec<_>>()
                })
                .await?;
            let mut docs = Vec::new();
            // Files kept as their documents' originals: recordings, photos, scans, PDFs.
            let mut originals = HashMap::new();
            let mut held = Vec::new();
            let mut recordings = Vec::new();
            let mut scans = Vec::new();
            // The files whose documents translation workers put into English.
            let mut foreign = HashSet::new();
            for (i, p) in prepared {
                match p {
                    Prepared::Status(s) => job.files[i].status = s,
                    Prepared::Read {
                        doc,
                        scan,
                        original,
                        sha256,
                        kept,
                        refused,
                        for_workers,
                    } => {
                        if for_workers {
                            foreign.insert(i);
                        }
                        if original {
                            originals.insert(i, job.files[i].path.clone());
                        }
                        match (doc, scan) {
                            (Some(doc), _) => docs.push((i, *doc)),
                            (None, Some(scan)) => scans.push((i, scan, sha256.clone())),
                            (None, None) => {
                                job.files[i].status = FileStatus::Opened {
                                    files: kept.len() + refused.len(),
                                }
                            }
                        }
                        held.push((i, sha256, kept, refused));
                    }
                    Prepared::Recording => recordings.push(i),
                }
            }
            // The batch's recordings side by side: each worker (or the speech engine's
            // queue) takes the next as soon as it is free.
            let heard = futures::future::join_all(
                recordings
                    .iter()
                    .map(|&i| self.transcribe_recording(&job, i)),
            )
            .await;
            for (i, outcome) in recordings.into_iter().zip(heard) {
                match outcome? {
                    Ok(doc) => {
                        originals.insert(i, job.files[i].path.clone());
                        if doc.language.as_deref().is_some_and(|l| l != "en") {
                            foreign.insert(i);
                        }
                        docs.push((i, doc));
                    }
                    Err(error) => job.files[i].status = FileStatus::Failed { error },
                }
            }
            if let Some(work) = scanners {
                let failed = self
                    .scan_on_workers(work, !on_workers, &job, scans, &mut docs, &mut foreign)
                    .await?;
                for (i, error) in failed {
                    job.files[i].status = FileStatus::Failed { error };
                }
            }
            if let Some(work) = workers {
                translate_on_workers(work, &job.id, &mut docs, &foreign).await?;
            }
            tracing::debug!(job = job.id, documents = docs.len(), "indexing a batch");
            let (slots, docs): (Vec<usize>, Vec<NewDocument>) = docs.into_iter().unzip();
            for (i, outcome) in slots
                .into_iter()
                .zip(self.ingest_batch_as(docs, WhileGraphDown::Wait).await)
            {
                job.files[i].status = match outcome {
                    Ok(done) => {
                        if let Some(path) = originals.remove(&i) {
                            self.keep_media(&done.id, path).await?;
                        }
                        FileStatus::Done {
                            document: done.id,
                            graph_linked: done.graph_linked,
                        }
                    }
                    Err(err) if err.bad_input().is_some() => FileStatus::Failed {
                        error: err.bad_input().unwrap_or_default().to_owned(),
                    },
                    // The index or the pool failed: stop, leaving the file waiting.
                    Err(err) => {
                        self.jobs.save(&mut job)?;
                        return Err(err);
                    }
                };
            }
            // What the batch's containers held joins the job, after their own documents
            // (so each member knows its container's document).
            let known = job.files.len();
            for (i, sha256, kept, refused) in held {
                members::adopt(&mut job, i, &sha256, kept, refused);
            }
            self.jobs.stash(&job, known).await?;
            job.current = None;
            self.jobs.save(&mut job)?;
        }
        if self.jobs.lost(&job.id) {
            return Ok(job);
        }
        self.pair_recordings(&mut job).await?;
        job.state = JobState::Done;
        self.jobs.save(&mut job)?;
        Ok(job)
    }

    /// The batch's scans read by OCR workers side by side, then made into documents on
    /// the jobs pool (as `prepare` makes the others); a scan OCR cannot read fails alone,
    /// listed with its reason. `translate_here`: the replica's own models put them into
    /// English (else `foreign` gains those for the translation workers).
    async fn scan_on_workers(
        &self,
        work: &toex_cluster::WorkQueue,
        translate_here: bool,
        job: &Job,
        mut scans: Vec<(usize, Box<toex_formats::Parsed>, String)>,
        docs: &mut Vec<(usize, NewDocument)>,
        foreign: &mut HashSet<usize>,
    ) -> Result<Vec<(usize, String)>, PipelineError> {
        let read = futures::future::join_all(
            scans
                .iter_mut()
                .map(|(i, parsed, _)| self.scan(work, job, *i, parsed)),
        )
        .await;
        let mut failed = Vec::new();
        let mut ready = Vec::new();
        for (scan, outcome) in scans.into_iter().zip(read) {
            match outcome? {
                Ok(()) => ready.push(scan),
                Err(reason) => failed.push((scan.0, reason)),
            }
        }
        let (snapshot, translation) = (job.clone(), self.translation.get());
        let made = self
            .jobs_cpu
            .run(move || {
                let here = translate_here.then_some(&*translation);
                ready
                    .into_par_iter()
                    .map(|(i, parsed, sha256)| {
                        (i, document_of(&snapshot, i, here, *parsed, &sha256))
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
        for (i, (doc, for_workers)) in made {
            if for_workers {
                foreign.insert(i);
            }
            docs.push((i, doc));
        }
        Ok(failed)
    }

    /// Transcribes file `i` of `job` (a recording), here or on a worker, into a document
    /// of time-coded segments in the spoken language, with an English translation of each
    /// segment when the language is not English (Whisper's translate task). `Err(reason)`
    /// for a file that is not usable audio; `Err` outside for a fault of the engine.
    async fn transcribe_recording(
        &self,
        job: &Job,
        i: usize,
    ) -> Result<Result<NewDocument, String>, PipelineError> {
        let file = &job.files[i];
        let Hearing {
            transcript,
            english,
        } = match self.hear(job, i).await? {
            Ok(hearing) => hearing,
            Err(reason) => return Ok(Err(reason)),
        };
        if transcript.segments.is_empty() {
            return Ok(Err("no speech was found in the recording".to_owned()));
        }
        let (translation, translation_meta) = match english {
            Some(Ok(english)) if !english.segments.is_empty() => (
                Some(english.text()),
                Some(toex_indexer::TranslationMeta {
                    engine: "whisper-translate".to_owned(),
                    model: Some(english.model.clone()),
                    version: None,
                    translated_at: Some(Utc::now().to_rfc3339()),
                    lines: Vec::new(),
                }),
            ),
            Some(Err(err)) => {
                tracing::warn!(file = file.name, error = err, "speech not translated");
                (None, None)
            }
            Some(Ok(_)) | None => (None, None),
        };
        Ok(Ok(NewDocument {
            title: file.name.clone(),
            text: transcript.text(),
            language: Some(transcript.language.clone()),
            translation,
            force: job.force.clone(),
            operation: job.operation.clone(),
            source_type: "transcript".to_owned(),
            segments: transcript_segments(&transcript),
            mentions: Vec::new(),
            translation_meta,
            correction: None,
            provenance: None,
        }))
    }

    /// Keeps a transcribed recording, or a photo, scan or PDF that was read, as its
    /// document's original.
    /// A recording that came with its transcript (the same file name but for the
    /// extension: `call 3.wav` with `call 3.srt`, `.vtt` or `.jsonl`) is kept as that
    /// document's media, and is done with it instead of pending.
    async fn pair_recordings(&self, job: &mut Job) -> Result<(), PipelineError> {
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
        for (i, document, _) in &pairs {
            self.keep_media(document, job.files[*i].path.clone())
                .await?;
        }
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

/// A transcript as time-coded document segments.
fn transcript_segments(t: &Speech) -> Vec<toex_formats::Segment> {
    t.segments
        .iter()
        .map(|s| toex_formats::Segment {
            text: s.text.clone(),
            start_ms: Some((s.start * 1000.0).round() as u64),
            end_ms: Some((s.end * 1000.0).round() as u64),
            ..Default::default()
        })
        .collect()
}
