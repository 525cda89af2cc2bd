//! Typed settings, layered: built-in defaults < config file (TOML) < `TOEX_*` environment
//! variables < command-line flags. The environment is passed in, not read here, so tests
//! inject it. A bad value fails with one line naming the setting and where it came from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};
use toex_graph::GraphSettings;

/// Every setting of `toex`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub neo4j: GraphSettings,
    pub index: IndexSettings,
    pub log: LogSettings,
    pub profiles: ProfileSettings,
    pub models: ModelSettings,
    pub translation: TranslationSettings,
    pub transcription: TranscriptionSettings,
    pub auth: AuthSettings,
    pub audit: AuditSettings,
}

/// Who may call: the user store, JWT keys and per-user rate limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// Users and their API tokens (argon2 hashes), managed with `toex user` / `toex token`.
    pub users: PathBuf,
    /// Keys that verify JWT bearer tokens from an identity provider.
    pub jwt: toex_access::JwtSettings,
    /// Requests a minute per user (0: unlimited).
    pub rate_per_minute: u32,
    /// Requests a user may make at once before the rate applies.
    pub rate_burst: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            users: PathBuf::from(".toex/users.json"),
            jwt: toex_access::JwtSettings::default(),
            rate_per_minute: 1_200,
            rate_burst: 200,
        }
    }
}

/// The append-only, hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    pub path: PathBuf,
    /// The HMAC key (created on first start, readable by its owner only).
    pub key_file: PathBuf,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            path: PathBuf::from(".toex/audit/audit.log"),
            key_file: PathBuf::from(".toex/audit/audit.key"),
        }
    }
}

/// Model folders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    /// all-MiniLM-L6-v2 (config.json, model.safetensors, vocab.txt) for semantic and
    /// hybrid search; when the folder is absent, search is keyword-only.
    pub embedding: PathBuf,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            embedding: PathBuf::from(".toex/models/all-MiniLM-L6-v2"),
        }
    }
}

/// Machine translation (Marian / OPUS-MT models on candle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TranslationSettings {
    /// Model folders by source language (ISO 639-1), e.g. `ar = "/models/opus-mt-ar-en"`:
    /// `config.json`, `model.safetensors`, and `tokenizer.json` or `vocab.json` +
    /// `source.spm`. A language without one is left untranslated (and still searchable).
    pub models: std::collections::BTreeMap<String, PathBuf>,
    /// Hypotheses kept per line (1: greedy decoding).
    pub beam: usize,
    /// Pieces translated together.
    pub batch: usize,
    /// Output tokens per piece at most (also at most twice the source's, plus 10).
    pub max_tokens: usize,
    /// What an hour of this machine costs, in pounds, for the cost per million characters
    /// that `toex translate` reports.
    pub price_per_hour_gbp: f64,
    /// `f32`, or `int8` (8-bit weights, CPU only).
    pub precision: ModelPrecision,
}

impl Default for TranslationSettings {
    fn default() -> Self {
        Self {
            models: Default::default(),
            beam: 4,
            batch: 32,
            max_tokens: 256,
            price_per_hour_gbp: 0.10,
            precision: ModelPrecision::F32,
        }
    }
}

/// Speech to text (Whisper on candle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TranscriptionSettings {
    /// The Whisper folder: CTranslate2 (`model.bin`, `config.json`, `tokenizer.json`) or
    /// Hugging Face (`config.json`, `model.safetensors`, `tokenizer.json`). When it is
    /// absent, recordings are kept and wait for transcription.
    pub model: PathBuf,
    /// Hypotheses kept per window (1: greedy decoding).
    pub beam: usize,
    /// 30-second windows encoded and decoded together.
    pub batch: usize,
    /// `f32`, or `int8` (8-bit weights, CPU only).
    pub precision: ModelPrecision,
    /// Longest recording accepted, in seconds.
    pub max_seconds: u64,
    /// Recordings queued for the speech worker before callers are told it is busy.
    pub queue: usize,
}

/// How a model's matrix multiplies run (Whisper's and Marian's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ModelPrecision {
    #[default]
    F32,
    Int8,
}

impl From<ModelPrecision> for toex_inference::linear::Precision {
    fn from(p: ModelPrecision) -> Self {
        match p {
            ModelPrecision::F32 => Self::F32,
            ModelPrecision::Int8 => Self::Int8,
        }
    }
}

