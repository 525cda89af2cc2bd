//! Command-line interface: parses arguments, loads settings and dispatches subcommands.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use toex_graph::import::{ImportKind, ImportOptions};
use toex_synthetic::Scale;

use crate::commands;
use crate::settings::{CliOverrides, LogFormat, Settings, SettingsError};
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
    /// Take heavy work (transcription, translation, OCR, embeddings) from the NATS work queue
    /// until stopped.
    Worker {
        /// Comma-separated: transcribe, translate, ocr, embed.
        #[arg(long, value_delimiter = ',', default_value = "transcribe")]
        tasks: Vec<String>,
        /// Answer GET /health on this address (e.g. 127.0.0.1:9090; port 0: any free).
        #[arg(long)]
        health: Option<String>,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Print the effective settings as TOML, secrets blanked.
    Config(ServeArgs),
    /// Load CSV or JSONL into the graph: persons, identifiers, incidents, missing, calls, edges,
    /// or police.uk street-level crime (street-crime).
    Import {
        /// persons | identifiers | incidents | missing | calls | edges | street-crime
        kind: ImportKind,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Reject a whole file when any row is bad.
        #[arg(long)]
        strict: bool,
        /// Put every person, incident and episode of the files in this operation.
        #[arg(long)]
        operation: Option<String>,
        /// Force code for rows that name none (without it, such rows are rejected).
        #[arg(long)]
        force: Option<String>,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Index files (text in any common encoding, chat exports, SRT, WebVTT) for search.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Owning force code.
        #[arg(long)]
        force: String,
        #[arg(long)]
        operation: Option<String>,
        /// ISO 639-1 language of the files; detected when absent.
        #[arg(long)]
        language: Option<String>,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Write a seeded synthetic dataset (never real people) as importable CSV files.
    Generate {
        dir: PathBuf,
        #[command(flatten)]
        scale: ScaleArgs,
    },
    /// Generate (once) and import the demo dataset.
    Demo {
        #[arg(long, default_value = ".toex/demo")]
        dir: PathBuf,
        /// Folder of police.uk street-crime CSVs to load as incidents.
        #[arg(long, default_value = ".toex/data/police-uk")]
        street_crime: PathBuf,
        #[command(flatten)]
        scale: ScaleArgs,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// An operational threat profile for one force: ranked rows with their score,
    /// components and explanation, to stdout as CSV or JSON.
    Profile {
        /// vawg | missing | registered-offender
        #[arg(value_enum)]
        kind: ProfileKind,
        #[arg(long)]
        force: String,
        /// As-of date or date-time (ISO 8601); default now.
        #[arg(long)]
        as_of: Option<String>,
        /// Rows to print (best first).
        #[arg(long, default_value_t = 50)]
        first: usize,
        #[arg(long, value_enum, default_value = "csv")]
        format: ProfileFormat,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Getis-Ord Gi* over a CSV of points (`id,x,y,value`): prints
    /// `id,x,y,value,z,p,class` in input order (p two-sided; class hot-99 … cold-99).
    Hotspots {
        file: PathBuf,
        /// Distance band in metres (or in the file's planar units).
        #[arg(long)]
        band: f64,
        /// x is longitude and y latitude in degrees (projected to metres internally).
        #[arg(long)]
        lonlat: bool,
        /// Benjamini–Hochberg false-discovery-rate correction.
        #[arg(long)]
        fdr: bool,
        #[arg(long, value_enum, default_value = "csv")]
        format: HotspotFormat,
    },
    /// Manage users (role, forces, operation compartments) in the user store.
    User {
        #[command(subcommand)]
        action: crate::access_cli::UserAction,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Create or revoke API tokens (the secret is printed once; only its hash is kept).
    Token {
        #[command(subcommand)]
        action: crate::access_cli::TokenAction,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Check or read the audit log.
    Audit {
        #[command(subcommand)]
        action: crate::access_cli::AuditAction,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Translate text files into English, line by line (N lines in, N out), each line by
    /// the model of its language (an OPUS-MT pair, else NLLB-200): the translation goes
    /// to stdout, progress, throughput and the cost per million characters to stderr.
    Translate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Source language (ISO 639-1/3, or an NLLB-200 code such as `acm_Arab`) of every
        /// non-English line; detected per line when absent.
        #[arg(long)]
        from: Option<String>,
        /// A model folder to use: an OPUS-MT pair for `--from` (instead of
        /// `translation.models.<from>`), or an NLLB-200 folder (instead of
        /// `translation.nllb`).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Hypotheses per line (1: greedy); default `translation.beam`.
        #[arg(long)]
        beam: Option<usize>,
        /// Pieces per batch; default `translation.batch`.
        #[arg(long)]
        batch: Option<usize>,
        /// `int8` for 8-bit weights; default `translation.precision`.
        #[arg(long, value_enum)]
        precision: Option<PrecisionArg>,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Translation models under `models.dir`: list, install, remove.
    Models {
        #[command(subcommand)]
        action: commands::ModelsAction,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Transcribe recordings (wav, mp3, flac, ogg/vorbis, m4a/aac) with Whisper: the
    /// time-coded transcript goes to stdout, progress and speed to stderr.
    Transcribe {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A Whisper folder (CTranslate2 or Hugging Face); default `transcription.model`.
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: TranscriptFormat,
        /// `translate` gives English from any language (multilingual models).
        #[arg(long, value_enum, default_value = "transcribe")]
        task: SpeechTask,
        /// The spoken language (ISO 639-1); detected when absent.
        #[arg(long)]
        language: Option<String>,
        /// Hypotheses per window (1: greedy); default `transcription.beam`.
        #[arg(long)]
        beam: Option<usize>,
        /// Windows per batch; default `transcription.batch`.
        #[arg(long)]
        batch: Option<usize>,
        /// `int8` for 8-bit weights; default `transcription.precision`.
        #[arg(long, value_enum)]
        precision: Option<PrecisionArg>,
        /// Decode each window once, without Whisper's temperature fallback for windows
        /// that repeat themselves.
        #[arg(long)]
        no_fallback: bool,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// A case (an operation) as one bundle: `export` writes it, `import` reads one back.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Write the GraphQL SDL (default: schema/schema.graphql).
    ExportSchema {
        #[arg(long, default_value = "schema/schema.graphql")]
        out: PathBuf,
    },
}

/// `toex case …`
#[derive(Debug, clap::Subcommand)]
pub enum CaseCommand {
    /// Write everything of an operation in the named forces (protected persons included)
    /// to a ZIP bundle: CSV in the import formats, documents, notes, charts, GraphML,
    /// a manifest with counts and checksums, and the protective marking.
    Export {
        /// The operation (case), as named in the data.
        operation: String,
        /// Force codes whose data goes in, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        forces: Vec<String>,
        /// The ZIP file to write.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        conn: ServeArgs,
    },
    /// Read a bundle back in: checked against its manifest, the CSVs imported, the
    /// documents indexed and linked again, notes and charts kept.
    Import {
        /// A ZIP written by `toex case export` or `exportCase`.
        bundle: PathBuf,
        #[command(flatten)]
        conn: ServeArgs,
    },
}

/// How `toex transcribe` prints a transcript.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TranscriptFormat {
    /// `[start → end] text`, a line per segment.
    Text,
    Srt,
    Vtt,
    /// The transcript with language, segments, confidences and model, one object per file.
    Json,
}

/// Whisper's task.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SpeechTask {
    Transcribe,
    Translate,
}

/// Which profile `toex profile` runs.
/// How a model's matrix multiplies run (`translation.precision`, `transcription.precision`).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PrecisionArg {
    F32,
    Int8,
}

impl From<PrecisionArg> for crate::settings::ModelPrecision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::F32 => Self::F32,
            PrecisionArg::Int8 => Self::Int8,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ProfileKind {
    Vawg,
    Missing,
    RegisteredOffender,
}

/// Output of `toex profile`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ProfileFormat {
    Csv,
    Json,
}

/// Output of `toex hotspots`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum HotspotFormat {
    Csv,
    Geojson,
}

#[derive(Debug, Args, Clone, Copy)]
pub struct ScaleArgs {
    /// Background persons beyond the planted structures.
    #[arg(long, default_value_t = 2_000)]
    pub persons: usize,
    /// Background call records.
    #[arg(long, default_value_t = 20_000)]
    pub calls: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

impl From<ScaleArgs> for Scale {
    fn from(a: ScaleArgs) -> Self {
        Scale {
            persons: a.persons,
            calls: a.calls,
            seed: a.seed,
        }
    }
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Listen address, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long)]
    pub listen: Option<String>,
    /// Neo4j's URI: bolt://host:7687 for one server, neo4j://member:7687 (or neo4j+s://)
    /// for a cluster or Aura, routed by its routing table.
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
    /// NATS URL(s), comma-separated: run as a replica following the index log there.
    #[arg(long)]
    pub nats: Option<String>,
}

impl ServeArgs {
    fn overrides(self) -> CliOverrides {
        CliOverrides {
            listen: self.listen,
            neo4j_uri: self.neo4j_uri,
            index_path: self.index_path,
            web_dir: self.web_dir,
            log_format: self.log_format,
            nats_url: self.nats,
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

/// Bad names, roles and arguments are usage errors (exit 2).
fn usage(err: anyhow::Error) -> anyhow::Error {
    match err.downcast_ref::<toex_access::AccessError>() {
        Some(toex_access::AccessError::InvalidInput(m)) => {
            anyhow::Error::new(UsageError(m.clone()))
        }
        _ => err,
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
            commands::serve(settings)
        }
        Command::Worker {
            tasks,
            health,
            conn,
        } => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            telemetry::init(&settings.log);
            commands::worker(settings, tasks, health)
        }
        Command::Config(args) => {
            let settings = load_settings(cli.config.as_deref(), args)?;
            print!(
                "{}",
                toml::to_string(&settings.redacted()).context("rendering settings")?
            );
            Ok(())
        }
        Command::Import {
            kind,
            files,
            strict,
            operation,
            force,
            conn,
        } => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            telemetry::init(&settings.log);
            let opts = ImportOptions {
                strict,
                operation,
                default_force: force,
                ..ImportOptions::default()
            };
            runtime()?.block_on(commands::import(settings, kind, files, opts))
        }
        Command::Ingest {
            paths,
            force,
            operation,
            language,
            conn,
        } => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            telemetry::init(&settings.log);
            let meta = commands::IngestMeta {
                force: force.to_uppercase(),
                operation,
                language,
            };
            runtime()?.block_on(commands::ingest(settings, paths, meta))
        }
        Command::Generate { dir, scale } => commands::generate(&dir, scale.into()),
        Command::Demo {
            dir,
            street_crime,
            scale,
            conn,
        } => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            runtime()?.block_on(commands::demo(settings, &dir, &street_crime, scale.into()))
        }
        Command::Profile {
            kind,
            force,
            as_of,
            first,
            format,
            conn,
        } => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            let as_of = match as_of {
                None => chrono::Utc::now(),
                Some(t) => toex_graph::import::parse_time(&t)
                    .ok()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .ok_or_else(|| UsageError(format!("--as-of `{t}` is not a date")))?,
            };
            runtime()?.block_on(commands::profile(
                settings, kind, &force, as_of, first, format,
            ))
        }
        Command::Hotspots {
            file,
            band,
            lonlat,
            fdr,
            format,
        } => commands::hotspots(&file, band, lonlat, fdr, format),
        Command::User { action, conn } => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            crate::access_cli::user(&settings, action).map_err(usage)
        }
        Command::Token { action, conn } => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            crate::access_cli::token(&settings, action).map_err(usage)
        }
        Command::Audit { action, conn } => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            crate::access_cli::audit(&settings, action)
        }
        Command::Translate {
            files,
            from,
            model,
            beam,
            batch,
            precision,
            conn,
        } => {
            let mut settings = load_settings(cli.config.as_deref(), conn)?;
            if let Some(p) = precision {
                settings.translation.precision = p.into();
            }
            commands::translate(
                &settings.translation,
                &settings.models.dir,
                &files,
                commands::TranslateArgs {
                    from,
                    model,
                    beam,
                    batch,
                },
            )
        }
        Command::Models { action, conn } => {
            commands::models(&load_settings(cli.config.as_deref(), conn)?, action)
        }
        Command::Transcribe {
            files,
            model,
            format,
            task,
            language,
            beam,
            batch,
            precision,
            no_fallback,
            conn,
        } => {
            let mut settings = load_settings(cli.config.as_deref(), conn)?;
            telemetry::init(&settings.log);
            let t = &mut settings.transcription;
            t.model = model.unwrap_or(t.model.clone());
            t.beam = beam.unwrap_or(t.beam);
            t.batch = batch.unwrap_or(t.batch);
            t.precision = precision.map_or(t.precision, Into::into);
            commands::transcribe(
                &settings.transcription,
                &files,
                format,
                task,
                language,
                !no_fallback,
            )
        }
        Command::Case(CaseCommand::Export {
            operation,
            forces,
            out,
            conn,
        }) => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            telemetry::init(&settings.log);
            let forces = forces.iter().map(|f| f.trim().to_uppercase()).collect();
            runtime()?.block_on(commands::case_export(settings, operation, forces, out))
        }
        Command::Case(CaseCommand::Import { bundle, conn }) => {
            let settings = load_settings(cli.config.as_deref(), conn)?;
            telemetry::init(&settings.log);
            runtime()?.block_on(commands::case_import(settings, bundle))
        }
        Command::ExportSchema { out } => {
            std::fs::write(&out, toex_schema::sdl())
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}
