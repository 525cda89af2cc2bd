//! Builds the application from settings: opens the index, prepares the Neo4j client and
//! its monitor, builds the GraphQL schema once and binds the HTTP server.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use toex_cpu::CpuPool;
use toex_graph::GraphClient;
use toex_indexer::SearchIndex;
use toex_schema::{Limits, ModelInfo, Services, ToexSchema};
use tokio::task::JoinHandle;

use crate::routes;
use crate::settings::Settings;

/// A bound, not yet running, toex server.
pub struct Application {
    address: SocketAddr,
    server: Server,
    monitor: JoinHandle<()>,
    worker: JoinHandle<()>,
    services: Services,
}

/// Opens the index with the embedding model when its folder exists (loaded once).
pub async fn open_index(settings: &Settings) -> anyhow::Result<(SearchIndex, Vec<ModelInfo>)> {
    let index_path = settings.index.path.clone();
    let model_dir = settings.models.embedding.clone();
    tokio::task::spawn_blocking(move || {
        let embedder = if model_dir.join("model.safetensors").is_file() {
            let model = toex_inference::embed::Embedder::shared(&model_dir).with_context(|| {
                format!("loading the embedding model from {}", model_dir.display())
            })?;
            Some(Arc::new(toex_pipeline::models::MiniLm(model)) as Arc<dyn toex_indexer::Embed>)
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
        let index = SearchIndex::open(&index_path, embedder).context("opening the search index")?;
        anyhow::Ok((index, models))
    })
    .await
    .context("opening the search index")?
}

/// The translation models named in `t`, loaded, with `t`'s decoding settings.
pub fn translators(
    t: &crate::settings::TranslationSettings,
) -> Result<toex_inference::translate::Translators, toex_inference::InferenceError> {
    let decode = toex_inference::translate::DecodeOptions {
        beam: t.beam.max(1),
        max_tokens: t.max_tokens,
        ..Default::default()
    };
    toex_inference::translate::Translators::load(&t.models, decode, t.batch, t.precision.into())
}

/// The translation models named in settings, loaded once off the async runtime, and their
/// health entries. A configured model that cannot be loaded stops start-up with the reason.
pub async fn load_translators(
    settings: &Settings,
) -> anyhow::Result<(Arc<toex_inference::translate::Translators>, Vec<ModelInfo>)> {
    let t = settings.translation.clone();
    tokio::task::spawn_blocking(move || {
        let translators = translators(&t)?;
        let models = translators
            .loaded()
            .into_iter()
            .map(|(language, id)| ModelInfo {
                name: format!("{id} ({language}→en)"),
                task: "translation".to_owned(),
                loaded: true,
            })
            .collect();
        if t.models.is_empty() {
            tracing::info!("no translation models configured (translation.models)");
        }
        anyhow::Ok((Arc::new(translators), models))
    })
    .await
    .context("loading the translation models")?
}

/// Whisper from `transcription.model`, loaded once off the async runtime, and its health
/// entry. No model folder: a warning, and recordings wait (pending) for one. A folder that
/// does not load stops start-up with the reason.
pub async fn load_speech(
    settings: &Settings,
) -> anyhow::Result<(
    Option<Arc<toex_inference::transcribe::SpeechEngine>>,
    ModelInfo,
)> {
    let t = settings.transcription.clone();
    tokio::task::spawn_blocking(move || {
        let present = ["model.bin", "model.safetensors"]
            .iter()
            .any(|f| t.model.join(f).is_file());
        if !present {
            tracing::warn!(
                dir = %t.model.display(),
                "no Whisper model (scripts/fetch-models.sh installs it): recordings wait for transcription"
            );
            return anyhow::Ok((
                None,
                ModelInfo {
                    name: t.model.display().to_string(),
                    task: "transcription".to_owned(),
                    loaded: false,
                },
            ));
        }
        let whisper = toex_inference::transcribe::Whisper::load(&t.model, t.precision())
            .with_context(|| format!("loading Whisper from {}", t.model.display()))?;
        let info = ModelInfo {
            name: whisper.model_id.clone(),
            task: "transcription".to_owned(),
            loaded: true,
        };
        let engine = toex_inference::transcribe::SpeechEngine::new(whisper, t.options(), t.queue)?;
        anyhow::Ok((Some(Arc::new(engine)), info))
    })
    .await
    .context("loading the speech model")?
}

impl Application {
    /// Everything start-up needs. Neo4j being down is not an error: the monitor connects
    /// when it appears, and until then graph queries answer GRAPH_UNAVAILABLE.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let (index, mut models) = open_index(&settings).await?;
        let (translation, translation_models) = load_translators(&settings).await?;
        models.extend(translation_models);
        let (speech, speech_model) = load_speech(&settings).await?;
        models.push(speech_model);
        let graph = GraphClient::new(settings.neo4j.clone()).context("configuring Neo4j")?;
        let monitor = graph.spawn_monitor();
        let cpu = CpuPool::new("search", settings.index.threads, settings.index.queue)?;
        let store = toex_indexer::jobs::JobStore::open(&settings.index.jobs)
            .context("opening the ingest job store")?;
        let unfinished = store.unfinished().context("reading the ingest jobs")?;
        let (jobs, job_queue) = toex_pipeline::jobs::Jobs::new(store, settings.index.job_queue);
        let services = Services {
            graph,
            index: Arc::new(index),
            jobs: jobs.clone(),
            cpu,
            models,
            profiles: Arc::new(
                settings
                    .profiles
                    .load()
                    .context("loading the profile method")?,
            ),
            names: Arc::new(toex_pipeline::names::Names::new()),
            translation,
            speech,
            version: env!("CARGO_PKG_VERSION"),
        };
        let audit = Arc::new(
            toex_access::AuditLog::open(&settings.audit.path, &settings.audit.key_file)
                .context("opening the audit log")?,
        );
        let jwt = toex_access::JwtVerifier::new(&settings.auth.jwt).context("loading JWT keys")?;
        let gate = Arc::new(routes::Gate {
            auth: Arc::new(
                toex_access::Authenticator::new(&settings.auth.users, jwt)
                    .context("opening the user store")?,
            ),
            limiter: toex_access::RateLimiter::new(
                settings.auth.rate_per_minute,
                settings.auth.rate_burst,
            ),
            audit: audit.clone(),
            timeout: std::time::Duration::from_millis(settings.server.request_timeout_ms),
        });
        let schema = toex_schema::build_schema(
            services.clone(),
            Limits {
                introspection: settings.server.introspection,
                ..Limits::default()
            },
            Some(audit),
        );

        let listener = TcpListener::bind(settings.server.listen)
            .with_context(|| format!("binding {}", settings.server.listen))?;
        let address = listener.local_addr()?;
        let server = Self::http_server(listener, schema, services.clone(), gate, &settings)?;
        // One worker runs ingest jobs; jobs a previous process left unfinished go first.
        let worker = tokio::spawn(services.clone().run_jobs(job_queue));
        // Names in stored documents are linked again whenever the graph gains persons.
        tokio::spawn(services.clone().keep_names_current());
        if !unfinished.is_empty() {
            tracing::info!(jobs = unfinished.len(), "resuming unfinished ingest jobs");
            tokio::spawn(async move {
                for job in unfinished {
                    jobs.resume(job.id).await;
                }
            });
        }
        Ok(Self {
            address,
            server,
            monitor,
            worker,
            services,
        })
    }

    fn http_server(
        listener: TcpListener,
        schema: ToexSchema,
        services: Services,
        gate: Arc<routes::Gate>,
        settings: &Settings,
    ) -> anyhow::Result<Server> {
        let web_dir = settings.server.web_dir.clone();
        let max_body = settings.server.max_body_bytes;
        let origins = settings.server.cors_origins.clone();
        let gate = web::Data::from(gate);
        let server = HttpServer::new(move || {
            let cors = origins.iter().fold(
                actix_cors::Cors::default()
                    .allowed_methods(["GET", "POST"])
                    .allowed_headers([
                        actix_web::http::header::AUTHORIZATION,
                        actix_web::http::header::CONTENT_TYPE,
                        actix_web::http::header::HeaderName::from_static(routes::PURPOSE_HEADER),
                    ])
                    .max_age(600),
                |cors, origin| cors.allowed_origin(origin),
            );
            App::new()
                .wrap(cors)
                .wrap(actix_web::middleware::from_fn(routes::request_log))
                .app_data(gate.clone())
                .app_data(web::Data::new(schema.clone()))
                .app_data(web::Data::new(services.clone()))
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(web::Data::new(routes::WebDir(web_dir.clone())))
                .configure(routes::configure)
        })
        .listen(listener)
        .context("listening")?
        .workers(settings.server.workers)
        .shutdown_timeout(10)
        .disable_signals();
        Ok(server.run())
    }

    /// The bound address (useful with port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A handle that stops the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves until SIGINT/SIGTERM (or [`Application::handle`]'s stop), then drains
    /// in-flight requests and stops the monitor.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let signals = tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: draining in-flight requests");
            handle.stop(true).await;
        });
        let result = self.server.await.context("running the HTTP server");
        signals.abort();
        self.monitor.abort();
        self.worker.abort();
        tracing::info!("stopped");
        result
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
