//! Command-line interface: parses arguments, loads settings and dispatches subcommands.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::settings::{CliOverrides, LogFormat, Settings, SettingsError};
use crate::startup::Application;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "toex",
    version,
    about = "Search, translation, transcription and network analytics for exploitation investigations"
)]
pub struct Cli {
    /// TOML config file (settings there are overridden by TOEX_* variables, then by flags).
    #[arg(long, global = true, env = "TOEX_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve GraphQL (POST /graphql, GraphiQL at GET /graphql), /health and the web client.
    Serve(ServeArgs),
    /// Print the effective settings as TOML, secrets blanked.
    Config(ServeArgs),
    /// Write the GraphQL SDL (default: schema/schema.graphql).
    ExportSchema {
        #[arg(long, default_value = "schema/schema.graphql")]
        out: PathBuf,
    },
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Listen address, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long)]
    pub listen: Option<String>,
    /// Bolt URI of Neo4j.
    #[arg(long)]
    pub neo4j_uri: Option<String>,
    /// Directory of the search index.
    #[arg(long)]
    pub index_path: Option<PathBuf>,
    /// Directory of the built web client.
    #[arg(long)]
    pub web_dir: Option<PathBuf>,
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
}

impl ServeArgs {
    fn overrides(self) -> CliOverrides {
        CliOverrides {
            listen: self.listen,
            neo4j_uri: self.neo4j_uri,
            index_path: self.index_path,
            web_dir: self.web_dir,
            log_format: self.log_format,
        }
    }
}

/// Marks errors that come from bad configuration or usage (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<UsageError>().is_some() {
        2
    } else {
        1
    }
}

fn load_settings(config: Option<&std::path::Path>, args: ServeArgs) -> anyhow::Result<Settings> {
    Settings::load(config, std::env::vars(), args.overrides()).map_err(|e| {
        anyhow::Error::new(UsageError(match e {
            SettingsError::MissingFile(_) => e.to_string(),
            SettingsError::Invalid(m) => format!("invalid configuration: {m}"),
        }))
    })
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let settings = load_settings(cli.config.as_deref(), args)?;
            telemetry::init(&settings.log);
            serve(settings)
        }
        Command::Config(args) => {
            let settings = load_settings(cli.config.as_deref(), args)?;
            print!(
                "{}",
                toml::to_string(&settings.redacted()).context("rendering settings")?
            );
            Ok(())
        }
        Command::ExportSchema { out } => {
            std::fs::write(&out, toex_schema::sdl())
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let workers = settings.server.workers;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(2))
        .thread_name("toex-async")
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(async move {
            let app = Application::build(settings).await?;
            tracing::info!(url = %format!("http://{}/graphql", app.address()), "toex is serving");
            app.run_until_stopped().await
        })
}
