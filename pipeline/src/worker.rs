//! A `toex worker` process: loads the models of its tasks once and takes items from the
//! NATS work queue until stopped (transcription, translation, OCR, embedding; each item acknowledged
//! only after its outcome is stored, so a worker killed mid-item loses nothing).

use std::sync::Arc;

use toex_cluster::{ClusterError, Nats, Outcome, WorkQueue, WorkerState};
use toex_inference::transcribe::SpeechEngine;

use crate::embedding::{EMBED, EmbedItem, embed_on};
use crate::jobs::hearing::{HearItem, TRANSCRIBE, hear_on};
use crate::jobs::rendering::{TRANSLATE, TranslateItem, render_on};
use crate::jobs::scanning::{OCR, ScanItem, scan_on};
use crate::settings::CoreSettings;
use crate::{PipelineError, TranslationModels, open};

/// The tasks a worker can take.
pub const TASKS: &[&str] = &[TRANSCRIBE, TRANSLATE, OCR, EMBED];

/// A worker, opened: the models of its tasks loaded and the work queue reached.
pub struct Worker {
    queue: Arc<WorkQueue>,
    speech: Option<Arc<SpeechEngine>>,
    translation: Option<Arc<TranslationModels>>,
    embedder: Option<Arc<dyn toex_indexer::Embed>>,
    cpu: toex_cpu::CpuPool,
    models: Vec<String>,
    tasks: Vec<String>,
    scratch: tempfile::TempDir,
}

