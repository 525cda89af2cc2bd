//! The one place the application is assembled: the index with its embedding model, the
//! translation and speech models, the graph client and its monitor, the CPU pool and the
//! job queue. `toex serve` and `toex ingest` open it here; the commands that need only the
//! graph or one model open just that, so they can run beside a server holding the index.

use std::path::Path;
use std::sync::Arc;

use toex_cpu::CpuPool;
use toex_graph::{GraphClient, GraphSettings};
use toex_indexer::jobs::{Job, JobStore};
use toex_indexer::{Embed, SearchIndex};
use toex_inference::transcribe::{SpeechEngine, Whisper};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::jobs::Jobs;
use crate::models::MiniLm;
use crate::names::Names;
use crate::settings::{CoreSettings, ModelSettings, TranscriptionSettings, TranslationSettings};
use crate::{ModelInfo, PipelineError, Services, TranslationModels};

/// The services, opened, with what their background tasks need.
pub struct Opened {
    pub services: Services,
    /// Job ids for the worker ([`Services::run_jobs`]).
    pub job_queue: mpsc::Receiver<String>,
    /// Jobs a previous process left unfinished.
    pub unfinished: Vec<Job>,
    /// Probes Neo4j and applies migrations when it appears.
    pub monitor: JoinHandle<()>,
    /// With NATS: the job leases and the shared spool, for [`Jobs::hand_over`].
    pub handover: Option<(toex_cluster::Leases, toex_cluster::Spool)>,
}

/// The background tasks of a serving process.
pub struct Background {
    pub monitor: JoinHandle<()>,
    pub worker: JoinHandle<()>,
}

impl Services {
    /// Opens everything the core needs. Neo4j being down is not an error: the monitor
    /// connects when it appears, and until then graph calls answer unavailable.
    pub async fn open(settings: CoreSettings<'_>) -> Result<Opened, PipelineError> {
        let (index, mut models) = open_index(&settings.index.path, settings.models).await?;
        let translation = open_translation(settings.translation, &settings.models.dir).await?;
        // A replica sends recordings to the workers and loads no speech model itself; its
        // index log, work queue and job states share one NATS connection.
        let replica = replica_of(settings.nats, &settings.index.path);
        let (speech, nats) = match settings.nats.enabled() {
            false => {
                let (speech, speech_model) = load_speech(settings.transcription).await?;
                models.push(speech_model);
                (speech, None)
            }
            true => {
                let nats = toex_cluster::Nats::connect(settings.nats, &replica)
                    .await
                    .map_err(|e| opening("NATS", e))?;
                (None, Some(nats))
            }
        };
        let work = match &nats {
            Some(nats) => Some((
                Arc::new(
                    toex_cluster::WorkQueue::open(nats)
                        .await
                        .map_err(|e| opening("the work queue on NATS JetStream", e))?,
                ),
                toex_cluster::Latest::open(nats, "TOEX_JOBS", "toex.job")
                    .await
                    .map_err(|e| opening("the job states on NATS JetStream", e))?,
            )),
            None => None,
        };
        let (work, latest) = work.unzip();
        let handover = match &nats {
            Some(nats) => Some((
                toex_cluster::Leases::open(nats, &replica)
                    .await
                    .map_err(|e| opening("the job leases on NATS JetStream", e))?,
                toex_cluster::Spool::open(nats)
                    .await
                    .map_err(|e| opening("the job spool on NATS JetStream", e))?,
            )),
            None => None,
        };
        let shared_media = match &nats {
            Some(nats) => Some(Arc::new(crate::media::SharedMedia::new(
                toex_cluster::Originals::open(nats)
                    .await
                    .map_err(|e| opening("the shared originals on NATS JetStream", e))?,
            ))),
            None => None,
        };
        let (graph, monitor) = open_graph(settings.neo4j)?;
        let cpu = CpuPool::new("search", settings.index.threads, settings.index.queue)?;
        let jobs_cpu = CpuPool::new("jobs", settings.index.threads, settings.index.queue)?;
        let store =
            JobStore::open(&settings.index.jobs).map_err(|e| opening("the ingest job store", e))?;
        let unfinished = store
            .unfinished()
            .map_err(|e| opening("the ingest jobs", e))?;
        if let Some(nats) = &nats {
            // Media URLs signed by one replica hold on every other.
            let media = store.media();
            let key = toex_cluster::agreed_key(nats, "media", media.signing_key())
                .await
                .map_err(|e| opening("the media signing key on NATS JetStream", e))?;
            media.use_signing_key(key);
        }
        let (jobs, job_queue) = Jobs::new(store, settings.index.job_queue);
        if let Some(latest) = latest {
            jobs.share(latest);
        }
        let replication = match &nats {
            Some(nats) => Some(Arc::new(
                crate::replication::Replication::open(nats, &replica).await?,
            )),
            None => None,
        };
        let profiles = settings
            .profiles
            .load()
            .map_err(|e| opening("the profile method", e))?;
        let services = Services {
            ingest_graph: Arc::new(graph.clone()),
            graph,
            index: Arc::new(index),
            jobs,
            cpu,
            jobs_cpu,
            models,
            profiles: Arc::new(profiles),
            names: Arc::new(Names::new()),
            alerts: Arc::default(),
            translation,
            speech,
            replication,
            work,
            shared_media,
            version: env!("CARGO_PKG_VERSION"),
        };
        Ok(Opened {
            services,
            job_queue,
            unfinished,
            monitor,
            handover,
        })
    }
}

