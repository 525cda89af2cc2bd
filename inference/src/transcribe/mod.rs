//! Speech to time-coded text with Whisper on candle: audio decoded and resampled
//! ([`audio`]), cut into speech windows, log-mel features ([`mel`]), the network with
//! toex's own cached decoder ([`model`], [`decode`]), from Hugging Face or CTranslate2
//! model directories ([`crate::ct2`]), in the spoken language or translated into English.

pub mod audio;
pub mod decode;
pub mod mel;
pub mod model;
mod passes;
pub mod tokenizer;
pub mod windows;

use std::path::Path;

use candle_core::Device;
use serde::Serialize;

pub use crate::linear::Precision;
pub use audio::{Audio, AudioError};
pub use decode::Task;
pub use model::WhisperModel;

use crate::InferenceError;
use decode::{DecodeOptions, Decoder, Rules};
use mel::MelFrontEnd;
use passes::{Pass, add_segments, left_out};
use tokenizer::WhisperTokenizer;

/// The engine named in provenance.
pub const ENGINE: &str = "whisper-candle";

/// One time-coded stretch of speech.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// Seconds from the start of the recording.
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// Mean log-probability of the window's tokens (Whisper's confidence).
    pub avg_logprob: f32,
    /// Probability that the window holds no speech.
    pub no_speech_prob: f32,
    /// ISO 639-1 code of the window it was heard in: each window in its own language.
    pub language: String,
}

/// A recording's transcript.
#[derive(Debug, Clone, Serialize)]
pub struct Transcript {
    /// ISO 639-1 code: given, or the language most of the speech was detected in (each
    /// segment says its own), or `en` for English-only models.
    pub language: String,
    /// Mean probability of that language over the windows heard in it (1 when given).
    pub language_probability: f32,
    pub task: &'static str,
    pub duration: f64,
    pub segments: Vec<Segment>,
    /// `name@` and the first 12 hex digits of the weights' SHA-256.
    pub model: String,
}

impl Transcript {
    /// Whether a segment is in a language other than English.
    pub fn has_foreign_speech(&self) -> bool {
        self.segments.iter().any(|s| s.language != "en")
    }

    /// The text, one segment per line.
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// How to transcribe.
#[derive(Debug, Clone)]
pub struct TranscribeOptions {
    pub task: Task,
    /// ISO 639-1 code of the speech; detected per window when absent.
    pub language: Option<String>,
    /// 1: greedy; more: beam search (5 is Whisper's usual).
    pub beam: usize,
    /// Windows encoded and decoded together (on the CPU, no more than two of base's, four
    /// of tiny's: see `Whisper::batch_size`).
    pub batch: usize,
    /// A window whose no-speech probability is above this and whose average
    /// log-probability is below `logprob_threshold` is dropped as silence.
    pub no_speech_threshold: f32,
    pub logprob_threshold: f32,
    /// Longest recording accepted, in seconds.
    pub max_seconds: u64,
    /// Whisper's temperature fallback (see [`Whisper::fall_back`]); off decodes each window
    /// once.
    pub fallback: bool,
}

impl Default for TranscribeOptions {
    fn default() -> Self {
        Self {
            task: Task::Transcribe,
            language: None,
            beam: 5,
            batch: 8,
            no_speech_threshold: 0.6,
            logprob_threshold: -1.0,
            max_seconds: 6 * 3600,
            fallback: true,
        }
    }
}

/// Cross-attention keys and values a batch of windows may hold on the CPU: two of
/// base's windows, four of tiny's, one of small's and larger.
const CPU_CROSS_ATTENTION_BYTES: usize = 80 << 20;

/// A loaded Whisper model, ready to transcribe.
pub struct Whisper {
    model: WhisperModel,
    tokenizer: WhisperTokenizer,
    rules: Rules,
    mel: MelFrontEnd,
    pub model_id: String,
}

impl Whisper {
    /// Loads a Whisper directory (CTranslate2 or Hugging Face) onto the inference device.
    pub fn load(dir: &Path, precision: Precision) -> Result<Self, InferenceError> {
        Self::load_on(dir, precision, &crate::embed::device::select())
    }

    pub fn load_on(
        dir: &Path,
        precision: Precision,
        device: &Device,
    ) -> Result<Self, InferenceError> {
        let (model, digest) = WhisperModel::load(dir, precision, device)?;
        let tokenizer = WhisperTokenizer::load(&dir.join("tokenizer.json"))?;
        if tokenizer.specials.timestamp_begin as usize + 1500 > model.config.vocab_size {
            return Err(InferenceError::Model(format!(
                "the tokenizer's timestamps do not fit the model's {} tokens",
                model.config.vocab_size
            )));
        }
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("whisper");
        Ok(Self {
            rules: Rules::new(&model, &tokenizer),
            mel: MelFrontEnd::new(model.config.n_mels),
            model,
            tokenizer,
            model_id: format!("{name}@{digest}"),
        })
    }

