//! The CLI's commands, one file each; this module holds what they share (the Neo4j
//! connection and progress bars).

mod case;
mod hotspots;
mod import;
mod ingest;
mod models;
mod profile;
mod run;
mod transcribe;
mod translate;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use toex_graph::GraphClient;
use toex_graph::import::IMPORT_ORDER;
use toex_graph::import::{ImportKind, ImportOptions, ImportProgress, ImportReport};
use toex_synthetic::{self as synthetic, Scale};

use crate::settings::Settings;

pub use case::{case_export, case_import};
pub use hotspots::hotspots;
pub use import::{demo, generate, import};
pub use ingest::{IngestMeta, ingest};
pub use models::{ModelsAction, models};
pub use profile::profile;
pub use run::{serve, worker};
pub use transcribe::transcribe;
pub use translate::{TranslateArgs, translate};

/// Connects to Neo4j (through the core's one place for it), waiting up to a minute.
pub(super) async fn connect(
    settings: &Settings,
) -> anyhow::Result<(GraphClient, tokio::task::JoinHandle<()>)> {
    Ok(toex_pipeline::open_graph_waiting(&settings.neo4j, Duration::from_secs(60)).await?)
}

pub(super) struct Bar(ProgressBar);

impl ImportProgress for Bar {
    fn parsed(&self, rows: u64) {
        self.0.inc_length(rows);
    }

    fn written(&self, rows: u64) {
        self.0.inc(rows);
    }
}

pub(super) fn bar(len: u64, label: &str, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix:>16}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{per_sec}} {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_owned());
    bar
}

/// A csv write error as the I/O error under it, so a closed pipe is recognised.
pub(super) fn csv_io(e: csv::Error) -> anyhow::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        other => anyhow::anyhow!("writing CSV: {other:?}"),
    }
}
