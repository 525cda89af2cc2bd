//! The translation models of a process — OPUS-MT pairs by source language and at most
//! one NLLB-200 — loaded once, with how to decode; each line goes to its language's
//! dedicated pair first, else to NLLB when it has the language.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::nllb::{Nllb, iso_of, nllb_code};
use super::{DecodeOptions, Marian, Missing, PlanOptions, Route, Translation, translate_lines};
use crate::InferenceError;
use crate::linear::Precision;

/// A language this process can translate, and the model that would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translatable {
    /// ISO 639-1 where there is one, else the NLLB code.
    pub language: String,
    pub model: String,
}

/// The loaded models and how to decode.
pub struct Translators {
    pairs: BTreeMap<String, Marian>,
    nllb: Option<Nllb>,
    /// Every language translated and by which model, worked out once at load (health
    /// and every document page ask for it).
    languages: Vec<Translatable>,
    pub decode: DecodeOptions,
    pub batch: usize,
}

impl Translators {
    /// No models: every translation request says so.
    pub fn none() -> Self {
        Self {
            pairs: BTreeMap::new(),
            nllb: None,
            languages: Vec::new(),
            decode: DecodeOptions::default(),
            batch: 32,
        }
    }

    /// Loads each language's OPUS-MT folder and the NLLB-200 folder, if any (an error
    /// names the language or folder).
    pub fn load(
        pairs: &BTreeMap<String, PathBuf>,
        nllb: Option<&Path>,
        decode: DecodeOptions,
        batch: usize,
        precision: Precision,
    ) -> Result<Self, InferenceError> {
        let mut loaded = BTreeMap::new();
        for (language, dir) in pairs {
            let model = Marian::load(dir, precision).map_err(|e| {
                InferenceError::Model(format!(
                    "the `{language}` translation model in {}: {e}",
                    dir.display()
                ))
            })?;
            loaded.insert(language.to_ascii_lowercase(), model);
        }
        let nllb = nllb
            .map(|dir| {
                Nllb::load(dir, precision).map_err(|e| {
                    InferenceError::Model(format!("the NLLB-200 model in {}: {e}", dir.display()))
                })
            })
            .transpose()?;
        Ok(Self {
            languages: languages(&loaded, nllb.as_ref()),
            pairs: loaded,
            nllb,
            decode,
            batch: batch.max(1),
        })
    }

    /// The model for `language` (ISO 639-1/3, or an NLLB code): its dedicated pair, else
    /// NLLB-200 when it has the language.
    pub fn route(&self, language: &str) -> Option<Route<'_>> {
        self.pairs
            .get(&language.to_ascii_lowercase())
            .map(Route::Marian)
            .or_else(|| {
                let nllb = self.nllb.as_ref()?;
                Some(Route::Nllb(nllb, nllb.language_token(language)?))
            })
    }

    /// Whether any model translates `language`.
    pub fn can_translate(&self, language: &str) -> bool {
        self.route(language).is_some()
    }

    /// Whether no model is loaded.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty() && self.nllb.is_none()
    }

    /// (what it translates, model id) of every loaded model.
    pub fn loaded(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .pairs
            .iter()
            .map(|(l, m)| (l.clone(), m.model_id.clone()))
            .collect();
        if let Some(n) = &self.nllb {
            let count = n.tokenizer.languages().count().saturating_sub(1);
            out.push((format!("{count} languages"), n.model_id.clone()));
        }
        out
    }

    /// Every language some model translates into English, with the model that would
    /// (dedicated pairs first), sorted by language.
    pub fn languages(&self) -> &[Translatable] {
        &self.languages
    }

    /// Translates `text` line by line (see [`translate_lines`]). `stated` is the language
    /// of every non-English line; otherwise each line's is detected, and a line whose
    /// language no model has goes to `fallback`'s model when both are written in the
    /// same script (Iraqi Arabic that detection calls Persian still reaches the Arabic
    /// model). `progress` hears (pieces done, pieces in all).
    pub fn translate(
        &self,
        text: &str,
        stated: Option<&str>,
        fallback: Option<&str>,
        missing: Missing,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Translation, InferenceError> {
        let plan_options = PlanOptions {
            language: stated.map(str::to_owned),
            ..PlanOptions::default()
        };
        let route = |language: &str| {
            self.route(language).or_else(|| {
                let fallback = fallback?;
                (script(language).is_some() && script(language) == script(fallback))
                    .then(|| self.route(fallback))
                    .flatten()
            })
        };
        translate_lines(
            text,
            &route,
            &plan_options,
            &self.decode,
            self.batch,
            missing,
            progress,
        )
    }
}

/// Every language `pairs` and `nllb` translate, with the model that would (a pair before
/// NLLB), sorted by language.
fn languages(pairs: &BTreeMap<String, Marian>, nllb: Option<&Nllb>) -> Vec<Translatable> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    if let Some(n) = nllb {
        for code in n.tokenizer.languages() {
            if code != super::nllb::TARGET {
                let language = iso_of(code).unwrap_or(code).to_owned();
                out.entry(language).or_insert_with(|| n.model_id.clone());
            }
        }
    }
    for (l, m) in pairs {
        out.insert(l.clone(), m.model_id.clone());
    }
    out.into_iter()
        .map(|(language, model)| Translatable { language, model })
        .collect()
}

/// The script of a language (`Arab`, `Latn`…), from its NLLB code.
fn script(language: &str) -> Option<&str> {
    nllb_code(language).map(|code| &code[4..])
}

/// What a model folder is, proved by loading it on the CPU (its config, tokenizer and
/// every weight): its family and, for NLLB-200, its language codes (sorted).
pub fn inspect(dir: &Path) -> Result<(super::Family, Vec<String>), InferenceError> {
    let cpu = candle_core::Device::Cpu;
    match super::Seq2SeqConfig::read(dir)?.family()? {
        super::Family::M2M100 => {
            let model = Nllb::load_on(dir, Precision::F32, &cpu)?;
            let mut languages: Vec<String> =
                model.tokenizer.languages().map(str::to_owned).collect();
            languages.sort();
            Ok((super::Family::M2M100, languages))
        }
        super::Family::Marian => {
            Marian::load_on(dir, Precision::F32, &cpu)?;
            Ok((super::Family::Marian, Vec::new()))
        }
    }
}
