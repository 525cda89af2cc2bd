//! BM25 statistics drawn only from the documents a scope may see. tantivy's own come from
//! the whole index, so a score would tell a caller whether another force's documents hold
//! a term; these count documents, term frequencies and field lengths within the scope.

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::query::{Bm25StatisticsProvider, EnableScoring};
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocId, DocSet, Searcher, TERMINATED};

use super::*;

/// The scope's documents per segment, and the statistics asked of them so far.
pub(super) struct ScopedStatistics<'s> {
    searcher: &'s Searcher,
    /// Per segment (in the searcher's order), the live documents inside the scope: in
    /// order, and as a set.
    docs: Vec<(Vec<DocId>, BitSet)>,
    total_docs: u64,
    tokens: Mutex<HashMap<Field, u64>>,
}

impl<'s> ScopedStatistics<'s> {
    /// The live documents of `searcher` inside `scope`.
    pub(super) fn new(
        searcher: &'s Searcher,
        fields: &Fields,
        scope: &Scope,
    ) -> tantivy::Result<Self> {
        let query = BooleanQuery::new(scope_clauses(fields, scope));
        let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut docs = Vec::with_capacity(searcher.segment_readers().len());
        let mut total_docs = 0u64;
        for segment in searcher.segment_readers() {
            let mut ids = Vec::new();
            let mut set = BitSet::with_max_value(segment.max_doc());
            let mut scorer = weight.scorer(segment, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc) {
                    ids.push(doc);
                    set.insert(doc);
                }
                doc = scorer.advance();
            }
            total_docs += ids.len() as u64;
            docs.push((ids, set));
        }
        Ok(Self {
            searcher,
            docs,
            total_docs,
            tokens: Mutex::new(HashMap::new()),
        })
    }
}

impl Bm25StatisticsProvider for ScopedStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(&n) = self.tokens.lock().expect("statistics lock").get(&field) {
            return Ok(n);
        }
        let mut n = 0u64;
        for (segment, (ids, _)) in self.searcher.segment_readers().iter().zip(&self.docs) {
            let norms = segment.get_fieldnorms_reader(field)?;
            n += ids
                .iter()
                .map(|&d| u64::from(norms.fieldnorm(d)))
                .sum::<u64>();
        }
        self.tokens
            .lock()
            .expect("statistics lock")
            .insert(field, n);
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        // BM25 divides by it: an empty scope is scored as if it held one document.
        Ok(self.total_docs.max(1))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let mut n = 0u64;
        for (segment, (_, set)) in self.searcher.segment_readers().iter().zip(&self.docs) {
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
        Ok(n.min(self.total_num_docs()?))
    }
}
