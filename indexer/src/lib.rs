//! The search engine: the tantivy index (fields, analysers, keyword, semantic and hybrid
//! search), stored recordings and the ingest job store. No model runs
//! here; semantic search takes an [`Embed`] from the caller.

mod analysis;
mod embedding;
mod error;
mod hnsw;
mod index;
pub mod jobs;
pub mod media;
mod semantic;

pub use analysis::{
    light_stem, multi_analyzer, normalise as normalise_arabic, register as register_analyzers,
};
pub use embedding::{EMBEDDING_DIM, Embed, Embedded, pack, unpack};
pub use error::IndexError;
pub use hnsw::Hnsw;
pub use index::{
    Added, Contained, Correction, DEFAULT_MIN_SIMILARITY, Excerpt, FacetCount, Facets,
    FacetsWanted, Hit, MAX_SEARCH_DEPTH, MAX_SEGMENT_MATCHES, MentionHit, NewDocument, Parent,
    Place, Provenance, QuerySyntax, Scope, SearchIndex, SearchMode, SearchRequest, SearchResults,
    SearchSort, SegmentMatch, StandingQuery, StoredDocument, TranslatedLines, TranslationCandidate,
    TranslationMeta, TranslationSelection, Wanted, index_schema,
};
