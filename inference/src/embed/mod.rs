//! Sentence embeddings of English text with all-MiniLM-L6-v2 on candle (BERT WordPiece
//! tokenizer, mean pooling, L2 norm). The device is chosen in [`device::select`], the
//! model loaded once.

pub mod device;
mod minilm;
mod wordpiece;

pub use minilm::{EMBEDDING_DIM, Embedder};
pub use wordpiece::WordPiece;
