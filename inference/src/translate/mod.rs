//! Machine translation: the model-independent text pipeline (`text`: placeholders,
//! sentences, routing, alignment, batches), SentencePiece tokenisation (`spm`: unigram
//! and BPE), the encoder–decoder network with its own decoding path (`seq2seq`), and the
//! two model families on it: Marian / OPUS-MT (`marian`) and NLLB-200 (`nllb`).

pub mod marian;
pub mod nllb;
pub mod random;
pub mod seq2seq;
pub mod spm;
pub mod text;

pub use text::{
    AlignError, Plan, PlanOptions, Unit, placeholder, plan, protect, restore, split_sentences,
};

pub use marian::{Marian, MarianTokenizer};
pub use seq2seq::{DecodeOptions, Family, Seq2Seq, Seq2SeqConfig};

/// A translated text.
#[derive(Debug, Clone)]
pub struct Translation {
    /// One per input line.
    pub lines: Vec<String>,
    /// Pieces (sentences or short lines) that went through a model.
    pub pieces: usize,
    /// The models used, as `name@weights-hash`, for provenance.
    pub models: Vec<String>,
}

/// Translates a text line by line, each line with the model of its language (`models`
/// finds it): N lines in, N lines out, English and empty lines untouched, identifiers and
/// numbers kept verbatim. `progress` hears (pieces done, pieces in all). A language
/// without a model is an error that names it; nothing is translated then.
pub fn translate_lines<'m>(
    text: &str,
    models: &dyn Fn(&str) -> Option<&'m Marian>,
    plan_options: &PlanOptions,
    decode: &DecodeOptions,
    batch: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Translation, crate::InferenceError> {
    let plan = plan(text, plan_options);
    let mut by_language: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, u) in plan.units.iter().enumerate() {
        by_language.entry(u.language.as_str()).or_default().push(i);
    }
    let missing: Vec<&str> = by_language
        .keys()
        .copied()
        .filter(|l| models(l).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(crate::InferenceError::Model(format!(
            "no translation model is configured for {}: set translation.models.<language> to an \
             OPUS-MT folder (see the README's Translation section)",
            missing
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let total = plan.units.len();
    let mut translated = vec![String::new(); total];
    let mut done = 0;
    let mut used = Vec::new();
    progress(0, total);
    for (language, units) in by_language {
        let Some(model) = models(language) else {
            continue;
        };
        used.push(model.model_id.clone());
        let sentences: Vec<&str> = units.iter().map(|&i| plan.units[i].text.as_str()).collect();
        let out = model.translate(&sentences, decode, batch, &mut |n| {
            progress(done + n, total)
        })?;
        done += units.len();
        for (i, t) in units.into_iter().zip(out) {
            translated[i] = t;
        }
    }
    let lines = plan
        .finish(&translated)
        .map_err(|e| crate::InferenceError::Model(e.to_string()))?;
    Ok(Translation {
        lines,
        pieces: total,
        models: used,
    })
}

/// [`translate_lines`] with one model for every language.
pub fn translate_text(
    model: &Marian,
    text: &str,
    plan_options: &PlanOptions,
    decode: &DecodeOptions,
    batch: usize,
) -> Result<(Vec<String>, usize), crate::InferenceError> {
    let t = translate_lines(
        text,
        &|_| Some(model),
        plan_options,
        decode,
        batch,
        &mut |_, _| {},
    )?;
    Ok((t.lines, t.pieces))
}

/// The translation models of this process, one per source language, loaded once, with
/// how to decode.
pub struct Translators {
    models: std::collections::BTreeMap<String, Marian>,
    pub decode: DecodeOptions,
    pub batch: usize,
}

/// The engine name stored in translation provenance.
pub const ENGINE: &str = "marian-candle";

impl Translators {
    /// No models: every translation request says so.
    pub fn none() -> Self {
        Self {
            models: Default::default(),
            decode: DecodeOptions::default(),
            batch: 32,
        }
    }

    /// Loads each language's model folder (an error names the language and folder).
    pub fn load(
        folders: &std::collections::BTreeMap<String, std::path::PathBuf>,
        decode: DecodeOptions,
        batch: usize,
        precision: crate::linear::Precision,
    ) -> Result<Self, crate::InferenceError> {
        let mut models = std::collections::BTreeMap::new();
        for (language, dir) in folders {
            let model = Marian::load(dir, precision).map_err(|e| {
                crate::InferenceError::Model(format!(
                    "the `{language}` translation model in {}: {e}",
                    dir.display()
                ))
            })?;
            models.insert(language.to_ascii_lowercase(), model);
        }
        Ok(Self {
            models,
            decode,
            batch: batch.max(1),
        })
    }

    /// The model for `language`, if one is loaded.
    pub fn get(&self, language: &str) -> Option<&Marian> {
        self.models.get(language)
    }

    /// (language, model id) of every loaded model.
    pub fn loaded(&self) -> Vec<(String, String)> {
        self.models
            .iter()
            .map(|(l, m)| (l.clone(), m.model_id.clone()))
            .collect()
    }

    /// Translates `text` line by line (see [`translate_lines`]); `from` states the
    /// language of every non-English line, else each line's is detected. `progress`
    /// hears (pieces done, pieces in all).
    pub fn translate(
        &self,
        text: &str,
        from: Option<&str>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Translation, crate::InferenceError> {
        let plan_options = PlanOptions {
            language: from.map(str::to_ascii_lowercase),
            ..PlanOptions::default()
        };
        translate_lines(
            text,
            &|language| self.get(language),
            &plan_options,
            &self.decode,
            self.batch,
            progress,
        )
    }
}
