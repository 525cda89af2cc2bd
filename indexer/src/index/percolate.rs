//! Percolation: standing queries (saved searches) parsed once within their scope, and a
//! batch of new documents matched against all of them in a small in-memory index of the
//! batch alone, so each query's check costs microseconds whatever the size of the main
//! index, and only the queries that match are searched there in full.

use tantivy::directory::RamDirectory;

use super::write::searchable_fields;
use super::*;

/// A saved search parsed once, within the scope and filters it was saved with.
pub struct StandingQuery(BooleanQuery);

impl std::fmt::Debug for StandingQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StandingQuery")
    }
}

/// Memory for indexing one batch in memory (a batch is a few documents to a few
/// thousand; the writer grows past nothing it does not use).
const BATCH_HEAP_BYTES: usize = 32 * 1024 * 1024;

impl SearchIndex {
    /// Parses a saved search (its query, scope and filters; its document ids and dates
    /// are ignored) for [`SearchIndex::percolate`].
    pub fn standing_query(&self, req: &SearchRequest) -> Result<StandingQuery, IndexError> {
        let IdentifierQuery { query, .. } = self.parse_with_identifiers(&req.query)?;
        let req = SearchRequest {
            documents: Vec::new(),
            from: None,
            to: None,
            ..req.clone()
        };
        Ok(StandingQuery(self.keyword_query(&req, query, None)))
    }

    /// Which of `queries` match at least one of `docs` (as they would once indexed),
    /// by their positions in `queries`. The documents are indexed in memory on their own
    /// (only the fields a query can match); the main index is not touched.
    pub fn percolate(
        &self,
        docs: &[&NewDocument],
        queries: &[&StandingQuery],
    ) -> Result<Vec<usize>, IndexError> {
        if docs.is_empty() || queries.is_empty() {
            return Ok(Vec::new());
        }
        for doc in docs {
            doc.validate()?;
        }
        let f = self.fields;
        let mut writer = Index::builder()
            .schema(self.index.schema())
            .tokenizers(self.index.tokenizers().clone())
            .single_segment_index_writer::<TantivyDocument>(
                RamDirectory::create(),
                BATCH_HEAP_BYTES,
            )?;
        for doc in docs {
            let mut d = TantivyDocument::default();
            searchable_fields(&f, doc, &mut d);
            writer.add_document(d)?;
        }
        let batch = writer.finalize()?;
        let searcher = batch.reader()?.searcher();
        let mut matching = Vec::new();
        for (i, q) in queries.iter().enumerate() {
            if searcher.search(&q.0, &Count)? > 0 {
                matching.push(i);
            }
        }
        Ok(matching)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{any, doc};
    use super::*;

    #[test]
    fn percolation_agrees_with_searching_the_indexed_batch() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        // Older material that matches every query: percolation must not see it.
        index
            .add_documents(&[doc("WYP", "friday cash drop at the blue corsa, quillwort")])
            .unwrap();
        let mut arabic = doc("GMP", "محمد قال الفلوس يوم الجمعة");
        arabic.language = Some("ar".to_owned());
        let batch = vec![
            doc("WYP", "the cash is dropped on friday near the corsa"),
            doc("GMP", "blue astra seen at the services"),
            arabic,
        ];
        let wyp = any().narrow_forces(&["WYP".to_owned()]).unwrap();
        let queries = [
            ("\"friday cash\"", any()),
            ("cash AND friday", any()),
            (
                "cash AND friday",
                any().narrow_forces(&["GMP".to_owned()]).unwrap(),
            ),
            ("astra", wyp.clone()),
            ("astra", any()),
            ("quillwort", any()),
            ("mo7ammed", any()),
            ("corsa -cash", any()),
            ("drops", wyp),
        ];
        let standing: Vec<StandingQuery> = queries
            .iter()
            .map(|(q, scope)| {
                index
                    .standing_query(&SearchRequest::new(*q, scope.clone()))
                    .unwrap()
            })
            .collect();
        let refs: Vec<&NewDocument> = batch.iter().collect();
        let matching = index
            .percolate(&refs, &standing.iter().collect::<Vec<_>>())
            .unwrap();

        let ids = index.add_documents(&batch).unwrap();
        let expected: Vec<usize> = (queries.iter().enumerate())
            .filter(|(_, (q, scope))| {
                let req = SearchRequest {
                    documents: ids.clone(),
                    ..SearchRequest::new(*q, scope.clone())
                };
                index.search(&req).unwrap().total > 0
            })
            .map(|(i, _)| i)
            .collect();
        assert_eq!(matching, expected);
        // What the queries were written to show: phrase, scope, the batch alone, script.
        assert_eq!(matching, vec![1, 4, 6, 8], "{queries:?}");
    }
}
