//! The tantivy index: one document per ingested item. A single `IndexWriter` sits behind
//! a mutex and every commit happens in [`SearchIndex::add_documents`]. All methods are
//! blocking; async callers run them on a [`crate::CpuPool`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::ops::Bound;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;

use tantivy::Order;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use toex_extract::Mention;

use crate::embed::Embedder;
use crate::semantic::{self, DocMeta, VectorIndex};
use crate::{IndexError, analysis};

/// Largest accepted text of one document, in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024 * 1024;
const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;
/// Characters of a text shown when the query matched elsewhere in the document.
const SNIPPET_OPENING: usize = 200;

/// An item to index.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub title: String,
    /// The original text.
    pub text: String,
    /// ISO 639-1 code of the original text, if known.
    pub language: Option<String>,
    /// English translation, if any.
    pub translation: Option<String>,
    pub force: String,
    pub operation: Option<String>,
    /// `text`, `chat`, `transcript`, `audio`.
    pub source_type: String,
    /// Lines, messages or time-coded cues; empty for a single block of text.
    pub segments: Vec<crate::formats::Segment>,
    /// Identifiers and known names found in it (see [`toex_extract::extract_document`]).
    pub mentions: Vec<Mention>,
    /// Where the translation came from, when there is one.
    pub translation_meta: Option<TranslationMeta>,
    /// An analyst's correction of the translation, kept beside the machine one.
    pub correction: Option<Correction>,
}

/// Provenance of a machine (or human) translation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct TranslationMeta {
    /// `marian-candle`, `whisper-translate`, `human`, or what the source says.
    pub engine: String,
    /// The model id (e.g. `Helsinki-NLP/opus-mt-ar-en`).
    pub model: Option<String>,
    /// Model version or weights hash.
    pub version: Option<String>,
    /// When it was translated (RFC 3339).
    pub translated_at: Option<String>,
}

/// An analyst's corrected translation: who and when; it never replaces the machine one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Correction {
    pub text: String,
    pub by: String,
    /// RFC 3339.
    pub at: String,
}

impl NewDocument {
    /// Finds the document's identifiers and the names `gazetteer` knows, in each segment
    /// (or the whole text) and in the translation.
    pub fn extract_mentions(&mut self, gazetteer: Option<&toex_extract::Gazetteer>) {
        self.mentions = toex_extract::extract_document(
            self.segments.iter().map(|s| s.text.as_str()),
            &self.text,
            self.translation.as_deref(),
            gazetteer,
        );
    }

    /// The content hash that makes ingestion idempotent: same force and content, same id.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for part in [
            self.force.as_str(),
            self.operation.as_deref().unwrap_or(""),
            self.source_type.as_str(),
            self.title.as_str(),
            self.text.as_str(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        format!("{:x}", hasher.finalize())
    }

    /// The document id, derived from the content hash.
    pub fn id(&self) -> String {
        format!("doc-{}", &self.content_hash()[..24])
    }

    fn validate(&self) -> Result<(), IndexError> {
        if self.text.trim().is_empty() {
            return Err(IndexError::InvalidDocument("the text is empty".to_owned()));
        }
        if self.text.len() > MAX_TEXT_BYTES {
            return Err(IndexError::InvalidDocument(format!(
                "the text is {} bytes; the limit is {MAX_TEXT_BYTES}",
                self.text.len()
            )));
        }
        if self.force.trim().is_empty() {
            return Err(IndexError::InvalidDocument("the force is empty".to_owned()));
        }
        Ok(())
    }
}

/// Which stored documents a translation job covers: those of `force` not stated to be
/// English, narrowed by operation, language and ids when given, and only those without a
/// translation unless `retranslate`.
#[derive(Debug, Clone, Default)]
pub struct TranslationSelection {
    pub force: String,
    pub operation: Option<String>,
    /// ISO 639-1, as stored.
    pub language: Option<String>,
    pub ids: Vec<String>,
    pub retranslate: bool,
}

/// A stored document a translation job can work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslationCandidate {
    pub id: String,
    pub title: String,
    /// Bytes of its text.
    pub bytes: u64,
}

/// A search over the index.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    /// Only these forces; empty means no force filter.
    pub forces: Vec<String>,
    /// Only these languages; empty means any.
    pub languages: Vec<String>,
    /// Only these operations; empty means any.
    pub operations: Vec<String>,
    /// Only these source types; empty means any.
    pub source_types: Vec<String>,
    pub limit: usize,
    pub offset: usize,
    pub mode: SearchMode,
    /// Only documents ingested at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only documents ingested before this instant.
    pub to: Option<DateTime<Utc>>,
    pub sort: SearchSort,
}

/// Order of keyword results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchSort {
    /// Best match first.
    #[default]
    Relevance,
    /// Most recently ingested first.
    Newest,
}

/// How search ranks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchMode {
    /// BM25 over the analysed text (the query syntax applies).
    #[default]
    Keyword,
    /// Nearest neighbours of the query's embedding among the documents' English text.
    Semantic,
    /// Reciprocal rank fusion of the keyword and semantic rankings.
    Hybrid,
}

/// Candidates each side contributes to a hybrid ranking.
const HYBRID_DEPTH: usize = 100;

/// One hit, with highlighted snippets of the original and the translation.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub score: f32,
    pub language: Option<String>,
    pub force: String,
    pub source_type: String,
    /// HTML with `<b>` around matched terms; other markup escaped.
    pub snippet: String,
    pub translation_snippet: Option<String>,
    /// Highlighted HTML of the analyst's corrected translation, when there is one.
    pub corrected_snippet: Option<String>,
    /// Which translation the query matched: `corrected`, `machine`, or `None`.
    pub translation_matched: Option<&'static str>,
    /// The segments (lines, messages, cues) that hold a matched term, in document
    /// order, at most [`MAX_SEGMENT_MATCHES`]; each with its timestamps.
    pub segments: Vec<SegmentMatch>,
}

/// Most matching segments reported per hit.
pub const MAX_SEGMENT_MATCHES: usize = 5;

/// A segment that holds a matched term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentMatch {
    /// 0-based position among the document's segments.
    pub index: usize,
    pub line: Option<u32>,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub speaker: Option<String>,
    pub sent: Option<String>,
    /// The segment's text, HTML-escaped, with `<b>` around matched words.
    pub highlighted: String,
}

/// Hits, the total number of matching documents, and facet counts over all of them.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

/// How many matching documents have each value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub languages: Vec<FacetCount>,
    pub forces: Vec<FacetCount>,
    pub operations: Vec<FacetCount>,
    pub source_types: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

const FACET_FIELDS: [&str; 4] = ["language", "force", "operation", "source_type"];

fn facet_request() -> Aggregations {
    let request: serde_json::Map<String, serde_json::Value> = FACET_FIELDS
        .iter()
        .map(|f| {
            (
                (*f).to_owned(),
                serde_json::json!({ "terms": { "field": f, "size": 100 } }),
            )
        })
        .collect();
    serde_json::from_value(serde_json::Value::Object(request)).unwrap_or_default()
}

