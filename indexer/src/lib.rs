//! Ingestion, the tantivy search index and the bounded pool that runs CPU-heavy work
//! (indexing, search, inference) off the async runtime.

mod analysis;
pub mod embed;
mod error;
pub mod formats;
mod index;
pub mod jobs;
pub mod linear;
pub mod media;
mod pool;
mod semantic;
pub mod transcribe;
pub mod translate;

pub use analysis::{
    light_stem, multi_analyzer, normalise as normalise_arabic, register as register_analyzers,
};
pub use error::IndexError;
pub use index::{
    Correction, FacetCount, Facets, Hit, MAX_SEGMENT_MATCHES, MentionHit, NewDocument, SearchIndex,
    SearchMode, SearchRequest, SearchResults, SearchSort, SegmentMatch, StoredDocument,
    TranslationCandidate, TranslationMeta, TranslationSelection, index_schema,
};
pub use pool::{CpuPool, PoolError};
