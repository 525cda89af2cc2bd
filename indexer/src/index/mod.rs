//! The tantivy index: one document per ingested item. A single `IndexWriter` sits behind
//! a mutex and every commit happens in [`SearchIndex::add_documents`]. All methods are
//! blocking; async callers run them on a [`crate::CpuPool`].

mod cache;
mod document;
mod excerpt;
mod facets;
mod fields;
mod identifiers;
mod keyword;
mod percolate;
mod results;
mod spans;
mod statistics;
mod stored;
mod vector;
mod write;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::ops::Bound;
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;

use tantivy::Order;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use toex_extract::Mention;
pub use toex_scope::Scope;

use crate::embedding::{ChunkVectors, Embed, Embedded};
use crate::semantic::{self, DocMeta, VectorIndex};
use crate::{IndexError, analysis};

use self::{
    document::*,
    fields::*,
    identifiers::IdentifierQuery,
    results::*,
    spans::*,
    statistics::{ScopeFilter, ScopedStatistics},
};
pub use document::{
    Added, Contained, Correction, MentionHit, NewDocument, Parent, Place, Provenance,
    StoredDocument, TranslatedLines, TranslationCandidate, TranslationMeta, TranslationSelection,
};
pub use excerpt::Excerpt;
pub use fields::index_schema;
pub use keyword::QuerySyntax;
pub use percolate::StandingQuery;
pub use results::{
    DEFAULT_MIN_SIMILARITY, FacetCount, Facets, FacetsWanted, Hit, MAX_SEARCH_DEPTH,
    MAX_SEGMENT_MATCHES, SearchMode, SearchRequest, SearchResults, SearchSort, SegmentMatch,
    Wanted,
};

/// Largest accepted text of one document, in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024 * 1024;

const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;

/// Characters of a text shown when the query matched elsewhere in the document.
const SNIPPET_OPENING: usize = 200;

/// Candidates each side contributes to a hybrid ranking.
const HYBRID_DEPTH: usize = 100;

/// The on-disk full-text index.
pub struct SearchIndex {
    path: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    embedder: Option<Arc<dyn Embed>>,
    vectors: RwLock<VectorIndex>,
    /// Recent searches' results, per request and scope, until the next commit.
    results: cache::ResultCache,
    /// The documents of the scopes searched since the last commit.
    scopes: statistics::ScopeCache,
}

impl SearchIndex {
    /// Opens the index at `path`, creating the directory and an empty index if needed.
    pub fn open_or_create(path: &Path) -> Result<Self, IndexError> {
        Self::open(path, None)
    }

    /// Opens the index with an embedding model for semantic and hybrid search; the
    /// vectors stored with the documents are loaded into the nearest-neighbour graph.
    pub fn open(path: &Path, embedder: Option<Arc<dyn Embed>>) -> Result<Self, IndexError> {
        let open_err = |reason: String| IndexError::Open {
            path: path.to_owned(),
            reason,
        };
        std::fs::create_dir_all(path).map_err(|e| open_err(e.to_string()))?;
        let dir = MmapDirectory::open(path).map_err(|e| open_err(e.to_string()))?;
        let (schema, fields) = build_schema();
        let index = Index::open_or_create(dir, schema).map_err(|e| open_err(e.to_string()))?;
        analysis::register(&index);
        let writer = index
            .writer_with_num_threads(1, WRITER_HEAP_BYTES)
            .map_err(|e| open_err(e.to_string()))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| open_err(e.to_string()))?;
        let index = Self {
            path: path.to_owned(),
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            embedder,
            vectors: RwLock::new(VectorIndex::new()),
            results: cache::ResultCache::new(),
            scopes: statistics::ScopeCache::default(),
        };
        index.load_vectors()?;
        Ok(index)
    }

    /// Rebuilds the nearest-neighbour graph from the stored vectors.
    fn load_vectors(&self) -> Result<(), IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let mut vectors = self.vectors.write().unwrap_or_else(|p| p.into_inner());
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(64)
                .map_err(|e| IndexError::Tantivy(e.into()))?;
            for doc_id in segment.doc_ids_alive() {
                let doc: TantivyDocument = store.get(doc_id)?;
                if let Some(bytes) = doc.get_first(f.vectors).and_then(|v| v.as_bytes()) {
                    vectors.add(self.meta(&doc), semantic::decode(bytes));
                }
            }
        }
        Ok(())
    }

    fn meta(&self, doc: &TantivyDocument) -> DocMeta {
        let f = self.fields;
        DocMeta {
            id: first_str(doc, f.id).unwrap_or_default(),
            force: first_str(doc, f.force).unwrap_or_default(),
            language: first_str(doc, f.language),
            operation: first_str(doc, f.operation),
            source_type: first_str(doc, f.source_type).unwrap_or_default(),
            ingested_at: doc
                .get_first(f.ingested_at)
                .and_then(|v| v.as_datetime())
                .map_or(0, |d| d.into_timestamp_micros()),
        }
    }

    /// The embedding model's id, when semantic search is available.
    pub fn embedding_model(&self) -> Option<&str> {
        self.embedder.as_ref().map(|e| e.model_id())
    }

    /// Chunk vectors in the nearest-neighbour graph.
    pub fn vector_count(&self) -> usize {
        self.vectors.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of searchable documents.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn id_query(&self, id: &str) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        )
    }
}

#[cfg(test)]
mod answer_tests;
#[cfg(test)]
mod scope_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;
