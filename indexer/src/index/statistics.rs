//! The documents a scope may see, per searcher: as BM25 statistics (tantivy's own come from
//! the whole index, so a score would tell a caller whether another force's documents
//! hold a term; these count documents, term frequencies and field lengths within the
//! scope) and as the query clause that confines a search to them without ranking it.
//! Worked out once per scope and searcher, and remembered until the next commit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::query::{
    BitSetDocSet, Bm25StatisticsProvider, ConstScorer, EnableScoring, Explanation, Scorer, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocId, DocSet, Searcher, SegmentReader, TERMINATED};

use super::*;

/// Terms whose document frequency one scope remembers before it starts again.
const MAX_REMEMBERED_TERMS: usize = 8_192;

/// The live documents of one searcher inside one scope, and the statistics asked of them.
pub(super) struct ScopeDocs {
    /// Per segment, in the searcher's order.
    segments: Vec<(SegmentId, BitSet)>,
    total_docs: u64,
    tokens: Mutex<HashMap<Field, u64>>,
    doc_freqs: Mutex<HashMap<Term, u64>>,
}

impl ScopeDocs {
    /// The live documents of `searcher` inside `scope`.
    pub(super) fn new(
        searcher: &Searcher,
        fields: &Fields,
        scope: &Scope,
    ) -> tantivy::Result<Self> {
        let query = BooleanQuery::new(scope_clauses(fields, scope));
        let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        let mut total_docs = 0u64;
        for segment in searcher.segment_readers() {
            let mut set = BitSet::with_max_value(segment.max_doc());
            let mut scorer = weight.scorer(segment, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc) {
                    set.insert(doc);
                    total_docs += 1;
                }
                doc = scorer.advance();
            }
            segments.push((segment.segment_id(), set));
        }
        Ok(Self {
            segments,
            total_docs,
            tokens: Mutex::new(HashMap::new()),
            doc_freqs: Mutex::new(HashMap::new()),
        })
    }

    fn of_segment(&self, segment: &SegmentReader) -> tantivy::Result<&BitSet> {
        let id = segment.segment_id();
        self.segments
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, set)| set)
            .ok_or_else(|| {
                tantivy::TantivyError::InternalError(format!(
                    "segment {id:?} is not the scope's searcher's"
                ))
            })
    }
}

/// The scope's documents as a clause: it matches them and adds nothing to a score, so a
/// document's force or operation never moves its rank.
#[derive(Clone)]
pub(super) struct ScopeFilter(pub(super) Arc<ScopeDocs>);

impl std::fmt::Debug for ScopeFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScopeFilter({} documents)", self.0.total_docs)
    }
}

impl Query for ScopeFilter {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for ScopeFilter {
    fn scorer(&self, reader: &SegmentReader, _boost: f32) -> tantivy::Result<Box<dyn Scorer>> {
        let set = self.0.of_segment(reader)?.clone();
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(set), 0.0)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.0.of_segment(reader)?.contains(doc) {
            Ok(Explanation::new("inside the scope", 0.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is outside the scope"
            )))
        }
    }
}

/// BM25 statistics over a scope's documents in `searcher`.
pub(super) struct ScopedStatistics<'s> {
    searcher: &'s Searcher,
    docs: &'s ScopeDocs,
}

impl<'s> ScopedStatistics<'s> {
    /// `docs` must have been worked out from `searcher`.
    pub(super) fn new(searcher: &'s Searcher, docs: &'s ScopeDocs) -> Self {
        Self { searcher, docs }
    }
}

impl Bm25StatisticsProvider for ScopedStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(&n) = self
            .docs
            .tokens
            .lock()
            .expect("statistics lock")
            .get(&field)
        {
            return Ok(n);
        }
        let mut n = 0u64;
        for segment in self.searcher.segment_readers() {
            let set = self.docs.of_segment(segment)?;
            let norms = segment.get_fieldnorms_reader(field)?;
            n += (0..segment.max_doc())
                .filter(|&d| set.contains(d))
                .map(|d| u64::from(norms.fieldnorm(d)))
                .sum::<u64>();
        }
        self.docs
            .tokens
            .lock()
            .expect("statistics lock")
            .insert(field, n);
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        // BM25 divides by it: an empty scope is scored as if it held one document.
        Ok(self.docs.total_docs.max(1))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some(&n) = self
            .docs
            .doc_freqs
            .lock()
            .expect("statistics lock")
            .get(term)
        {
            return Ok(n);
        }
        let mut n = 0u64;
        for segment in self.searcher.segment_readers() {
            let set = self.docs.of_segment(segment)?;
            let index = segment.inverted_index(term.field())?;
            let Some(mut postings) = index.read_postings(term, IndexRecordOption::Basic)? else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                n += u64::from(set.contains(doc));
                doc = postings.advance();
            }
        }
        let n = n.min(self.total_num_docs()?);
        let mut remembered = self.docs.doc_freqs.lock().expect("statistics lock");
        if remembered.len() >= MAX_REMEMBERED_TERMS {
            remembered.clear();
        }
        remembered.insert(term.clone(), n);
        Ok(n)
    }
}

/// Scopes worked out for the newest searcher, by forces and operations.
#[derive(Default)]
pub(super) struct ScopeCache {
    inner: Mutex<Remembered>,
}

type ScopeKey = (Vec<String>, Option<Vec<String>>);

#[derive(Default)]
struct Remembered {
    generation: u64,
    scopes: HashMap<ScopeKey, Arc<ScopeDocs>>,
}

/// Scopes one searcher remembers (each a bit per document) before it starts again.
const MAX_REMEMBERED_SCOPES: usize = 64;

impl ScopeCache {
    /// `scope`'s documents in `searcher`: remembered when `searcher` is the newest seen.
    pub(super) fn get(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        scope: &Scope,
    ) -> tantivy::Result<Arc<ScopeDocs>> {
        let generation = searcher.generation().generation_id();
        let key: ScopeKey = (
            scope.forces().to_vec(),
            scope.operations().map(<[String]>::to_vec),
        );
        {
            let mut remembered = self.inner.lock().expect("scope cache lock");
            if generation > remembered.generation {
                *remembered = Remembered {
                    generation,
                    scopes: HashMap::new(),
                };
            }
            if generation == remembered.generation
                && let Some(docs) = remembered.scopes.get(&key)
            {
                return Ok(Arc::clone(docs));
            }
        }
        // Worked out outside the lock: other scopes' searches go on meanwhile.
        let docs = Arc::new(ScopeDocs::new(searcher, fields, scope)?);
        let mut remembered = self.inner.lock().expect("scope cache lock");
        if generation == remembered.generation {
            if remembered.scopes.len() >= MAX_REMEMBERED_SCOPES {
                remembered.scopes.clear();
            }
            remembered.scopes.insert(key, Arc::clone(&docs));
        }
        Ok(docs)
    }
}