fn facet_counts(results: &serde_json::Value, name: &str) -> Vec<FacetCount> {
    results[name]["buckets"]
        .as_array()
        .map(|buckets| {
            buckets
                .iter()
                .filter_map(|b| {
                    Some(FacetCount {
                        value: b["key"].as_str()?.to_owned(),
                        count: b["doc_count"].as_u64()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A stored document, as returned by [`SearchIndex::get`].
#[derive(Debug, Clone, Serialize)]
pub struct StoredDocument {
    pub id: String,
    pub title: String,
    pub text: String,
    pub language: Option<String>,
    pub translation: Option<String>,
    pub force: String,
    pub operation: Option<String>,
    pub source_type: String,
    pub content_hash: String,
    pub ingested_at: DateTime<Utc>,
    pub segments: Vec<crate::formats::Segment>,
    /// Identifiers and names found at ingest.
    pub mentions: Vec<Mention>,
    pub translation_meta: Option<TranslationMeta>,
    pub correction: Option<Correction>,
}

/// Where a document mentions an identifier, for a linkage look-up.
#[derive(Debug, Clone, Serialize)]
pub struct MentionHit {
    pub id: String,
    pub title: String,
    pub force: String,
    pub operation: Option<String>,
    pub source_type: String,
    pub mention: Mention,
    /// The segment it is in (with its timestamps or line), when it is in one.
    pub segment: Option<crate::formats::Segment>,
    /// The text around the mention, the mention in `<b>`.
    pub snippet: String,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    /// The original, any language, through the `multi` analyser (Arabic-aware).
    text: Field,
    /// English originals again, stemmed; not stored.
    text_en: Field,
    /// Non-English originals as consonant skeletons, so Arabizi finds Arabic script
    /// and the other way round; not stored, weighted low.
    text_skel: Field,
    translation: Field,
    language: Field,
    force: Field,
    operation: Field,
    source_type: Field,
    /// The segments as stored JSON (not indexed; the text is).
    segments: Field,
    /// Chunk embeddings of the English text (see `semantic::encode`).
    vectors: Field,
    /// The mentions as stored JSON.
    entities: Field,
    /// `kind:value` of every identifier and person mentioned (indexed, not stored).
    identifiers: Field,
    /// The translation's provenance (stored JSON).
    translation_meta: Field,
    /// An analyst's corrected translation (English analyser, stored) and who/when (JSON).
    corrected: Field,
    correction_meta: Field,
    content_hash: Field,
    ingested_at: Field,
}

/// The index schema (for tools that compare against plain tantivy on the same schema).
pub fn index_schema() -> Schema {
    build_schema().0
}

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let english = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let multi = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analysis::MULTI)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let english_only = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let skeleton = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analysis::SKELETON)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let keyword = STRING | STORED;
    let facet = STRING | STORED | FAST;
    let fields = Fields {
        id: b.add_text_field("id", keyword.clone()),
        title: b.add_text_field("title", multi.clone()),
        text: b.add_text_field("text", multi),
        text_en: b.add_text_field("text_en", english_only),
        text_skel: b.add_text_field("text_skel", skeleton),
        translation: b.add_text_field("translation", english.clone()),
        language: b.add_text_field("language", facet.clone()),
        force: b.add_text_field("force", facet.clone()),
        operation: b.add_text_field("operation", facet.clone()),
        source_type: b.add_text_field("source_type", facet.clone()),
        segments: b.add_text_field("segments", STORED),
        vectors: b.add_bytes_field("vectors", STORED),
        entities: b.add_text_field("entities", STORED),
        identifiers: b.add_text_field("identifiers", STRING),
        translation_meta: b.add_text_field("translation_meta", STORED),
        corrected: b.add_text_field("corrected", english.clone()),
        correction_meta: b.add_text_field("correction_meta", STORED),
        content_hash: b.add_text_field("content_hash", keyword),
        ingested_at: b.add_date_field("ingested_at", INDEXED | STORED | FAST),
    };
    (b.build(), fields)
}

/// The on-disk full-text index.
pub struct SearchIndex {
    path: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    embedder: Option<Arc<Embedder>>,
    vectors: RwLock<VectorIndex>,
}

impl SearchIndex {
    /// Opens the index at `path`, creating the directory and an empty index if needed.
    pub fn open_or_create(path: &Path) -> Result<Self, IndexError> {
        Self::open(path, None)
    }

    /// Opens the index with an embedding model for semantic and hybrid search; the
    /// vectors stored with the documents are loaded into the nearest-neighbour graph.
    pub fn open(path: &Path, embedder: Option<Arc<Embedder>>) -> Result<Self, IndexError> {
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
        self.embedder.as_ref().map(|e| e.model_id.as_str())
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

    /// Adds documents and commits once. A document already present (same content hash)
    /// is replaced, never duplicated, and keeps its first ingest time (a translation or
    /// correction added later does not make it new). Returns the ids in input order.
    pub fn add_documents(&self, docs: &[NewDocument]) -> Result<Vec<String>, IndexError> {
        for doc in docs {
            doc.validate()?;
        }
        let f = self.fields;
        let embedded = self.embed_documents(docs)?;
        let now = tantivy::DateTime::from_timestamp_micros(Utc::now().timestamp_micros());
        let mut times = Vec::with_capacity(docs.len());
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        // A delete costs a term look-up in every segment at commit: only documents that
        // are there already (or twice in this batch) are deleted before they are added.
        let searcher = self.reader.searcher();
        let mut in_batch = std::collections::HashSet::with_capacity(docs.len());
        let mut ids = Vec::with_capacity(docs.len());
        for (doc, vectors) in docs.iter().zip(&embedded) {
            let hash = doc.content_hash();
            let id = format!("doc-{}", &hash[..24]);
            let term = Term::from_field_text(f.id, &id);
            let mut at = now;
            let repeated = !in_batch.insert(id.clone());
            if repeated || searcher.doc_freq(&term)? > 0 {
                if let Some(addr) = self.address(&searcher, &id, &[])? {
                    let old: TantivyDocument = searcher.doc(addr)?;
                    if let Some(first) = old.get_first(f.ingested_at).and_then(|v| v.as_datetime())
                    {
                        at = first;
                    }
                }
                writer.delete_term(term);
            }
            times.push(at);
            let mut d = TantivyDocument::default();
            d.add_text(f.id, &id);
            d.add_text(f.title, &doc.title);
            d.add_text(f.text, &doc.text);
            if doc.language.as_deref().is_none_or(|l| l == "en") {
                d.add_text(f.text_en, &doc.text);
            }
            if doc.language.as_deref() != Some("en") {
                d.add_text(f.text_skel, &doc.text);
            }
            if let Some(t) = &doc.translation {
                d.add_text(f.translation, t);
            }
            if let Some(m) = &doc.translation_meta {
                d.add_text(
                    f.translation_meta,
                    serde_json::to_string(m).unwrap_or_default(),
                );
            }
            if let Some(c) = &doc.correction {
                d.add_text(f.corrected, &c.text);
                d.add_text(
                    f.correction_meta,
                    serde_json::json!({"by": c.by, "at": c.at}).to_string(),
                );
            }
            if let Some(l) = &doc.language {
                d.add_text(f.language, l);
            }
            d.add_text(f.force, &doc.force);
            if let Some(o) = &doc.operation {
                d.add_text(f.operation, o);
            }
            d.add_text(f.source_type, &doc.source_type);
            if !doc.segments.is_empty() {
                d.add_text(f.segments, segments_json(&doc.segments));
            }
            if !vectors.is_empty() {
                d.add_bytes(f.vectors, &semantic::encode(vectors));
            }
            if !doc.mentions.is_empty() {
                let mut keys: Vec<String> = doc
                    .mentions
                    .iter()
                    .map(|m| m.found.kind.key(&m.found.value))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                for key in keys {
                    d.add_text(f.identifiers, key);
                }
                d.add_text(
                    f.entities,
                    serde_json::to_string(&doc.mentions).unwrap_or_default(),
                );
            }
            d.add_text(f.content_hash, &hash);
            d.add_date(f.ingested_at, at);
            writer.add_document(d)?;
            ids.push(id);
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        let mut index = self.vectors.write().unwrap_or_else(|p| p.into_inner());
        for (((doc, id), vectors), at) in docs.iter().zip(&ids).zip(embedded).zip(times) {
            if !vectors.is_empty() {
                let meta = DocMeta {
                    id: id.clone(),
                    force: doc.force.clone(),
                    language: doc.language.clone(),
                    operation: doc.operation.clone(),
                    source_type: doc.source_type.clone(),
                    ingested_at: at.into_timestamp_micros(),
                };
                index.add(meta, vectors);
            }
        }
        Ok(ids)
    }

    /// Chunk vectors per document (empty without a model or English text).
    #[allow(clippy::type_complexity)]
    fn embed_documents(
        &self,
        docs: &[NewDocument],
    ) -> Result<Vec<Vec<(u32, u32, Vec<f32>)>>, IndexError> {
        let Some(embedder) = &self.embedder else {
            return Ok(vec![Vec::new(); docs.len()]);
        };
        let chunked: Vec<Vec<semantic::Chunk>> = docs
            .iter()
            .map(|d| {
                semantic::chunks(
                    &d.text,
                    d.language.as_deref(),
                    d.translation.as_deref(),
                    &d.segments,
                )
            })
            .collect();
        let texts: Vec<&str> = chunked.iter().flatten().map(|c| c.text.as_str()).collect();
        let mut vectors = embedder.embed(&texts)?.into_iter();
        Ok(chunked
            .iter()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| vectors.next().map(|v| (c.first, c.last, v)))
                    .collect()
            })
            .collect())
    }

    /// Runs a query in its mode. Syntax errors come back as [`IndexError::BadQuery`]
    /// with the position; semantic modes without a model as [`IndexError::Model`].
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        match req.mode {
            SearchMode::Keyword => self.keyword_search(req),
            SearchMode::Semantic | SearchMode::Hybrid => self.vector_search(req),
        }
    }

    fn vector_search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let Some(embedder) = &self.embedder else {
            return Err(IndexError::Model(
                "semantic search needs the embedding model (setting `models.embedding`)".to_owned(),
            ));
        };
        if req.query.trim().is_empty() {
            return Err(IndexError::BadQuery {
                message: "the query is empty".to_owned(),
                position: Some(0),
            });
        }
        let limit = req.limit.clamp(1, 1000);
        let depth = (req.offset + limit).max(HYBRID_DEPTH);
        let query = embedder
            .embed(&[req.query.as_str()])?
            .pop()
            .unwrap_or_default();
        let allowed = |values: &[String], v: Option<&str>| {
            values.is_empty() || v.is_some_and(|v| values.iter().any(|x| x == v))
        };
        let found = self
            .vectors
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .search(&query, depth, |m| {
                allowed(&req.forces, Some(&m.force))
                    && allowed(&req.languages, m.language.as_deref())
                    && allowed(&req.operations, m.operation.as_deref())
                    && allowed(&req.source_types, Some(&m.source_type))
                    && req
                        .from
                        .is_none_or(|t| m.ingested_at >= t.timestamp_micros())
                    && req.to.is_none_or(|t| m.ingested_at < t.timestamp_micros())
            });
        let mut keyword = None;
        let ranked: Vec<(String, f32)> = if req.mode == SearchMode::Hybrid {
            let mut k = req.clone();
            k.mode = SearchMode::Keyword;
            k.offset = 0;
            k.limit = depth;
            let results = self.keyword_search(&k)?;
            let fused = semantic::rrf(&[
                results.hits.iter().map(|h| h.id.clone()).collect(),
                found.iter().map(|f| f.id.clone()).collect(),
            ]);
            keyword = Some(results);
            fused.into_iter().map(|(id, s)| (id, s as f32)).collect()
        } else {
            found.iter().map(|f| (f.id.clone(), f.similarity)).collect()
        };
        let by_id: std::collections::HashMap<&str, &semantic::Found> =
            found.iter().map(|f| (f.id.as_str(), f)).collect();
        let searcher = self.reader.searcher();
        let f = self.fields;
        let mut hits = Vec::new();
        for (id, score) in ranked.iter().skip(req.offset).take(limit) {
            if let Some(k) = keyword
                .as_ref()
                .and_then(|k| k.hits.iter().find(|h| &h.id == id))
            {
                let mut hit = k.clone();
                hit.score = *score;
                hits.push(hit);
                continue;
            }
            let Some(addr) = self.address(&searcher, id, &req.forces)? else {
                continue;
            };
            let doc: TantivyDocument = searcher.doc(addr)?;
            let opening = |field| opening(&doc, field);
            let mut hit = self.hit(
                &doc,
                *score,
                opening(f.text).unwrap_or_default(),
                opening(f.translation),
            );
            if let Some((first, last)) = by_id.get(id.as_str()).and_then(|f| f.segments) {
                let segments = first_str(&doc, f.segments)
                    .map(|j| segments_from_json(&j))
                    .unwrap_or_default();
                hit.segments = segments
                    .iter()
                    .enumerate()
                    .skip(first as usize)
                    .take((last.saturating_sub(first) as usize + 1).min(MAX_SEGMENT_MATCHES))
                    .map(|(index, s)| SegmentMatch {
                        index,
                        line: s.line,
                        start_ms: s.start_ms,
                        end_ms: s.end_ms,
                        speaker: s.speaker.clone(),
                        sent: s.sent.clone(),
                        highlighted: escape_html(&s.text),
                    })
                    .collect();
            }
            hits.push(hit);
        }
        let facets = match &keyword {
            Some(k) => k.facets.clone(),
            None => {
                let vectors = self.vectors.read().unwrap_or_else(|p| p.into_inner());
                let metas: Vec<DocMeta> = found
                    .iter()
                    .filter_map(|f| vectors.meta(&f.id).cloned())
                    .collect();
                facets_of(&metas)
            }
        };
        Ok(SearchResults {
            total: ranked.len(),
            hits,
            facets,
        })
    }

    fn keyword_search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let f = self.fields;
        let user_query = self.parse(&req.query)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, user_query.box_clone())];
        for (field, values) in [
            (f.force, &req.forces),
            (f.language, &req.languages),
            (f.operation, &req.operations),
            (f.source_type, &req.source_types),
        ] {
            if !values.is_empty() {
                clauses.push((Occur::Must, any_of(field, values)));
            }
        }
        if req.from.is_some() || req.to.is_some() {
            let term = |t: DateTime<Utc>| {
                Term::from_field_date_for_search(
                    f.ingested_at,
                    tantivy::DateTime::from_timestamp_micros(t.timestamp_micros()),
                )
            };
            let lower = req
                .from
                .map_or(Bound::Unbounded, |t| Bound::Included(term(t)));
            let upper = req
                .to
                .map_or(Bound::Unbounded, |t| Bound::Excluded(term(t)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let limit = req.limit.clamp(1, 1000);
        let facets = AggregationCollector::from_aggs(facet_request(), AggContextParams::default());
        let (top, total, facet_results) = match req.sort {
            SearchSort::Relevance => searcher.search(
                &query,
                &(
                    TopDocs::with_limit(limit)
                        .and_offset(req.offset)
                        .order_by_score(),
                    Count,
                    facets,
                ),
            )?,
            SearchSort::Newest => {
                let (top, total, facets) = searcher.search(
                    &query,
                    &(
                        TopDocs::with_limit(limit)
                            .and_offset(req.offset)
                            .order_by_fast_field::<tantivy::DateTime>("ingested_at", Order::Desc),
                        Count,
                        facets,
                    ),
                )?;
                (
                    top.into_iter().map(|(_, a)| (0.0, a)).collect(),
                    total,
                    facets,
                )
            }
        };
        let facet_json = serde_json::to_value(&facet_results).unwrap_or_default();
        let facets = Facets {
            languages: facet_counts(&facet_json, "language"),
            forces: facet_counts(&facet_json, "force"),
            operations: facet_counts(&facet_json, "operation"),
            source_types: facet_counts(&facet_json, "source_type"),
        };
        let text_snippets = SnippetGenerator::create(&searcher, &*user_query, f.text)?;
        let translation_snippets =
            SnippetGenerator::create(&searcher, &*user_query, f.translation)?;
        let corrected_snippets = SnippetGenerator::create(&searcher, &*user_query, f.corrected)?;
        let terms = self.matched_terms(&*user_query);
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            // Side by side: where only one side matched, the other shows its opening.
            let html_or_opening = |s: tantivy::snippet::Snippet, field| {
                if s.fragment().trim().is_empty() {
                    opening(&doc, field).unwrap_or_default()
                } else {
                    s.to_html()
                }
            };
            let snippet = html_or_opening(text_snippets.snippet_from_doc(&doc), f.text);
            let translation_snippet = first_str(&doc, f.translation).map(|_| {
                html_or_opening(translation_snippets.snippet_from_doc(&doc), f.translation)
            });
            let mut hit = self.hit(&doc, score, snippet, translation_snippet);
            if first_str(&doc, f.corrected).is_some() {
                let corrected = corrected_snippets.snippet_from_doc(&doc);
                if !corrected.highlighted().is_empty() {
                    hit.translation_matched = Some("corrected");
                }
                hit.corrected_snippet = Some(corrected.to_html());
            }
            if hit.translation_matched.is_none()
                && hit
                    .translation_snippet
                    .as_deref()
                    .is_some_and(|s| s.contains("<b>"))
            {
                hit.translation_matched = Some("machine");
            }
            hit.segments = first_str(&doc, f.segments)
                .map(|j| self.segment_matches(&segments_from_json(&j), &terms))
                .unwrap_or_default();
            hits.push(hit);
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    /// Documents like `id` (by the distinctive terms of its text and translation), best
    /// first, within `forces` when given. `None` when `id` does not exist there.
    pub fn more_like_this(
        &self,
        id: &str,
        forces: &[String],
        limit: usize,
    ) -> Result<Option<Vec<Hit>>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let Some(addr) = self.address(&searcher, id, forces)? else {
            return Ok(None);
        };
        let by_id = self.id_query(id);
        let like = tantivy::query::MoreLikeThisQuery::builder()
            .with_min_doc_frequency(1)
            .with_min_term_frequency(1)
            .with_max_query_terms(32)
            .with_document(addr);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(like)),
            (Occur::MustNot, Box::new(by_id)),
        ];
        if !forces.is_empty() {
            clauses.push((Occur::Must, any_of(f.force, forces)));
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(limit.clamp(1, 100)).order_by_score(),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let opening = |field| opening(&doc, field);
            let (snippet, translation_snippet) =
                (opening(f.text).unwrap_or_default(), opening(f.translation));
            hits.push(self.hit(&doc, score, snippet, translation_snippet));
        }
        Ok(Some(hits))
    }

    /// A hit from a stored document and the snippets chosen for it.
    fn hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        snippet: String,
        translation_snippet: Option<String>,
    ) -> Hit {
        let f = self.fields;
        Hit {
            id: first_str(doc, f.id).unwrap_or_default(),
            title: first_str(doc, f.title).unwrap_or_default(),
            score,
            language: first_str(doc, f.language),
            force: first_str(doc, f.force).unwrap_or_default(),
            source_type: first_str(doc, f.source_type).unwrap_or_default(),
            snippet,
            translation_snippet,
            corrected_snippet: None,
            translation_matched: None,
            segments: Vec::new(),
        }
    }

    /// The indexed words the query looks for in the original text, per analyser.
    fn matched_terms(&self, query: &dyn Query) -> MatchedTerms {
        let f = self.fields;
        let mut terms = MatchedTerms::default();
        query.query_terms(&mut |term, _| {
            let value = term.value();
            let Some(text) = value.as_str() else {
                return;
            };
            if term.field() == f.text || term.field() == f.title {
                terms.multi.insert(text.to_owned());
            } else if term.field() == f.text_en {
                terms.english.insert(text.to_owned());
            } else if term.field() == f.text_skel {
                terms.skeleton.insert(text.to_owned());
            }
        });
        terms
    }

    /// Segments holding any of `terms`, each highlighted, at most [`MAX_SEGMENT_MATCHES`].
    fn segment_matches(
        &self,
        segments: &[crate::formats::Segment],
        terms: &MatchedTerms,
    ) -> Vec<SegmentMatch> {
        if terms.multi.is_empty() && terms.english.is_empty() && terms.skeleton.is_empty() {
            return Vec::new();
        }
        let tokenizers = self.index.tokenizers();
        let (Some(mut multi), Some(mut english), Some(mut skeleton)) = (
            tokenizers.get(analysis::MULTI),
            tokenizers.get("en_stem"),
            tokenizers.get(analysis::SKELETON),
        ) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (index, segment) in segments.iter().enumerate() {
            let mut spans: Vec<(usize, usize)> = Vec::new();
            for (analyser, wanted) in [
                (&mut multi, &terms.multi),
                (&mut english, &terms.english),
                (&mut skeleton, &terms.skeleton),
            ] {
                if wanted.is_empty() {
                    continue;
                }
                let mut stream = analyser.token_stream(&segment.text);
                while let Some(token) = stream.next() {
                    if wanted.contains(&token.text) {
                        spans.push((token.offset_from, token.offset_to));
                    }
                }
            }
            if spans.is_empty() {
                continue;
            }
            out.push(SegmentMatch {
                index,
                line: segment.line,
                start_ms: segment.start_ms,
                end_ms: segment.end_ms,
                speaker: segment.speaker.clone(),
                sent: segment.sent.clone(),
                highlighted: highlight(&segment.text, spans),
            });
            if out.len() == MAX_SEGMENT_MATCHES {
                break;
            }
        }
        out
    }

    fn id_query(&self, id: &str) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        )
    }

    /// Where the document with `id` is, if it exists and belongs to one of `forces`
    /// (any force when `forces` is empty).
    fn address(
        &self,
        searcher: &tantivy::Searcher,
        id: &str,
        forces: &[String],
    ) -> Result<Option<tantivy::DocAddress>, IndexError> {
        let by_id: Box<dyn Query> = Box::new(self.id_query(id));
        let query: Box<dyn Query> = if forces.is_empty() {
            by_id
        } else {
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, by_id),
                (Occur::Must, any_of(self.fields.force, forces)),
            ]))
        };
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        Ok(top.into_iter().next().map(|(_, addr)| addr))
    }

    /// One stored document by id, if it belongs to one of `forces` (empty: any force).
    pub fn get(&self, id: &str, forces: &[String]) -> Result<Option<StoredDocument>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let Some(addr) = self.address(&searcher, id, forces)? else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(addr)?;
        let ingested_at = doc
            .get_first(f.ingested_at)
            .and_then(|v| v.as_datetime())
            .and_then(|d| DateTime::from_timestamp_micros(d.into_timestamp_micros()))
            .unwrap_or_default();
        Ok(Some(StoredDocument {
            id: first_str(&doc, f.id).unwrap_or_default(),
            title: first_str(&doc, f.title).unwrap_or_default(),
            text: first_str(&doc, f.text).unwrap_or_default(),
            language: first_str(&doc, f.language),
            translation: first_str(&doc, f.translation),
            force: first_str(&doc, f.force).unwrap_or_default(),
            operation: first_str(&doc, f.operation),
            source_type: first_str(&doc, f.source_type).unwrap_or_default(),
            content_hash: first_str(&doc, f.content_hash).unwrap_or_default(),
            ingested_at,
            segments: first_str(&doc, f.segments)
                .map(|j| segments_from_json(&j))
                .unwrap_or_default(),
            mentions: mentions_of(&doc, f.entities),
            translation_meta: first_str(&doc, f.translation_meta)
                .and_then(|j| serde_json::from_str(&j).ok()),
            correction: first_str(&doc, f.corrected).and_then(|text| {
                let meta: serde_json::Value =
                    serde_json::from_str(&first_str(&doc, f.correction_meta)?).ok()?;
                Some(Correction {
                    text,
                    by: meta["by"].as_str()?.to_owned(),
                    at: meta["at"].as_str()?.to_owned(),
                })
            }),
        }))
    }

    /// Keeps an analyst's corrected translation of document `id` beside the machine one
    /// (which stays as it was), with who made it and when; the document is re-indexed
    /// whole, so search finds the corrected words. `None` when the document is not there
    /// for `forces`.
    pub fn correct_translation(
        &self,
        id: &str,
        forces: &[String],
        text: &str,
        by: &str,
    ) -> Result<Option<StoredDocument>, IndexError> {
        if text.trim().is_empty() || text.len() > MAX_TEXT_BYTES {
            return Err(IndexError::InvalidDocument(format!(
                "a corrected translation must be 1 to {MAX_TEXT_BYTES} bytes"
            )));
        }
        let Some(stored) = self.get(id, forces)? else {
            return Ok(None);
        };
        let doc = NewDocument {
            title: stored.title,
            text: stored.text,
            language: stored.language,
            translation: stored.translation,
            force: stored.force,
            operation: stored.operation,
            source_type: stored.source_type,
            segments: stored.segments,
            mentions: stored.mentions,
            translation_meta: stored.translation_meta,
            correction: Some(Correction {
                text: text.to_owned(),
                by: by.to_owned(),
                at: Utc::now().to_rfc3339(),
            }),
        };
        self.add_documents(std::slice::from_ref(&doc))?;
        self.get(id, forces)
    }

    /// The stored documents a translation job would work on, oldest ingest first (then
    /// in index order), at most `limit` (ask for one more to learn that there are more).
    pub fn translation_candidates(
        &self,
        selection: &TranslationSelection,
        limit: usize,
    ) -> Result<Vec<TranslationCandidate>, IndexError> {
        let f = self.fields;
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let mut clauses = vec![(Occur::Must, term(f.force, &selection.force))];
        if let Some(operation) = &selection.operation {
            clauses.push((Occur::Must, term(f.operation, operation)));
        }
        match &selection.language {
            Some(language) => clauses.push((Occur::Must, term(f.language, language))),
            None => clauses.push((Occur::MustNot, term(f.language, "en"))),
        }
        if !selection.ids.is_empty() {
            clauses.push((Occur::Must, any_of(f.id, &selection.ids)));
        }
        let searcher = self.reader.searcher();
        let mut found: Vec<tantivy::DocAddress> = searcher
            .search(
                &BooleanQuery::new(clauses),
                &tantivy::collector::DocSetCollector,
            )?
            .into_iter()
            .collect();
        found.sort_unstable();
        let mut out = Vec::new();
        for addr in found {
            if out.len() == limit {
                break;
            }
            let doc: TantivyDocument = searcher.doc(addr)?;
            if !selection.retranslate && doc.get_first(f.translation).is_some() {
                continue;
            }
            let at = doc
                .get_first(f.ingested_at)
                .and_then(|v| v.as_datetime())
                .map_or(0, |d| d.into_timestamp_micros());
            out.push((
                (at, addr),
                TranslationCandidate {
                    id: first_str(&doc, f.id).unwrap_or_default(),
                    title: first_str(&doc, f.title).unwrap_or_default(),
                    bytes: doc
                        .get_first(f.text)
                        .and_then(|v| v.as_str())
                        .map_or(0, |t| t.len() as u64),
                },
            ));
        }
        out.sort_by_key(|(order, _)| *order);
        Ok(out.into_iter().map(|(_, c)| c).collect())
    }

    /// Every stored document searched for the names `gazetteer` knows: `(id, force,
    /// person mentions)` for the documents that name someone. Blocking; run it on the
    /// CPU pool.
    pub fn find_names(
        &self,
        gazetteer: &toex_extract::Gazetteer,
    ) -> Result<Vec<(String, String, Vec<Mention>)>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(64)
                .map_err(|e| IndexError::Tantivy(e.into()))?;
            for doc_id in segment.doc_ids_alive() {
                let doc: TantivyDocument = store.get(doc_id)?;
                let segments = first_str(&doc, f.segments)
                    .map(|j| segments_from_json(&j))
                    .unwrap_or_default();
                let text = first_str(&doc, f.text).unwrap_or_default();
                let translation = first_str(&doc, f.translation);
                let mentions: Vec<Mention> = toex_extract::extract_document(
                    segments.iter().map(|s| s.text.as_str()),
                    &text,
                    translation.as_deref(),
                    Some(gazetteer),
                )
                .into_iter()
                .filter(|m| m.found.kind == toex_extract::EntityKind::Person)
                .collect();
                if !mentions.is_empty() {
                    out.push((
                        first_str(&doc, f.id).unwrap_or_default(),
                        first_str(&doc, f.force).unwrap_or_default(),
                        mentions,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Documents of `forces` that mention `key` (`kind:value`, see
    /// [`toex_extract::EntityKind::key`]), newest first: one hit per mention, at most
    /// `limit` in all.
    pub fn mentioning(
        &self,
        key: &str,
        forces: &[String],
        limit: usize,
    ) -> Result<Vec<MentionHit>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(f.identifiers, key),
                IndexRecordOption::Basic,
            )),
        )];
        if !forces.is_empty() {
            clauses.push((Occur::Must, any_of(f.force, forces)));
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(limit.max(1))
                .order_by_fast_field::<tantivy::DateTime>("ingested_at", Order::Desc),
        )?;
        let mut hits = Vec::new();
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let segments = first_str(&doc, f.segments)
                .map(|j| segments_from_json(&j))
                .unwrap_or_default();
            let text = first_str(&doc, f.text).unwrap_or_default();
            let translation = first_str(&doc, f.translation);
            for mention in mentions_of(&doc, f.entities) {
                if mention.found.kind.key(&mention.found.value) != key || hits.len() >= limit {
                    continue;
                }
                let segment = mention
                    .segment
                    .and_then(|i| segments.get(i as usize))
                    .cloned();
                let within = match (&segment, mention.side) {
                    (Some(s), _) => s.text.as_str(),
                    (None, toex_extract::TextSide::Translation) => {
                        translation.as_deref().unwrap_or_default()
                    }
                    (None, toex_extract::TextSide::Original) => text.as_str(),
                };
                hits.push(MentionHit {
                    id: first_str(&doc, f.id).unwrap_or_default(),
                    title: first_str(&doc, f.title).unwrap_or_default(),
                    force: first_str(&doc, f.force).unwrap_or_default(),
                    operation: first_str(&doc, f.operation),
                    source_type: first_str(&doc, f.source_type).unwrap_or_default(),
                    snippet: mention_snippet(within, mention.found.start, mention.found.end),
                    segment,
                    mention,
                });
            }
        }
        Ok(hits)
    }

    fn parse(&self, query: &str) -> Result<Box<dyn Query>, IndexError> {
        let f = self.fields;
        if query.trim().is_empty() {
            return Err(IndexError::BadQuery {
                message: "the query is empty".to_owned(),
                position: Some(0),
            });
        }
        let (_, errors) = tantivy::query_grammar::parse_query_lenient(query);
        if let Some(first) = errors.first() {
            return Err(IndexError::BadQuery {
                message: first.message.clone(),
                position: Some(first.pos),
            });
        }
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![
                f.title,
                f.text,
                f.text_en,
                f.translation,
                f.corrected,
                f.text_skel,
            ],
        );
        parser.set_conjunction_by_default();
        // A skeleton match (Arabizi ↔ Arabic) counts, but below a match of the word itself.
        parser.set_field_boost(f.text_skel, 0.3);
        let parsed = parser
            .parse_query(query)
            .map_err(|e| IndexError::BadQuery {
                message: e.to_string(),
                position: None,
            })?;
        // Some clauses (`field:*`) are checked only when weighed: weigh the query now, so
        // that a bad one is refused as the query's fault, not failed as the index's.
        let schema = self.index.schema();
        match parsed.weight(tantivy::query::EnableScoring::disabled_from_schema(&schema)) {
            Ok(_) => Ok(parsed),
            Err(tantivy::TantivyError::FieldNotFound(field)) => Err(IndexError::BadQuery {
                message: format!("no field `{field}`; use title, text, translation or corrected"),
                position: None,
            }),
            Err(tantivy::TantivyError::SchemaError(message)) => Err(IndexError::BadQuery {
                message: format!("this field cannot be searched that way: {message}"),
                position: None,
            }),
            Err(other) => Err(other.into()),
        }
    }
}

