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
pub use toex_pipeline::settings::{
    IndexSettings, ModelPrecision, ModelSettings, ProfileSettings, TranscriptionSettings,
    TranslationSettings,
};

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
    /// NATS JetStream: set `url` to run as one of several replicas.
    pub nats: toex_cluster::NatsSettings,
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
    /// The protective marking (Government Security Classification) of the data served,
    /// shown in the web client and printed on its exports.
    pub marking: String,
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
            marking: toex_schema::DEFAULT_MARKING.to_owned(),
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
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
        set("nats.url", self.nats_url.map(Value::from));
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
    /// The sections the application core opens with.
    pub fn core(&self) -> toex_pipeline::settings::CoreSettings<'_> {
        toex_pipeline::settings::CoreSettings {
            neo4j: &self.neo4j,
            index: &self.index,
            profiles: &self.profiles,
            models: &self.models,
            translation: &self.translation,
            transcription: &self.transcription,
            nats: &self.nats,
        }
    }

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
        self.nats
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