impl Opened {
    /// Starts the background work of a serving process: the job worker (jobs a previous
    /// process left unfinished go first; with NATS, job leases renewed and a lost
    /// replica's jobs taken over), the names re-linker and the alert feed's
    /// catch-up with alerts other processes raise.
    pub fn start(self) -> (Services, Background) {
        let Opened {
            services,
            job_queue,
            unfinished,
            monitor,
            handover,
        } = self;
        if let Some((leases, spool)) = handover {
            services.jobs.hand_over(leases, spool);
        }
        // A replica applies the index log before (and while) it serves.
        if let Some(replication) = &services.replication {
            replication.follow(services.index.clone(), services.cpu.clone());
        }
        let worker = tokio::spawn(services.clone().run_jobs(job_queue));
        // Names in stored documents are linked again whenever the graph gains persons.
        tokio::spawn(services.clone().keep_names_current());
        tokio::spawn(services.clone().follow_alerts());
        tokio::spawn(services.clone().keep_translation_current());
        if !unfinished.is_empty() {
            tracing::info!(jobs = unfinished.len(), "resuming unfinished ingest jobs");
            let jobs = services.jobs.clone();
            tokio::spawn(async move {
                for job in unfinished {
                    // With NATS, unless another replica took it over meanwhile.
                    if jobs.reclaim(&job.id).await {
                        jobs.resume(job.id).await;
                    }
                }
            });
        }
        (services, Background { monitor, worker })
    }
}

/// The graph client and its monitor (which connects, and applies migrations, whenever
/// Neo4j appears): the one place either is made, for the server and the commands.
pub fn open_graph(neo4j: &GraphSettings) -> Result<(GraphClient, JoinHandle<()>), PipelineError> {
    let graph = GraphClient::new(neo4j.clone())?;
    let monitor = graph.spawn_monitor();
    Ok((graph, monitor))
}

/// [`open_graph`] for a command that cannot start without Neo4j: waits up to `patience`
/// for it, then fails naming where it looked.
pub async fn open_graph_waiting(
    neo4j: &GraphSettings,
    patience: std::time::Duration,
) -> Result<(GraphClient, JoinHandle<()>), PipelineError> {
    let (graph, monitor) = open_graph(neo4j)?;
    if !graph.wait_until_up(patience).await {
        monitor.abort();
        return Err(PipelineError::Open {
            what: format!("connecting to Neo4j at {}", neo4j.uri),
            reason: format!(
                "not reachable in {} s ({:?}); start it with scripts/neo4j.sh start",
                patience.as_secs(),
                graph.connectivity()
            ),
        });
    }
    Ok((graph, monitor))
}

fn opening(what: &str, e: impl std::fmt::Display) -> PipelineError {
    PipelineError::Open {
        what: format!("opening {what}"),
        reason: e.to_string(),
    }
}

