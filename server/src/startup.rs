//! Builds the server from settings: opens the application core (`Services::open`), starts
//! its background work, builds the GraphQL schema once and binds the HTTP server.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use toex_pipeline::Background;
use toex_schema::{SchemaSettings, Services, ToexSchema};

use crate::routes;
use crate::settings::Settings;

/// How long a new connection may wait for its first request's head before it is closed
/// with 408: longer than a browser keeps a connection it opened ahead of need.
const FIRST_REQUEST_WAIT: Duration = Duration::from_secs(30);
/// How long an idle connection is kept between requests (nginx's default).
const KEEP_ALIVE: Duration = Duration::from_secs(75);

/// A bound, not yet running, toex server.
pub struct Application {
    address: SocketAddr,
    server: Server,
    background: Background,
    services: Services,
}

impl Application {
    /// Everything start-up needs. Neo4j being down is not an error: the monitor connects
    /// when it appears, and until then graph queries answer GRAPH_UNAVAILABLE.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let opened = Services::open(settings.core()).await?;
        let services = opened.services.clone();
        if settings.neo4j.warm_plans {
            services.graph.warm_plans_on_connect();
        }
        let audit = Arc::new(
            toex_access::AuditLog::open(&settings.audit.path, &settings.audit.key_file)
                .context("opening the audit log")?,
        );
        let jwt = toex_access::JwtVerifier::new(&settings.auth.jwt).context("loading JWT keys")?;
        let gate = Arc::new(routes::Gate {
            max_body: settings.server.max_body_bytes,
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
            SchemaSettings {
                introspection: settings.server.introspection,
                marking: settings.server.marking.clone(),
                ..SchemaSettings::default()
            },
            Some(audit),
        );

        let listener = TcpListener::bind(settings.server.listen)
            .with_context(|| format!("binding {}", settings.server.listen))?;
        let address = listener.local_addr()?;
        let server = Self::http_server(listener, schema, services.clone(), gate, &settings)?;
        let (services, background) = opened.start();
        Ok(Self {
            address,
            server,
            background,
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
                .wrap(routes::hardening_headers())
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
        // Browsers open connections ahead of need (Chromium keeps an unused one up to
        // 10 s); actix's 5 s default answered those with 408 before any request came,
        // which the page then read as its next request's answer.
        .client_request_timeout(FIRST_REQUEST_WAIT)
        // And they reuse idle ones for minutes: closing after 5 s raced their next request.
        .keep_alive(KEEP_ALIVE)
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
        self.background.monitor.abort();
        self.background.worker.abort();
        tracing::info!("stopped");
        result
    }
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn wait_for_signal() {
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
