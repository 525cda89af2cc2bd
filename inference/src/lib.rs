//! Every model toex runs, on candle: Whisper (transcription), Marian and NLLB-200
//! (translation), MiniLM (embeddings), the attention, linear projections and beam search
//! they share, CTranslate2's model file (`ct2`), and the one place the device is chosen
//! (`embed::device`). It knows nothing of search, the graph or HTTP.

mod attention;
pub mod ct2;
pub mod embed;
mod error;
mod generate;
mod kv_cache;
pub mod linear;
mod ops;
pub mod transcribe;
pub mod translate;

pub use error::InferenceError;
/// The heap policy for inference's large buffers: call once at start-up.
pub use toex_kernels::keep_buffers_on_heap;
