//! OCR on `toex worker --tasks ocr` processes (with NATS, while such a worker is taking
//! work): a scan (a photo, a PDF with pages without a text layer) is read for its facts
//! here, its file goes to a worker, which runs Tesseract and answers with the lines it
//! read; should the OCR workers go away meanwhile, it is read here instead.

use std::path::Path;

use serde::{Deserialize, Serialize};
use toex_cluster::{Outcome, WorkQueue};
use toex_formats::{Limits, Parsed, Scanned};
use toex_indexer::jobs::Job;

use super::WORKER_PATIENCE;
use crate::{PipelineError, Services};

/// The work-queue task that reads scans by OCR.
pub const OCR: &str = "ocr";

/// What a worker is sent beside the file: its name, which says its format.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanItem {
    pub name: String,
}

/// Reads the file at `path` (named `name`) with OCR, on the calling thread (a pool's):
/// what OCR made of it, or why it cannot be read.
pub fn scan_on(path: &Path, name: &str, limits: &Limits) -> Result<Scanned, String> {
    let bytes = super::files::file_bytes(path)?;
    let limits = Limits {
        ocr: true,
        ..limits.clone()
    };
    toex_formats::read(name, &bytes, &limits)
        .map_err(|e| e.to_string())?
        .document
        .map(Parsed::into_scan)
        .ok_or_else(|| "it holds no document for OCR to read".to_owned())
}

impl Services {
    /// The work queue, while a worker takes `ocr` from it: scans go there.
    pub(super) async fn ocr_workers(&self) -> Result<Option<&WorkQueue>, PipelineError> {
        let Some(work) = self.work.as_deref() else {
            return Ok(None);
        };
        Ok(work.has_takers(OCR).await?.then_some(work))
    }

    /// Completes file `i` of `job`, read here for its facts (`parsed`), with what an OCR
    /// worker reads of it; `Err(reason)` for a file OCR cannot read.
    pub(super) async fn scan(
        &self,
        work: &WorkQueue,
        job: &Job,
        i: usize,
        parsed: &mut Parsed,
    ) -> Result<Result<(), String>, PipelineError> {
        let file = &job.files[i];
        let item = ScanItem {
            name: file.name.clone(),
        };
        let id = format!("{}-{i}-ocr", job.id);
        let outcome = work
            .run_while_taken(OCR, &id, &item, Some(&file.path), WORKER_PATIENCE)
            .await?;
        let scan = match outcome {
            Outcome::Done(scan) => scan,
            // The workers went away while it waited: read here, as without them.
            Outcome::Failed(_) if !work.has_takers(OCR).await? => {
                tracing::info!(
                    job = job.id,
                    file = file.name,
                    "no OCR worker left: read here"
                );
                let (path, name) = (file.path.clone(), file.name.clone());
                let limits = self.ocr_limits();
                match self
                    .jobs_cpu
                    .run(move || scan_on(&path, &name, &limits))
                    .await?
                {
                    Ok(scan) => scan,
                    Err(reason) => return Ok(Err(reason)),
                }
            }
            Outcome::Failed(reason) => return Ok(Err(reason)),
        };
        parsed.take_scan(scan);
        Ok(Ok(()))
    }

    /// How files are read here: scanned pages side by side, as many as the jobs pool has
    /// workers.
    pub(super) fn ocr_limits(&self) -> Limits {
        Limits {
            ocr_workers: self.jobs_cpu.threads(),
            ..Limits::default()
        }
    }
}
