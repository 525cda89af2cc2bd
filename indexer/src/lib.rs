//! Ingestion, the tantivy search index and the bounded pool that runs CPU-heavy work
//! (indexing, search, inference) off the async runtime.

mod error;
mod index;
mod pool;

pub use error::IndexError;
pub use index::{Hit, NewDocument, SearchIndex, SearchRequest, SearchResults, StoredDocument};
pub use pool::{CpuPool, PoolError};
