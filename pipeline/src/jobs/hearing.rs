//! A recording heard: on this process's speech engine, or (with NATS) by a `toex worker`
//! that took it from the work queue; either way the job sees one [`Hearing`].

use serde::{Deserialize, Serialize};
use toex_cluster::Outcome;
use toex_indexer::jobs::Job;
use toex_inference::transcribe::{Heard, SpeechEngine, Transcript};

use super::{WORKER_PATIENCE, item_progress};
use crate::{PipelineError, Services};

/// The work-queue task that transcribes recordings.
pub const TRANSCRIBE: &str = "transcribe";

/// A transcript as the job needs it (and as a worker sends it back).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Speech {
    /// ISO 639-1 code of the speech.
    pub language: String,
    /// The model that heard it (`name@hash`).
    pub model: String,
    pub segments: Vec<Spoken>,
}

/// One time-coded stretch of speech, in seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spoken {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// A recording heard: its transcript and, for speech not in English, its English
/// translation (or why there is none).
#[derive(Debug, Serialize, Deserialize)]
pub struct Hearing {
    pub transcript: Speech,
    pub english: Option<Result<Speech, String>>,
}

/// What a worker is sent with the recording.
#[derive(Debug, Serialize, Deserialize)]
pub struct HearItem {
    /// The file's name, for the worker's log.
    pub name: String,
    /// The job's stated language, if any.
    pub language: Option<String>,
}

impl Speech {
    fn of(t: &Transcript) -> Self {
        Self {
            language: t.language.clone(),
            model: t.model.clone(),
            segments: t
                .segments
                .iter()
                .map(|s| Spoken {
                    start: s.start,
                    end: s.end,
                    text: s.text.clone(),
                })
                .collect(),
        }
    }

    /// The text, one segment per line.
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        lines.join("\n")
    }
}

impl Hearing {
    fn of(heard: Heard) -> Self {
        Self {
            transcript: Speech::of(&heard.transcript),
            english: heard
                .english
                .map(|e| e.as_ref().map(Speech::of).map_err(ToString::to_string)),
        }
    }
}

/// Hears `path` on `speech`, waiting for room in its queue: `Err(reason)` for a file
/// that is not usable audio.
pub async fn hear_on<P>(
    speech: &SpeechEngine,
    path: std::path::PathBuf,
    language: Option<String>,
    progress: impl Fn() -> P,
) -> Result<Result<Hearing, String>, PipelineError>
where
    P: FnMut(f64, f64) + Send + 'static,
{
    // The caller is the queue's steady customer: it waits for room.
    let heard = loop {
        match speech
            .hear(path.clone(), language.clone(), progress())
            .await
        {
            Err(toex_cpu::PoolError::Overloaded { .. }) => {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            other => break other?,
        }
    };
    match heard {
        Ok(heard) => Ok(Ok(Hearing::of(heard))),
        Err(toex_inference::InferenceError::InvalidDocument(reason)) => Ok(Err(reason)),
        Err(other) => Err(other.into()),
    }
}

impl Services {
    /// Hears recording `i` of `job`: on a worker when this replica has a work queue,
    /// else on this process's speech engine.
    pub(super) async fn hear(
        &self,
        job: &Job,
        i: usize,
    ) -> Result<Result<Hearing, String>, PipelineError> {
        let file = &job.files[i];
        if let Some(work) = &self.work {
            let item = HearItem {
                name: file.name.clone(),
                language: job.language.clone(),
            };
            let id = format!("{}-{i}", job.id);
            let outcome = work
                .run(TRANSCRIBE, &id, &item, Some(&file.path), WORKER_PATIENCE)
                .await?;
            return Ok(match outcome {
                Outcome::Done(hearing) => Ok(hearing),
                Outcome::Failed(reason) => Err(reason),
            });
        }
        let speech = self
            .speech
            .as_ref()
            .expect("only heard with a speech engine or workers");
        let progress = || item_progress(self.jobs.clone(), job, i, "seconds");
        hear_on(speech, file.path.clone(), job.language.clone(), progress).await
    }
}
