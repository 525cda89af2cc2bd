//! Machine translation: the model-independent text pipeline (`text`: placeholders,
//! sentences, routing, alignment, batches), SentencePiece tokenisation (`spm`: unigram
//! and BPE), the encoder–decoder network with its own decoding path (`seq2seq`), and the
//! two model families on it: Marian / OPUS-MT (`marian`) and NLLB-200 (`nllb`); Arabic
//! chat in Latin letters written back in Arabic script (`arabizi`).

pub mod arabizi;
pub mod marian;
pub mod nllb;
pub mod random;
pub mod seq2seq;
pub mod spm;
pub mod text;
mod translators;

pub use text::{
    AlignError, Plan, PlanOptions, Unit, placeholder, plan, protect, restore, split_sentences,
};

pub use marian::{Marian, MarianTokenizer};
pub use nllb::Nllb;
pub use seq2seq::{DecodeOptions, Family, Seq2Seq, Seq2SeqConfig};
pub use translators::{Translatable, Translators, inspect};

/// Which lines one model translated, and as which language (consecutive lines of the
/// same language and model are one run).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineRun {
    /// First and last input line (0-based, inclusive).
    pub first: usize,
    pub last: usize,
    /// The language the lines were translated from (as detected or stated); `ar-Latn`
    /// for Arabizi, which was written in Arabic script for the model.
    pub language: String,
    /// `name@weights-hash` of the model.
    pub model: String,
}

/// A translated text.
#[derive(Debug, Clone)]
pub struct Translation {
    /// One per input line.
    pub lines: Vec<String>,
    /// Pieces (sentences or short lines) that went through a model.
    pub pieces: usize,
    /// The models used, as `name@weights-hash`, for provenance.
    pub models: Vec<String>,
    /// The engines used: `marian-candle`, `nllb-candle`, or both `+`-joined.
    pub engine: String,
    /// Which model translated which lines.
    pub runs: Vec<LineRun>,
    /// Languages of lines left as they were because no model has them
    /// ([`Missing::Keep`]).
    pub untranslated: Vec<String>,
}

/// A model that translates a language into English.
#[derive(Clone, Copy)]
pub enum Route<'m> {
    /// A dedicated OPUS-MT pair.
    Marian(&'m Marian),
    /// NLLB-200, with the token of the language its lines are read as.
    Nllb(&'m Nllb, u32),
}

impl Route<'_> {
    /// The engine named in provenance.
    pub fn engine(&self) -> &'static str {
        match self {
            Self::Marian(_) => "marian-candle",
            Self::Nllb(..) => "nllb-candle",
        }
    }

    pub fn model_id(&self) -> &str {
        match self {
            Self::Marian(m) => &m.model_id,
            Self::Nllb(m, _) => &m.model_id,
        }
    }

    fn translate(
        &self,
        sentences: &[&str],
        decode: &DecodeOptions,
        batch: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<String>, crate::InferenceError> {
        match self {
            Self::Marian(m) => m.translate(sentences, decode, batch, progress),
            Self::Nllb(m, source) => m.translate(sentences, *source, decode, batch, progress),
        }
    }
}

/// What to do with lines of a language no model has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Translate nothing; the error names the languages and what to install.
    Refuse,
    /// Keep those lines as they are and translate the rest (ingest).
    Keep,
}

/// Translates a text line by line, each line with the model `route` finds for its
/// language (Arabizi in Arabic script with Arabic's): N lines in, N lines out, English
/// and empty lines untouched, identifiers and numbers kept verbatim. `progress` hears
/// (pieces done, pieces in all).
pub fn translate_lines<'m>(
    text: &str,
    route: &dyn Fn(&str) -> Option<Route<'m>>,
    plan_options: &PlanOptions,
    decode: &DecodeOptions,
    batch: usize,
    missing: Missing,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Translation, crate::InferenceError> {
    let plan = plan(text, plan_options);
    let mut by_language: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, u) in plan.units.iter().enumerate() {
        by_language.entry(u.language.as_str()).or_default().push(i);
    }
    // Each language routed once: (language, its model, its units).
    let (routed, untranslated): (Vec<_>, Vec<_>) = by_language
        .into_iter()
        .map(|(language, units)| (language, route(language), units))
        .partition(|(_, model, _)| model.is_some());
    let routed: Vec<_> = routed
        .into_iter()
        .filter_map(|(l, model, units)| Some((l, model?, units)))
        .collect();
    let untranslated: Vec<String> = untranslated
        .into_iter()
        .map(|(l, _, _)| l.to_owned())
        .collect();
    if !untranslated.is_empty() && missing == Missing::Refuse {
        return Err(crate::InferenceError::Model(format!(
            "no translation model is installed for {}: install an NLLB-200 folder \
             (`toex models install`, or translation.nllb) or an OPUS-MT pair for it \
             (translation.models.<language>; see the README's Translation section)",
            untranslated
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let total: usize = routed.iter().map(|(_, _, units)| units.len()).sum();
    let mut translated: Vec<Option<String>> = vec![None; plan.units.len()];
    let mut line_model: Vec<Option<(String, String)>> = vec![None; plan.line_count()];
    let mut done = 0;
    let mut used: Vec<String> = Vec::new();
    let mut engines: Vec<&str> = Vec::new();
    progress(0, total);
    for (language, model, units) in routed {
        let id = model.model_id().to_owned();
        if !used.contains(&id) {
            used.push(id.clone());
        }
        if !engines.contains(&model.engine()) {
            engines.push(model.engine());
        }
        let sentences: Vec<&str> = units.iter().map(|&i| plan.units[i].text.as_str()).collect();
        let out = model.translate(&sentences, decode, batch, &mut |n| {
            progress(done + n, total)
        })?;
        done += units.len();
        for (i, t) in units.into_iter().zip(out) {
            let unit = &plan.units[i];
            let read_as = if unit.arabizi {
                format!("{language}-Latn")
            } else {
                language.to_owned()
            };
            line_model[unit.line] = Some((read_as, id.clone()));
            translated[i] = Some(t);
        }
    }
    let lines = plan
        .finish_some(&translated)
        .map_err(|e| crate::InferenceError::Model(e.to_string()))?;
    Ok(Translation {
        lines,
        pieces: total,
        models: used,
        engine: engines.join("+"),
        runs: runs(&line_model),
        untranslated,
    })
}

/// Consecutive lines of the same (language, model) as one run; untranslated lines are
/// in none.
fn runs(line_model: &[Option<(String, String)>]) -> Vec<LineRun> {
    let mut runs: Vec<LineRun> = Vec::new();
    for (n, m) in line_model.iter().enumerate() {
        let Some((language, model)) = m else {
            continue;
        };
        match runs.last_mut() {
            Some(r) if r.last + 1 == n && &r.language == language && &r.model == model => {
                r.last = n;
            }
            _ => runs.push(LineRun {
                first: n,
                last: n,
                language: language.clone(),
                model: model.clone(),
            }),
        }
    }
    runs
}

/// [`translate_lines`] with one Marian model for every language.
pub fn translate_text(
    model: &Marian,
    text: &str,
    plan_options: &PlanOptions,
    decode: &DecodeOptions,
    batch: usize,
) -> Result<(Vec<String>, usize), crate::InferenceError> {
    let t = translate_lines(
        text,
        &|_| Some(Route::Marian(model)),
        plan_options,
        decode,
        batch,
        Missing::Refuse,
        &mut |_, _| {},
    )?;
    Ok((t.lines, t.pieces))
}