/// Runs a blocking load off the async runtime.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> Result<T, PipelineError> + Send + 'static,
) -> Result<T, PipelineError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| opening(what, e))?
}

/// Opens the index with the embedding model when its folder exists (loaded once).
async fn open_index(
    path: &Path,
    models: &ModelSettings,
) -> Result<(SearchIndex, Vec<ModelInfo>), PipelineError> {
    let index_path = path.to_owned();
    let model_dir = models.embedding.clone();
    blocking("the search index", move || {
        let embedder = if model_dir.join("model.safetensors").is_file() {
            let model = toex_inference::embed::Embedder::shared(&model_dir).map_err(|e| {
                PipelineError::Open {
                    what: format!("loading the embedding model from {}", model_dir.display()),
                    reason: e.to_string(),
                }
            })?;
            Some(Arc::new(MiniLm(model)) as Arc<dyn Embed>)
        } else {
            tracing::warn!(
                dir = %model_dir.display(),
                "no embedding model (scripts/fetch-models.sh installs it): search is keyword-only"
            );
            None
        };
        let models = vec![ModelInfo {
            name: embedder.as_ref().map_or_else(
                || "all-MiniLM-L6-v2".to_owned(),
                |e| e.model_id().to_owned(),
            ),
            task: "embedding".to_owned(),
            loaded: embedder.is_some(),
        }];
        let index =
            SearchIndex::open(&index_path, embedder).map_err(|e| opening("the search index", e))?;
        Ok((index, models))
    })
    .await
}

/// The translation models of settings and those installed, loaded once off the async
/// runtime. A model that cannot be loaded stops start-up with the reason.
pub(crate) async fn open_translation(
    t: &TranslationSettings,
    models_dir: &Path,
) -> Result<Arc<TranslationModels>, PipelineError> {
    let (t, models_dir) = (t.clone(), models_dir.to_path_buf());
    blocking("the translation models", move || {
        let models = TranslationModels::open(&t, &models_dir)
            .map_err(|e| opening("the translation models", e))?;
        if models.get().is_empty() {
            tracing::info!(
                "no translation models (translation.models, translation.nllb, toex models install)"
            );
        }
        Ok(Arc::new(models))
    })
    .await
}

/// Whisper from `transcription.model`, loaded once off the async runtime, and its health
/// entry. No model folder: a warning, and recordings wait (pending) for one. A folder that
/// does not load stops start-up with the reason.
pub(crate) async fn load_speech(
    t: &TranscriptionSettings,
) -> Result<(Option<Arc<SpeechEngine>>, ModelInfo), PipelineError> {
    let t = t.clone();
    blocking("the speech model", move || {
        let present = ["model.bin", "model.safetensors"]
            .iter()
            .any(|f| t.model.join(f).is_file());
        if !present {
            tracing::warn!(
                dir = %t.model.display(),
                "no Whisper model (scripts/fetch-models.sh installs it): recordings wait for transcription"
            );
            return Ok((
                None,
                ModelInfo {
                    name: t.model.display().to_string(),
                    task: "transcription".to_owned(),
                    loaded: false,
                },
            ));
        }
        let whisper = Whisper::load(&t.model, t.precision()).map_err(|e| PipelineError::Open {
            what: format!("loading Whisper from {}", t.model.display()),
            reason: e.to_string(),
        })?;
        let info = ModelInfo {
            name: whisper.model_id.clone(),
            task: "transcription".to_owned(),
            loaded: true,
        };
        let engine = SpeechEngine::new(whisper, t.options(), t.queue)?;
        Ok((Some(Arc::new(engine)), info))
    })
    .await
}

/// This replica's consumer name: the configured one, or the host name and a digest of
/// the index path (stable across restarts, different for two replicas on one host).
fn replica_of(nats: &toex_cluster::NatsSettings, index: &Path) -> String {
    if !nats.replica.is_empty() {
        return nats.replica.clone();
    }
    let host = toex_cluster::host_name();
    let place = std::path::absolute(index).unwrap_or_else(|_| index.to_owned());
    toex_cluster::replica_name(&host, &place.to_string_lossy())
}
