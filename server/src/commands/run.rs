//! The long-running processes: `toex serve` (an API server, alone or one replica of
//! several) and `toex worker` (takes heavy work from the NATS work queue).

use anyhow::Context;

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

pub fn worker(settings: Settings, tasks: Vec<String>) -> anyhow::Result<()> {
    runtime(2)?.block_on(async move {
        toex_pipeline::worker::serve_work(settings.core(), &tasks).await?;
        Ok(())
    })
}
