//! Machine translation: the model-independent text pipeline (`text`: placeholders,
//! sentences, routing, alignment, batches) and SentencePiece unigram tokenisation
//! (`spm`), as OPUS-MT's Marian models use, and the Marian model with its own decoding
//! path (`marian`).

pub mod marian;
pub mod spm;
pub mod text;

pub use text::{
    AlignError, Plan, PlanOptions, Unit, placeholder, plan, protect, restore, split_sentences,
};

pub use marian::{DecodeOptions, Marian, MarianConfig};

/// Translates a text line by line with one model: N lines in, N lines out, English and
/// empty lines untouched, identifiers and numbers kept verbatim. Returns the lines and
/// how many pieces went through the model.
pub fn translate_text(
    model: &Marian,
    text: &str,
    plan_options: &PlanOptions,
    decode: &DecodeOptions,
    batch: usize,
) -> Result<(Vec<String>, usize), crate::IndexError> {
    let plan = plan(text, plan_options);
    let sentences: Vec<&str> = plan.units.iter().map(|u| u.text.as_str()).collect();
    let translated = model.translate(&sentences, decode, batch)?;
    let lines = plan
        .finish(&translated)
        .map_err(|e| crate::IndexError::Model(e.to_string()))?;
    Ok((lines, sentences.len()))
}