    /// Windows decoded together: as asked, but on the CPU no more than hold
    /// [`CPU_CROSS_ATTENTION_BYTES`] of cross-attention keys and values, which the decoder
    /// keeps for every window of a batch from its first step to its last (base's four
    /// windows of the 110 s bench clip peaked 80 MiB above faster-whisper, which decodes
    /// one window at a time; two cost 14% of base's speed, none of tiny's).
    fn batch_size(&self, asked: usize) -> usize {
        let asked = asked.max(1);
        if !self.model.device().is_cpu() {
            return asked;
        }
        let c = &self.model.config;
        let per_window = 2 * c.decoder_layers * c.audio_ctx * c.d_model * 4;
        asked.min((CPU_CROSS_ATTENTION_BYTES / per_window.max(1)).max(1))
    }

    pub fn multilingual(&self) -> bool {
        self.model.config.multilingual()
    }

    /// Decodes a recording file and transcribes it.
    pub fn transcribe_file(
        &self,
        path: &Path,
        opts: &TranscribeOptions,
        progress: &mut dyn FnMut(f64, f64),
    ) -> Result<Transcript, InferenceError> {
        let audio = decode_file(path, opts.max_seconds)?;
        self.transcribe(&audio, opts, progress)
    }

    /// Transcribes decoded audio; `progress(seconds done, seconds of speech)` after each batch.
    pub fn transcribe(
        &self,
        audio: &Audio,
        opts: &TranscribeOptions,
        progress: &mut dyn FnMut(f64, f64),
    ) -> Result<Transcript, InferenceError> {
        let speech_level = windows::Speech::of(&audio.samples);
        let windows = speech_level.windows();
        let rate = audio::SAMPLE_RATE as f64;
        let speech: f64 = windows
            .iter()
            .map(|w| (w.end - w.start) as f64 / rate)
            .sum();
        let multilingual = self.multilingual();
        let given = match (&opts.language, multilingual) {
            (_, false) => Some("en".to_owned()),
            (Some(code), true) => {
                if self.tokenizer.language(code).is_none() {
                    return Err(InferenceError::InvalidDocument(format!(
                        "the model does not know the language {code:?}"
                    )));
                }
                Some(code.clone())
            }
            (None, true) => None,
        };
        // Seconds heard in each language, and the sum of their windows' probabilities.
        let mut heard: std::collections::BTreeMap<String, (f64, f32, usize)> = Default::default();
        if opts.task == Task::Translate && !multilingual {
            return Err(InferenceError::InvalidDocument(
                "an English-only model cannot translate; use a multilingual one".into(),
            ));
        }
        let decoder = Decoder {
            model: &self.model,
            tokenizer: &self.tokenizer,
            rules: &self.rules,
        };
        let dopts = DecodeOptions {
            task: opts.task,
            beam: opts.beam.clamp(1, 16),
            max_tokens: self.model.config.text_ctx / 2,
            temperature: 0.0,
            seed: 0,
        };
        let mut segments = Vec::new();
        let mut done = 0.0;
        let run = |e: candle_core::Error| InferenceError::Model(crate::error::first_line(e));
        let pass = Pass {
            audio,
            decoder: &decoder,
            dopts: &dopts,
            opts,
        };
        // Speech Whisper left out at a window's end, and stretches of a window written in
        // another language than the window's: decoded again once the windows are done.
        let (mut tails, mut switched) = (Vec::new(), Vec::new());
        let batch_size = self.batch_size(opts.batch);
        for batch in windows.chunks(batch_size) {
            let decoded = self.decode(&pass, batch, given.as_deref()).map_err(run)?;
            for (w, d) in batch.iter().zip(decoded) {
                let Some((pieces, code, sure)) = self.heard(&pass, w, &d) else {
                    continue;
                };
                let seconds = (w.end - w.start) as f64 / rate;
                let tally = heard.entry(code.clone()).or_default();
                *tally = (tally.0 + seconds, tally.1 + sure, tally.2 + 1);
                done += seconds;
                tails.extend(left_out(w, &pieces, &speech_level));
                let pieces = match given {
                    None => self.switches(w, &d, pieces, &code, &mut switched),
                    Some(_) => pieces,
                };
                add_segments(&mut segments, w, d.no_speech_prob, pieces, &code);
            }
            progress(done, speech);
        }
        for batch in tails.chunks(batch_size) {
            let decoded = self.decode(&pass, batch, given.as_deref()).map_err(run)?;
            for (w, d) in batch.iter().zip(decoded) {
                if let Some((pieces, code, _)) = self.heard(&pass, w, &d) {
                    add_segments(&mut segments, w, d.no_speech_prob, pieces, &code);
                }
            }
        }
        for stretch in switched {
            segments.extend(self.hear_alone(&pass, stretch).map_err(run)?);
        }
        segments.sort_by(|a, b| a.start.total_cmp(&b.start));
        let (language, language_probability) = heard
            .into_iter()
            .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
            .map(|(code, (_, sum, n))| (code, sum / n as f32))
            .unwrap_or_else(|| (given.unwrap_or_else(|| "en".to_owned()), 0.0));
        Ok(Transcript {
            language,
            language_probability,
            task: match opts.task {
                Task::Transcribe => "transcribe",
                Task::Translate => "translate",
            },
            duration: round_ms(audio.duration()),
            segments,
            model: self.model_id.clone(),
        })
    }
}

pub(crate) fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// Subtitle and data formats of a transcript.
pub mod render {
    use super::Transcript;

