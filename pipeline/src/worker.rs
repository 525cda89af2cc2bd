//! A `toex worker` process: loads the models of its tasks once and takes items from the
//! NATS work queue until stopped (transcription today; each item acknowledged only
//! after its outcome is stored, so a worker killed mid-item loses nothing).

use std::sync::Arc;

use toex_cluster::{Outcome, WorkQueue, WorkerState};
use toex_inference::transcribe::SpeechEngine;

use crate::jobs::hearing::{HearItem, TRANSCRIBE, hear_on};
use crate::settings::CoreSettings;
use crate::{ModelInfo, PipelineError, open};

/// The tasks a worker can take.
pub const TASKS: &[&str] = &[TRANSCRIBE];

/// A worker, opened: its model loaded and the work queue reached.
pub struct Worker {
    queue: Arc<WorkQueue>,
    speech: Arc<SpeechEngine>,
    model: ModelInfo,
    tasks: Vec<String>,
    scratch: tempfile::TempDir,
}

/// What a worker's `/health` says.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WorkerHealth {
    pub role: &'static str,
    pub tasks: Vec<String>,
    pub model: String,
    /// Items waiting in the queue for any worker; `None` while NATS does not answer.
    pub waiting: Option<u64>,
    #[serde(flatten)]
    pub state: WorkerState,
}

impl Worker {
    /// Checks `tasks`, loads their models and reaches the work queue.
    pub async fn open(settings: CoreSettings<'_>, tasks: &[String]) -> Result<Self, PipelineError> {
        if !settings.nats.enabled() {
            return Err(PipelineError::InvalidInput(
                "`toex worker` takes work from NATS: set `nats.url` (or --nats)".to_owned(),
            ));
        }
        if let Some(task) = tasks.iter().find(|t| !TASKS.contains(&t.as_str())) {
            return Err(PipelineError::InvalidInput(format!(
                "no task `{task}`: a worker takes {}",
                TASKS.join(", ")
            )));
        }
        let (speech, model) = open::load_speech(settings.transcription).await?;
        let Some(speech) = speech else {
            return Err(PipelineError::Open {
                what: "the speech model".to_owned(),
                reason: format!(
                    "no Whisper model in {} (scripts/fetch-models.sh installs one)",
                    settings.transcription.model.display()
                ),
            });
        };
        let queue = WorkQueue::open(
            settings.nats,
            &format!("worker {}", toex_cluster::host_name()),
        )
        .await?;
        let scratch = tempfile::tempdir().map_err(|e| PipelineError::Open {
            what: "a scratch folder for recordings".to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            queue: Arc::new(queue),
            speech,
            model,
            tasks: tasks.to_vec(),
            scratch,
        })
    }

    /// What this worker has done and what waits for it.
    pub async fn health(&self) -> WorkerHealth {
        WorkerHealth {
            role: "WORKER",
            tasks: self.tasks.clone(),
            model: self.model.name.clone(),
            waiting: self.queue.waiting(TRANSCRIBE).await.ok(),
            state: self.queue.worker_state(),
        }
    }

    /// Takes work until the process stops.
    pub async fn run(&self) -> Result<(), PipelineError> {
        tracing::info!(tasks = ?self.tasks, "taking work");
        let failed = self
            .queue
            .serve(TRANSCRIBE, self.scratch.path(), |item: HearItem, path| {
                let speech = self.speech.clone();
                async move {
                    tracing::info!(file = item.name, "transcribing");
                    match hear_on(&speech, path, item.language, || |_, _| {}).await {
                        Ok(Ok(hearing)) => Ok(Outcome::Done(hearing)),
                        Ok(Err(reason)) => Ok(Outcome::Failed(reason)),
                        Err(e) => Err(e.to_string()),
                    }
                }
            })
            .await;
        Err(failed.into())
    }
}