impl Default for TranscriptionSettings {
    fn default() -> Self {
        Self {
            model: PathBuf::from(".toex/models/whisper-base"),
            beam: 5,
            batch: 8,
            precision: ModelPrecision::F32,
            max_seconds: 6 * 3600,
            queue: 4,
        }
    }
}

impl TranscriptionSettings {
    /// The decoding options these settings give.
    pub fn options(&self) -> toex_inference::transcribe::TranscribeOptions {
        toex_inference::transcribe::TranscribeOptions {
            beam: self.beam.max(1),
            batch: self.batch.max(1),
            max_seconds: self.max_seconds,
            ..Default::default()
        }
    }

    pub fn precision(&self) -> toex_inference::linear::Precision {
        self.precision.into()
    }
}

/// The threat-profile method.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfileSettings {
    /// A TOML method file (weights, bands, windows) replacing the built-in one
    /// (`analytics/data/profiles.toml`).
    pub config: Option<PathBuf>,
}

impl ProfileSettings {
    /// The configured method, or the built-in one.
    pub fn load(
        &self,
    ) -> Result<toex_analytics::profiles::ProfileConfig, toex_analytics::AnalyticsError> {
        match &self.config {
            Some(path) => toex_analytics::profiles::ProfileConfig::from_path(path),
            None => Ok(toex_analytics::profiles::ProfileConfig::builtin().clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// HTTP worker threads.
    pub workers: usize,
    /// The built web client (served at `/`, GraphiQL assets under `/graphiql/`).
    pub web_dir: PathBuf,
    /// Whether GraphQL introspection is allowed.
    pub introspection: bool,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest a GraphQL request may run before it is answered TIMEOUT.
    pub request_timeout_ms: u64,
    /// Origins allowed to call from a browser (CORS); empty allows same-origin only.
    pub cors_origins: Vec<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: 2,
            web_dir: PathBuf::from("web-client/dist"),
            introspection: true,
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout_ms: 30_000,
            cors_origins: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexSettings {
    /// Directory of the tantivy index.
    pub path: PathBuf,
    /// Threads for search and indexing.
    pub threads: usize,
    /// Most search/index tasks queued or running before callers get OVERLOADED.
    pub queue: usize,
    /// Directory of the durable ingest jobs (and their spooled uploads).
    pub jobs: PathBuf,
    /// Most ingest jobs waiting to run before uploads get OVERLOADED.
    pub job_queue: usize,
}

impl Default for IndexSettings {
    fn default() -> Self {
        Self {
            path: PathBuf::from(".toex/index"),
            threads: 2,
            queue: 256,
            jobs: PathBuf::from(".toex/jobs"),
            job_queue: 64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// A tracing filter, e.g. `info` or `toex=debug,actix_web=info`.
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            format: LogFormat::Pretty,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Overrides from command-line flags; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CliOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neo4j_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

impl CliOverrides {
    fn into_dict(self) -> Dict {
        let mut dict = Dict::new();
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(v) = value {
                merge(&mut dict, figment::util::nest(key, v));
            }
        };
        set("server.listen", self.listen.map(Value::from));
        set("neo4j.uri", self.neo4j_uri.map(Value::from));
        set(
            "index.path",
            self.index_path
                .map(|p| Value::from(p.to_string_lossy().into_owned())),
        );
        set(
            "server.web_dir",
            self.web_dir
                .map(|p| Value::from(p.to_string_lossy().into_owned())),
        );
        set(
            "log.format",
            self.log_format
                .map(|f| Value::from(format!("{f:?}").to_lowercase())),
        );
        dict
    }
}

fn merge(dict: &mut Dict, nested: Value) {
    if let Value::Dict(_, d) = nested {
        for (k, v) in d {
            match (dict.get_mut(&k), v) {
                (Some(Value::Dict(_, existing)), Value::Dict(_, inner)) => {
                    for (ik, iv) in inner {
                        existing.insert(ik, iv);
                    }
                }
                (_, v) => {
                    dict.insert(k, v);
                }
            }
        }
    }
}

/// `TOEX_SECTION_KEY=value` variables as a figment provider: `TOEX_NEO4J_URI` sets
/// `neo4j.uri`, `TOEX_INDEX_PATH` sets `index.path`. `TOEX_CONFIG` names the file and is
/// not a setting.
struct EnvProvider {
    vars: Vec<(String, String)>,
}

impl EnvProvider {
    const PREFIX: &'static str = "TOEX_";

    fn new(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let vars = vars
            .into_iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(Self::PREFIX)?;
                (rest != "CONFIG").then(|| (rest.to_ascii_lowercase(), v))
            })
            .collect();
        Self { vars }
    }
}

impl Provider for EnvProvider {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment")
            .interpolater(|_, keys| format!("TOEX_{}", keys.join("_").to_ascii_uppercase()))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (key, raw) in &self.vars {
            let mut path = key.replacen('_', ".", 1);
            // `TOEX_AUTH_JWT_HS256_SECRET` → `auth.jwt.hs256_secret`.
            if let Some(rest) = path.strip_prefix("auth.jwt_") {
                path = format!("auth.jwt.{rest}");
            }
            // `TOEX_TRANSLATION_MODELS_AR` → `translation.models.ar`.
            if let Some(rest) = path.strip_prefix("translation.models_") {
                path = format!("translation.models.{rest}");
            }
            // Strings stay strings: a password of digits must not turn into a number.
            let value: Value = match raw.parse::<Value>() {
                Ok(v @ (Value::Bool(..) | Value::Num(..)))
                    if !path.ends_with("password") && !path.ends_with("secret") =>
                {
                    v
                }
                _ => Value::from(raw.clone()),
            };
            merge(&mut dict, figment::util::nest(&path, value));
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// Why settings could not be loaded. Always one line.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("{0}")]
    Invalid(String),
}

/// One line naming the setting, where its value came from, and what is wrong with it.
fn describe(err: &figment::Error) -> String {
    let mut path: Vec<&str> = err.path.iter().map(String::as_str).collect();
    if let figment::error::Kind::UnknownField(field, _) = &err.kind
        && path.last() != Some(&field.as_str())
    {
        path.push(field);
    }
    let key = path.join(".");
    let origin = match &err.metadata {
        Some(meta) => match &meta.source {
            Some(figment::Source::File(file)) => format!(" (in {})", file.display()),
            _ if meta.name == "environment" => {
                format!(" (from {})", meta.interpolate(&Profile::Default, &path))
            }
            _ => format!(" (from {})", meta.name),
        },
        None => String::new(),
    };
    format!("setting `{key}`{origin}: {}", err.kind)
}

impl Settings {
    /// Loads the layers in order and validates the result.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        cli: CliOverrides,
    ) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(SettingsError::MissingFile(file.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let figment = figment
            .merge(EnvProvider::new(env))
            .merge(Serialized::globals(cli.into_dict()));
        let settings: Settings = figment
            .extract()
            .map_err(|e| SettingsError::Invalid(describe(&e)))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |m: String| Err(SettingsError::Invalid(m));
        self.neo4j
            .validate()
            .map_err(|e| SettingsError::Invalid(e.to_string()))?;
        if self.server.workers == 0 || self.server.workers > 256 {
            return invalid("setting `server.workers` must be from 1 to 256".to_owned());
        }
        if self.server.max_body_bytes < 1024 {
            return invalid("setting `server.max_body_bytes` must be at least 1024".to_owned());
        }
        if self.server.request_timeout_ms < 100 {
            return invalid("setting `server.request_timeout_ms` must be at least 100".to_owned());
        }
        if self.index.threads == 0 || self.index.queue == 0 {
            return invalid(
                "settings `index.threads` and `index.queue` must be at least 1".to_owned(),
            );
        }
        if self
            .log
            .level
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return invalid(format!(
                "setting `log.level` = `{}` is not a tracing filter such as `info`",
                self.log.level
            ));
        }
        Ok(())
    }

    /// The settings as TOML with secrets blanked, for `toex config`.
    pub fn redacted(&self) -> Settings {
        let mut s = self.clone();
        if s.auth.jwt.hs256_secret.is_some() {
            s.auth.jwt.hs256_secret = Some("********".to_owned());
        }
        if !s.neo4j.password.is_empty() {
            s.neo4j.password = "********".to_owned();
        }
        s
    }
}

#[cfg(test)]
mod tests;