/// What a worker's `/health` says.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WorkerHealth {
    pub role: &'static str,
    pub tasks: Vec<String>,
    /// The models loaded for them, `name@hash` each.
    pub model: String,
    /// Items of its tasks waiting in the queue for any worker; `None` while NATS does
    /// not answer.
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
        let mut models = Vec::new();
        let speech = match tasks.iter().any(|t| t == TRANSCRIBE) {
            true => Some(load_speech(&settings, &mut models).await?),
            false => None,
        };
        let translation = match tasks.iter().any(|t| t == TRANSLATE) {
            true => Some(load_translation(&settings, &mut models).await?),
            false => None,
        };
        if tasks.iter().any(|t| t == OCR) {
            let limits = toex_formats::Limits::default();
            let tesseract = toex_formats::ocr_version(&limits.ocr_languages);
            if tesseract.contains("unknown") {
                return Err(PipelineError::Open {
                    what: "Tesseract for OCR".to_owned(),
                    reason: format!(
                        "{tesseract}: install tesseract-ocr with its `{}` data (scripts/setup.sh)",
                        limits.ocr_languages
                    ),
                });
            }
            models.push(tesseract);
        }
        let embedder = match tasks.iter().any(|t| t == EMBED) {
            true => {
                let dir = settings.models.embedding.clone();
                let model = tokio::task::spawn_blocking(move || crate::embedding::load_model(&dir))
                    .await
                    .map_err(|e| PipelineError::Open {
                        what: "the embedding model".to_owned(),
                        reason: e.to_string(),
                    })??;
                models.push(model.model_id().to_owned());
                Some(model)
            }
            false => None,
        };
        let who = format!("worker {}", toex_cluster::host_name());
        let queue = WorkQueue::open(&Nats::connect(settings.nats, &who).await?).await?;
        let scratch = tempfile::tempdir().map_err(|e| PipelineError::Open {
            what: "a scratch folder for recordings".to_owned(),
            reason: e.to_string(),
        })?;
        // Translation and OCR run here, never on the runtime's threads.
        let cpu = toex_cpu::CpuPool::new("work", settings.index.threads, 64)?;
        Ok(Self {
            queue: Arc::new(queue),
            speech,
            translation,
            embedder,
            cpu,
            models,
            tasks: tasks.to_vec(),
            scratch,
        })
    }

    /// What this worker has done and what waits for it.
    pub async fn health(&self) -> WorkerHealth {
        let mut waiting = Some(0);
        for task in &self.tasks {
            let more = self.queue.waiting(task).await.ok();
            waiting = waiting.zip(more).map(|(a, b)| a + b);
        }
        WorkerHealth {
            role: "WORKER",
            tasks: self.tasks.clone(),
            model: self.models.join(", "),
            waiting,
            state: self.queue.worker_state(),
        }
    }

    /// Takes work of each of its tasks side by side until the process stops.
    pub async fn run(&self) -> Result<(), PipelineError> {
        tracing::info!(tasks = ?self.tasks, "taking work");
        let mut serving: Vec<futures::future::LocalBoxFuture<'_, ClusterError>> = Vec::new();
        if let Some(speech) = &self.speech {
            serving.push(Box::pin(self.queue.serve(
                TRANSCRIBE,
                self.scratch.path(),
                1,
                move |item: HearItem, path| {
                    let speech = speech.clone();
                    async move {
                        let path =
                            path.ok_or_else(|| "a recording came without its file".to_owned())?;
                        tracing::info!(file = item.name, "transcribing");
                        match hear_on(&speech, path, item.language, || |_, _| {}).await {
                            Ok(Ok(hearing)) => Ok(Outcome::Done(hearing)),
                            Ok(Err(reason)) => Ok(Outcome::Failed(reason)),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                },
            )));
        }
        if let Some(translation) = &self.translation {
            serving.push(Box::pin(self.queue.serve(
                TRANSLATE,
                self.scratch.path(),
                1,
                move |item: TranslateItem, _| {
                    let translators = translation.get();
                    async move {
                        tracing::info!(file = item.name, language = item.language, "translating");
                        on_pool(&self.cpu, move || render_on(&translators, &item)).await
                    }
                },
            )));
        }
        if self.tasks.iter().any(|t| t == OCR) {
            // A page per thread: as many scans in hand as the pool has threads.
            serving.push(Box::pin(self.queue.serve(
                OCR,
                self.scratch.path(),
                self.cpu.threads(),
                move |item: ScanItem, path| {
                    async move {
                        let path = path.ok_or_else(|| "a scan came without its file".to_owned())?;
                        tracing::info!(file = item.name, "reading by OCR");
                        // One page at a time per item: the items in hand fill the pool.
                        let limits = toex_formats::Limits::default();
                        on_pool(&self.cpu, move || scan_on(&path, &item.name, &limits)).await
                    }
                },
            )));
        }
        if let Some(embedder) = &self.embedder {
            serving.push(Box::pin(self.queue.serve(
                EMBED,
                self.scratch.path(),
                1,
                move |item: EmbedItem, _| {
                    let embedder = embedder.clone();
                    async move {
                        tracing::debug!(texts = item.texts.len(), "embedding");
                        on_pool(&self.cpu, move || embed_on(&*embedder, &item)).await
                    }
                },
            )));
        }
        let (failed, _, _) = futures::future::select_all(serving).await;
        Err(failed.into())
    }
}

/// Runs `work` on the worker's pool, waiting out a full pool (the queue holds the rest):
/// `Ok(Err(reason))` from `work` is an item that never can be done.
async fn on_pool<R: Send + 'static>(
    cpu: &toex_cpu::CpuPool,
    work: impl Fn() -> Result<R, String> + Send + Sync + 'static,
) -> Result<Outcome<R>, String> {
    let work = Arc::new(work);
    loop {
        let work = work.clone();
        match cpu.run(move || work()).await {
            Ok(Ok(done)) => return Ok(Outcome::Done(done)),
            Ok(Err(reason)) => return Ok(Outcome::Failed(reason)),
            Err(toex_cpu::PoolError::Overloaded { .. }) => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

async fn load_speech(
    settings: &CoreSettings<'_>,
    models: &mut Vec<String>,
) -> Result<Arc<SpeechEngine>, PipelineError> {
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
    models.push(model.name);
    Ok(speech)
}

async fn load_translation(
    settings: &CoreSettings<'_>,
    models: &mut Vec<String>,
) -> Result<Arc<TranslationModels>, PipelineError> {
    let translation = open::open_translation(settings.translation, &settings.models.dir).await?;
    let loaded = translation.get();
    if loaded.is_empty() {
        return Err(PipelineError::Open {
            what: "the translation models".to_owned(),
            reason: "none configured (translation.models, translation.nllb, toex models install)"
                .to_owned(),
        });
    }
    let names: std::collections::BTreeSet<&str> = loaded
        .languages()
        .iter()
        .map(|l| l.model.as_str())
        .collect();
    models.extend(names.into_iter().map(str::to_owned));
    Ok(translation)
}