/// Indexed words a query looks for, by the analyser that produced them.
#[derive(Default)]
struct MatchedTerms {
    multi: std::collections::HashSet<String>,
    english: std::collections::HashSet<String>,
    skeleton: std::collections::HashSet<String>,
}

/// `text` HTML-escaped with `<b>` around the byte spans (merged where they overlap).
fn highlight(text: &str, mut spans: Vec<(usize, usize)>) -> String {
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for (from, to) in spans {
        if to <= at || !text.is_char_boundary(from) || !text.is_char_boundary(to) {
            continue;
        }
        let from = from.max(at);
        out.push_str(&escape_html(&text[at..from]));
        out.push_str("<b>");
        out.push_str(&escape_html(&text[from..to]));
        out.push_str("</b>");
        at = to;
    }
    out.push_str(&escape_html(&text[at..]));
    out
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn segments_json(segments: &[crate::formats::Segment]) -> String {
    // `Segment` serialises to the fields `segments_from_json` reads.
    serde_json::to_string(segments).unwrap_or_else(|_| "[]".to_owned())
}

fn segments_from_json(json: &str) -> Vec<crate::formats::Segment> {
    let values: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    values
        .iter()
        .map(|v| crate::formats::Segment {
            text: v["text"].as_str().unwrap_or_default().to_owned(),
            line: v["line"].as_u64().map(|n| n as u32),
            start_ms: v["start_ms"].as_u64(),
            end_ms: v["end_ms"].as_u64(),
            speaker: v["speaker"].as_str().map(str::to_owned),
            sent: v["sent"].as_str().map(str::to_owned),
        })
        .collect()
}

/// Facet counts over a set of documents' metadata.
fn facets_of(metas: &[DocMeta]) -> Facets {
    fn count<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<FacetCount> {
        let mut counts: std::collections::BTreeMap<&str, u64> = Default::default();
        for v in values.flatten() {
            *counts.entry(v).or_default() += 1;
        }
        let mut out: Vec<FacetCount> = counts
            .into_iter()
            .map(|(value, count)| FacetCount {
                value: value.to_owned(),
                count,
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
        out
    }
    Facets {
        languages: count(metas.iter().map(|m| m.language.as_deref())),
        forces: count(metas.iter().map(|m| Some(m.force.as_str()))),
        operations: count(metas.iter().map(|m| m.operation.as_deref())),
        source_types: count(metas.iter().map(|m| Some(m.source_type.as_str()))),
    }
}

fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    let terms = values
        .iter()
        .map(|v| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ));
            (Occur::Should, q)
        })
        .collect();
    Box::new(BooleanQuery::new(terms))
}

