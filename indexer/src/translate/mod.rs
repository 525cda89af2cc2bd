//! Machine translation: the model-independent text pipeline (`text`: placeholders,
//! sentences, routing, alignment, batches) and SentencePiece unigram tokenisation
//! (`spm`), as OPUS-MT's Marian models use.

pub mod spm;
pub mod text;

pub use text::{
    AlignError, Plan, PlanOptions, Unit, placeholder, plan, protect, restore, split_sentences,
};
