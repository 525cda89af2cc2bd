//! A `toex worker` process: loads the models of its tasks once and takes items from the
//! NATS work queue until stopped (transcription today; each item acknowledged only
//! after its outcome is stored, so a worker killed mid-item loses nothing).

use std::sync::Arc;

use toex_cluster::{Outcome, WorkQueue};

use crate::jobs::hearing::{HearItem, TRANSCRIBE, hear_on};
use crate::settings::CoreSettings;
use crate::{PipelineError, open};

/// The tasks a worker can take.
pub const TASKS: &[&str] = &[TRANSCRIBE];

/// Runs a worker for `tasks` until the process stops.
pub async fn serve_work(settings: CoreSettings<'_>, tasks: &[String]) -> Result<(), PipelineError> {
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
    let (speech, _) = open::load_speech(settings.transcription).await?;
    let Some(speech) = speech else {
        return Err(PipelineError::Open {
            what: "the speech model".to_owned(),
            reason: format!(
                "no Whisper model in {} (scripts/fetch-models.sh installs one)",
                settings.transcription.model.display()
            ),
        });
    };
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let queue = WorkQueue::open(settings.nats, &format!("worker {}", host.trim())).await?;
    let scratch = tempfile::tempdir().map_err(|e| PipelineError::Open {
        what: "a scratch folder for recordings".to_owned(),
        reason: e.to_string(),
    })?;
    tracing::info!(tasks = ?tasks, "taking work");
    let speech = Arc::new(speech);
    let failed = queue
        .serve(TRANSCRIBE, scratch.path(), |item: HearItem, path| {
            let speech = speech.clone();
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
