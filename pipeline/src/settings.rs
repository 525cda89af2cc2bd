//! The settings sections the application core owns: the index and job store, the model
//! folders, translation, transcription and the profile method. `toex`'s layered settings
//! embed them; each section is plain serde, with its defaults.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use toex_graph::GraphSettings;

/// Every section [`crate::Services::open`] reads.
#[derive(Debug, Clone, Copy)]
pub struct CoreSettings<'a> {
    pub neo4j: &'a GraphSettings,
    pub index: &'a IndexSettings,
    pub profiles: &'a ProfileSettings,
    pub models: &'a ModelSettings,
    pub translation: &'a TranslationSettings,
    pub transcription: &'a TranscriptionSettings,
    /// NATS JetStream: with a URL, the index is a replicated log.
    pub nats: &'a toex_cluster::NatsSettings,
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

/// Model folders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    /// all-MiniLM-L6-v2 (config.json, model.safetensors, vocab.txt) for semantic and
    /// hybrid search; when the folder is absent, search is keyword-only.
    pub embedding: PathBuf,
    /// Where `toex models install` puts models (translation models under
    /// `translation/`); a server picks up what is installed there without a restart.
    pub dir: PathBuf,
    /// Bytes a model folder or archive may hold (unpacked) at most.
    pub max_install_bytes: u64,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            embedding: PathBuf::from(".toex/models/all-MiniLM-L6-v2"),
            dir: PathBuf::from(".toex/models"),
            max_install_bytes: 32 << 30,
        }
    }
}

/// Machine translation (OPUS-MT pairs and NLLB-200 on candle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TranslationSettings {
    /// Model folders by source language (ISO 639-1), e.g. `ar = "/models/opus-mt-ar-en"`:
    /// `config.json`, `model.safetensors`, and `tokenizer.json` or `vocab.json` +
    /// `source.spm`. A dedicated pair is preferred to NLLB-200 for its language.
    pub models: std::collections::BTreeMap<String, PathBuf>,
    /// An NLLB-200 or M2M100 folder (Hugging Face: `config.json`, `model.safetensors` or
    /// `pytorch_model.bin`, `sentencepiece.bpe.model`, tokenizer files; or CTranslate2's
    /// `model.bin` with its vocabulary and `sentencepiece.bpe.model`): every language it
    /// has that no pair covers. A language no model has is left untranslated (and still
    /// searchable).
    pub nllb: Option<PathBuf>,
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
            nllb: None,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
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