fn mentions_of(doc: &TantivyDocument, field: Field) -> Vec<Mention> {
    first_str(doc, field)
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// Up to 60 characters either side of `[start, end)`, HTML-escaped, the mention in `<b>`.
/// The first characters of a stored text, HTML-escaped: the snippet of a side the query
/// did not match.
fn opening(doc: &TantivyDocument, field: Field) -> Option<String> {
    first_str(doc, field).map(|t| escape_html(&t.chars().take(SNIPPET_OPENING).collect::<String>()))
}

fn mention_snippet(text: &str, start: u32, end: u32) -> String {
    let chars: Vec<char> = text.chars().collect();
    let (start, end) = (start as usize, (end as usize).min(chars.len()));
    let from = start.saturating_sub(60);
    let to = (end + 60).min(chars.len());
    let part = |a: usize, b: usize| html_escape(&chars[a.min(b)..b].iter().collect::<String>());
    format!(
        "{}{}<b>{}</b>{}{}",
        if from > 0 { "…" } else { "" },
        part(from, start),
        part(start, end),
        part(end, to),
        if to < chars.len() { "…" } else { "" }
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn first_str(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(force: &str, text: &str) -> NewDocument {
        NewDocument {
            title: "interview".to_owned(),
            text: text.to_owned(),
            language: Some("en".to_owned()),
            translation: None,
            force: force.to_owned(),
            operation: Some("op-test".to_owned()),
            source_type: "text".to_owned(),
            segments: Vec::new(),
            mentions: Vec::new(),
            translation_meta: None,
            correction: None,
        }
    }

    fn request(query: &str) -> SearchRequest {
        SearchRequest {
            query: query.to_owned(),
            limit: 10,
            ..SearchRequest::default()
        }
    }

    #[test]
    fn translation_candidates_and_a_translation_added_later_keeps_the_ingest_time() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        let arabic = |text: &str, language: Option<&str>| NewDocument {
            language: language.map(str::to_owned),
            ..doc("WYP", text)
        };
        let ids = index
            .add_documents(&[
                arabic("السيارة بالكراج يم الشقة", Some("ar")),
                arabic("English already", Some("en")),
                arabic("Bonjour, la voiture est au garage", None),
                NewDocument {
                    force: "GMP".into(),
                    ..arabic("الشقة", Some("ar"))
                },
            ])
            .unwrap();
        let selection = |language: Option<&str>, retranslate| TranslationSelection {
            force: "WYP".into(),
            operation: Some("op-test".into()),
            language: language.map(str::to_owned),
            ids: Vec::new(),
            retranslate,
        };
        let found = index
            .translation_candidates(&selection(None, false), 10)
            .unwrap();
        let found: Vec<&str> = found.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            found,
            [ids[0].as_str(), ids[2].as_str()],
            "not English, WYP only"
        );
        let ar = index
            .translation_candidates(&selection(Some("ar"), false), 10)
            .unwrap();
        assert_eq!(ar.len(), 1);
        assert_eq!(ar[0].bytes, "السيارة بالكراج يم الشقة".len() as u64);
        assert_eq!(
            index
                .translation_candidates(&selection(None, false), 1)
                .unwrap()
                .len(),
            1,
            "the limit holds"
        );
        let other_op = TranslationSelection {
            operation: Some("elsewhere".into()),
            ..selection(None, false)
        };
        assert!(
            index
                .translation_candidates(&other_op, 10)
                .unwrap()
                .is_empty()
        );

        // Translated later: same id, first ingest time kept, out of the next selection
        // unless asked to translate again.
        let first = index.get(&ids[0], &[]).unwrap().unwrap().ingested_at;
        std::thread::sleep(std::time::Duration::from_millis(5));
        let translated = NewDocument {
            translation: Some("The car is in the garage by the flat".into()),
            ..arabic("السيارة بالكراج يم الشقة", Some("ar"))
        };
        assert_eq!(index.add_documents(&[translated]).unwrap()[0], ids[0]);
        let stored = index.get(&ids[0], &[]).unwrap().unwrap();
        assert_eq!(stored.ingested_at, first);
        assert!(stored.translation.is_some());
        assert_eq!(index.num_docs(), 4);
        assert!(
            index
                .translation_candidates(&selection(Some("ar"), false), 10)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            index
                .translation_candidates(&selection(Some("ar"), true), 10)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(index.search(&request("garage")).unwrap().total, 2);
    }

    #[test]
    fn date_filters_and_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        index
            .add_documents(&[doc("WYP", "first garage note")])
            .unwrap();
        index
            .add_documents(&[doc("WYP", "second garage note")])
            .unwrap();
        let hour = chrono::Duration::hours(1);
        let window = |from, to| SearchRequest {
            from,
            to,
            ..request("garage")
        };
        assert_eq!(
            index
                .search(&window(Some(Utc::now() - hour), Some(Utc::now() + hour)))
                .unwrap()
                .total,
            2
        );
        assert_eq!(
            index
                .search(&window(Some(Utc::now() + hour), None))
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            index
                .search(&window(None, Some(Utc::now() - hour)))
                .unwrap()
                .total,
            0
        );
        let newest = index
            .search(&SearchRequest {
                sort: SearchSort::Newest,
                ..request("garage")
            })
            .unwrap();
        assert_eq!(newest.hits.len(), 2);
    }

    #[test]
    fn finds_what_was_added_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let id = {
            let index = SearchIndex::open_or_create(dir.path()).unwrap();
            index
                .add_documents(&[doc(
                    "WYP",
                    "The van was parked outside the takeaway on Leeds Road.",
                )])
                .unwrap()
                .remove(0)
        };
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        let results = index.search(&request("takeaway")).unwrap();
        assert_eq!(results.total, 1);
        assert_eq!(results.hits[0].id, id);
        assert!(
            results.hits[0].snippet.contains("<b>takeaway</b>"),
            "{}",
            results.hits[0].snippet
        );
        assert_eq!(index.get(&id, &[]).unwrap().unwrap().force, "WYP");
        // Another force's caller finds nothing by id.
        assert!(index.get(&id, &["GMP".to_owned()]).unwrap().is_none());
        assert!(index.get(&id, &["WYP".to_owned()]).unwrap().is_some());
    }

    #[test]
    fn adding_the_same_content_twice_keeps_one_document() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        let d = doc("WYP", "meet at the station at nine");
        let a = index.add_documents(std::slice::from_ref(&d)).unwrap();
        let b = index.add_documents(&[d]).unwrap();
        assert_eq!(a, b);
        assert_eq!(index.num_docs(), 1);
    }

    #[test]
    fn force_filter_is_applied_inside_the_query() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        index
            .add_documents(&[
                doc("WYP", "blue vauxhall corsa"),
                doc("GMP", "blue vauxhall astra"),
            ])
            .unwrap();
        let mut req = request("vauxhall");
        req.forces = vec!["GMP".to_owned()];
        let results = index.search(&req).unwrap();
        assert_eq!(results.total, 1);
        assert_eq!(results.hits[0].force, "GMP");
        assert_eq!(
            results.facets.forces,
            vec![FacetCount {
                value: "GMP".into(),
                count: 1
            }]
        );

        let all = index.search(&request("vauxhall")).unwrap();
        let mut forces = all.facets.forces.clone();
        forces.sort_by(|a, b| a.value.cmp(&b.value));
        assert_eq!(
            forces
                .iter()
                .map(|f| (f.value.as_str(), f.count))
                .collect::<Vec<_>>(),
            vec![("GMP", 1), ("WYP", 1)]
        );
        assert_eq!(
            all.facets.languages,
            vec![FacetCount {
                value: "en".into(),
                count: 2
            }]
        );
        assert_eq!(all.facets.operations[0].count, 2);
    }

    #[test]
    fn a_bad_query_reports_where() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        let err = index.search(&request("title:(unclosed")).unwrap_err();
        match err {
            IndexError::BadQuery { position, .. } => assert!(position.is_some()),
            other => panic!("expected BadQuery, got {other}"),
        }
        let err = index.search(&request("nosuchfield:abc")).unwrap_err();
        assert!(matches!(err, IndexError::BadQuery { .. }), "{err}");
        // Found by cargo fuzz (query_syntax): existence clauses on no field, or on a
        // field that is not a fast field, were index failures instead of bad queries.
        for q in ["opa\u{13}tio\0in:* v\"v\"O", "nosuchfield:*", "text:*"] {
            let err = index.search(&request(q)).unwrap_err();
            assert!(matches!(err, IndexError::BadQuery { .. }), "{q:?}: {err}");
        }
    }

    #[test]
    fn arabizi_finds_arabic_and_hits_name_their_segments_and_times() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        let seg = |text: &str, start: u64, speaker: &str| crate::formats::Segment {
            text: text.to_owned(),
            start_ms: Some(start),
            end_ms: Some(start + 4_000),
            speaker: Some(speaker.to_owned()),
            ..Default::default()
        };
        let segments = vec![
            seg("مرحبا كيف الحال", 0, "A"),
            seg("خالد راح يجيب السيارة بكرة", 4_000, "B"),
            seg("ماشي حبيبي", 8_000, "A"),
        ];
        let mut call = doc("WYP", "");
        call.text = segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        call.language = Some("ar".to_owned());
        call.source_type = "transcript".to_owned();
        call.segments = segments;
        let mut chat = doc("WYP", "wen enta? 5aled ma3 el sayyara");
        chat.language = None;
        index
            .add_documents(&[call, chat, doc("WYP", "Khaled Hosseini wrote a novel")])
            .unwrap();
        // Arabizi query, Arabic-script call: the skeleton field matches, and the hit says
        // which segment, when, and who.
        let r = index.search(&request("5aled sayyara")).unwrap();
        assert_eq!(r.total, 2, "the Arabic call and the Arabizi chat");
        let call_hit = r
            .hits
            .iter()
            .find(|h| h.source_type == "transcript")
            .unwrap();
        assert_eq!(call_hit.segments.len(), 1, "{:?}", call_hit.segments);
        let m = &call_hit.segments[0];
        assert_eq!(
            (m.index, m.start_ms, m.end_ms),
            (1, Some(4_000), Some(8_000))
        );
        assert_eq!(m.speaker.as_deref(), Some("B"));
        assert!(m.highlighted.contains("<b>خالد</b>"), "{}", m.highlighted);
        assert!(
            m.highlighted.contains("<b>السيارة</b>"),
            "{}",
            m.highlighted
        );
        // Arabic query finds the Arabizi chat too; English originals are not skeletonised.
        let r = index.search(&request("خالد")).unwrap();
        assert_eq!(r.total, 2);
        assert!(r.hits.iter().all(|h| !h.snippet.contains("Hosseini")));
        // An exact word match ranks above a skeleton-only match.
        let r = index.search(&request("7abibi OR حبيبي")).unwrap();
        assert_eq!(r.hits[0].source_type, "transcript");
        assert_eq!(r.hits[0].segments[0].index, 2);
    }

    #[test]
    fn arabic_originals_match_whatever_the_spelling_and_english_is_stemmed() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        let mut ar = doc("WYP", "شفت السيارة عند الكراج ورقمي ٠٧٧٠٠٩٠٠١٢٣");
        ar.language = Some("ar".to_owned());
        ar.translation =
            Some("I saw the car at the garage and my number is 07700900123".to_owned());
        index
            .add_documents(&[ar, doc("WYP", "He was meeting girls near the parks")])
            .unwrap();
        for q in [
            "سيارته",
            "السياره",
            "الكراج",
            "07700900123",
            "garages",
            "\"the car\"",
        ] {
            let r = index.search(&request(q)).unwrap();
            assert_eq!(r.total, 1, "{q}");
        }
        let r = index.search(&request("سيارة")).unwrap();
        assert!(
            r.hits[0].snippet.contains("<b>السيارة</b>"),
            "{}",
            r.hits[0].snippet
        );
        assert_eq!(
            index.search(&request("meet park")).unwrap().total,
            1,
            "English originals are stemmed"
        );
        // Matched in the translation only: the original still shows, side by side.
        let r = index.search(&request("garage")).unwrap();
        assert_eq!(
            r.hits[0].snippet,
            "شفت السيارة عند الكراج ورقمي ٠٧٧٠٠٩٠٠١٢٣"
        );
        assert!(
            r.hits[0]
                .translation_snippet
                .as_deref()
                .is_some_and(|t| t.contains("<b>garage</b>")),
            "{:?}",
            r.hits[0].translation_snippet
        );
        // Matched in the original only: the translation's opening shows.
        let r = index.search(&request("الكراج")).unwrap();
        assert!(
            r.hits[0]
                .translation_snippet
                .as_deref()
                .is_some_and(|t| t.starts_with("I saw the car")),
            "{:?}",
            r.hits[0].translation_snippet
        );
    }

    #[test]
    fn more_like_this_finds_the_related_document_not_itself() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        let ids = index
            .add_documents(&[
                doc(
                    "WYP",
                    "the silver astra was parked behind the kebab shop on manningham lane",
                ),
                doc(
                    "WYP",
                    "a silver astra parked near manningham lane kebab shop again tonight",
                ),
                doc(
                    "WYP",
                    "school attendance officer visited the family on tuesday",
                ),
            ])
            .unwrap();
        let hits = index.more_like_this(&ids[0], &[], 10).unwrap().unwrap();
        assert_eq!(hits[0].id, ids[1]);
        assert!(hits.iter().all(|h| h.id != ids[0]));
        assert!(
            index
                .more_like_this("doc-missing", &[], 10)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn empty_and_oversized_documents_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        assert!(matches!(
            index.add_documents(&[doc("WYP", "   ")]),
            Err(IndexError::InvalidDocument(_))
        ));
        assert_eq!(index.num_docs(), 0);
    }
}