    fn clock(s: f64, comma: bool) -> String {
        let ms = (s * 1000.0).round() as u64;
        let (h, m, sec, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        let sep = if comma { ',' } else { '.' };
        format!("{h:02}:{m:02}:{sec:02}{sep}{milli:03}")
    }

    /// One line per segment: `[start → end] text`.
    pub fn text(t: &Transcript) -> String {
        t.segments
            .iter()
            .map(|s| {
                format!(
                    "[{} → {}] {}\n",
                    clock(s.start, false),
                    clock(s.end, false),
                    s.text
                )
            })
            .collect()
    }

    pub fn srt(t: &Transcript) -> String {
        t.segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                format!(
                    "{}\n{} --> {}\n{}\n\n",
                    i + 1,
                    clock(s.start, true),
                    clock(s.end, true),
                    s.text
                )
            })
            .collect()
    }

    pub fn vtt(t: &Transcript) -> String {
        let mut out = String::from("WEBVTT\n\n");
        for s in &t.segments {
            out.push_str(&format!(
                "{} --> {}\n{}\n\n",
                clock(s.start, false),
                clock(s.end, false),
                s.text
            ));
        }
        out
    }
}

/// Decodes the recording at `path` (at most `max_seconds`) to 16 kHz mono.
pub fn decode_file(path: &Path, max_seconds: u64) -> Result<Audio, InferenceError> {
    // Errors say what is wrong with the file, not where it is stored.
    let bytes = std::fs::read(path)
        .map_err(|e| InferenceError::InvalidDocument(format!("cannot read it: {e}")))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let clock = std::time::Instant::now();
    let audio = audio::decode(bytes, ext.as_deref(), max_seconds)
        .map_err(|e| InferenceError::InvalidDocument(e.to_string()))?;
    tracing::debug!(
        seconds = audio.duration(),
        decode_ms = clock.elapsed().as_millis(),
        "audio decoded"
    );
    Ok(audio)
}

/// A recording's transcript in its own language and, when that is not English and the
/// model is multilingual, its English translation (or why there is none).
pub struct Heard {
    pub transcript: Transcript,
    pub english: Option<Result<Transcript, InferenceError>>,
}

/// The speech engine a server holds: one Whisper model loaded once, its own worker thread
/// (inference never runs on the async runtime or blocks search), and a bounded queue that
/// says so when it is full.
pub struct SpeechEngine {
    whisper: std::sync::Arc<Whisper>,
    options: TranscribeOptions,
    pool: toex_cpu::CpuPool,
}

impl SpeechEngine {
    pub fn new(
        whisper: Whisper,
        options: TranscribeOptions,
        queue: usize,
    ) -> Result<Self, toex_cpu::PoolError> {
        Ok(Self {
            whisper: std::sync::Arc::new(whisper),
            options,
            pool: toex_cpu::CpuPool::new("speech", 1, queue.max(1))?,
        })
    }

    pub fn model_id(&self) -> &str {
        &self.whisper.model_id
    }

    /// Transcribes the recording at `path` in its language and, when that is not
    /// English, translates it into English too (Whisper's translate task), decoding the
    /// audio once, on the speech worker. The outer error is the queue's (full), the inner
    /// the file's.
    pub async fn hear(
        &self,
        path: std::path::PathBuf,
        language: Option<String>,
        mut progress: impl FnMut(f64, f64) + Send + 'static,
    ) -> Result<Result<Heard, InferenceError>, toex_cpu::PoolError> {
        let whisper = self.whisper.clone();
        let mut opts = self.options.clone();
        opts.language = language.filter(|l| whisper.multilingual() || l == "en");
        opts.task = Task::Transcribe;
        self.pool
            .run(move || {
                let audio = decode_file(&path, opts.max_seconds)?;
                let transcript = whisper.transcribe(&audio, &opts, &mut progress)?;
                let english = transcript.has_foreign_speech().then(|| {
                    // Each window in its own language again (given, or detected as before).
                    let mut to_english = opts.clone();
                    to_english.task = Task::Translate;
                    whisper.transcribe(&audio, &to_english, &mut progress)
                });
                Ok(Heard {
                    transcript,
                    english,
                })
            })
            .await
    }
}
