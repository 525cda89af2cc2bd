//! The long-running processes: `toex serve` (an API server, alone or one replica of
//! several) and `toex worker` (takes heavy work from the NATS work queue, with a
//! `/health` of its own when asked).

use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use toex_pipeline::worker::Worker;

use crate::settings::Settings;
use crate::startup::Application;

fn runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(2))
        .thread_name("toex-async")
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn serve(settings: Settings) -> anyhow::Result<()> {
    runtime(settings.server.workers)?.block_on(async move {
        let app = Application::build(settings).await?;
        tracing::info!(url = %format!("http://{}/graphql", app.address()), "toex is serving");
        app.run_until_stopped().await
    })
}

/// Runs a worker; with `health`, also answers `GET /health` there (role, tasks, what
/// it has done, what waits in the queue: counts only, no case data).
pub fn worker(
    settings: Settings,
    tasks: Vec<String>,
    health: Option<String>,
) -> anyhow::Result<()> {
    runtime(2)?.block_on(async move {
        let worker = Arc::new(Worker::open(settings.core(), &tasks).await?);
        if let Some(address) = health {
            let shared = web::Data::from(worker.clone());
            let server = HttpServer::new(move || {
                App::new().app_data(shared.clone()).route(
                    "/health",
                    web::get().to(|w: web::Data<Worker>| async move {
                        HttpResponse::Ok().json(w.health().await)
                    }),
                )
            })
            .workers(1)
            // The worker stops as a whole on a signal (below), not its /health alone.
            .disable_signals()
            .bind(&address)
            .with_context(|| format!("listening on {address} for /health"))?;
            for bound in server.addrs() {
                tracing::info!(url = %format!("http://{bound}/health"), "worker health");
            }
            tokio::spawn(server.run());
        }
        // Stopping abandons the item in hand: NATS gives it to another worker once
        // its heartbeat stops.
        tokio::select! {
            ran = worker.run() => ran?,
            () = crate::startup::wait_for_signal() => tracing::info!("stopped"),
        }
        Ok(())
    })
}
