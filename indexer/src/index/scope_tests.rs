//! The scope filters, it does not rank: a document's force or operation never moves it,
//! and the scope's documents remembered per searcher rank as the scope's clauses would.

use super::answer_tests::{QUERIES, corpus, ranking};
use super::statistics::ScopeDocs;
use super::tests::{any, doc};
use super::*;

#[test]
fn a_documents_force_does_not_move_its_rank() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    // One small force and one large: the same words in each score the same.
    let mut docs = vec![doc("GMP", "the silver car at the garage")];
    docs.push(doc("WYP", "the silver car at the garage"));
    docs.extend((0..9).map(|i| doc("WYP", &format!("a note about the weather, day {i}"))));
    index.add_documents(&docs).unwrap();
    let r = index
        .keyword_search(&SearchRequest::new("silver car", any()))
        .unwrap();
    assert_eq!(r.hits.len(), 2);
    assert_eq!(r.hits[0].score, r.hits[1].score, "{:?}", r.hits);
}

/// Hits, total and facets as the plain query makes them: the scope's own clauses (not
/// scored), the scope's statistics worked out afresh.
fn reference(index: &SearchIndex, req: &SearchRequest) -> (usize, Vec<(String, u32)>) {
    let searcher = index.reader.searcher();
    let query = index.keyword_query(req, index.parse(&req.query).unwrap(), None);
    let (top, total) = searcher
        .search_with_statistics_provider(
            &query,
            &(
                TopDocs::with_limit(req.limit).order_by_score(),
                tantivy::collector::Count,
            ),
            &ScopedStatistics::new(
                &searcher,
                &ScopeDocs::new(&searcher, &index.fields, &req.scope).unwrap(),
            ),
        )
        .unwrap();
    let hits = top
        .into_iter()
        .map(|(score, addr)| {
            let doc: TantivyDocument = searcher.doc(addr).unwrap();
            (first_str(&doc, index.fields.id).unwrap(), score.to_bits())
        })
        .collect();
    (total, hits)
}

#[test]
fn rankings_are_those_of_the_scopes_clauses_in_every_scope_and_after_commits() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    let all = corpus();
    let scopes = [
        any(),
        Scope::new(&["WYP".to_owned()], &[], true).unwrap(),
        Scope::new(&["GMP".to_owned()], &["op-b".to_owned()], true).unwrap(),
        Scope::new(&["NYP".to_owned()], &[], true).unwrap(),
    ];
    // Three commits: the remembered scope documents of one searcher never serve the next.
    for part in all.chunks(all.len() / 3 + 1) {
        index.add_documents(part).unwrap();
        for scope in &scopes {
            for q in QUERIES {
                let req = SearchRequest {
                    limit: 20,
                    ..SearchRequest::new(q, scope.clone())
                };
                let ours = index.keyword_search(&req).unwrap();
                assert_eq!(ranking(&ours), reference(&index, &req), "{q} in {scope:?}");
            }
        }
    }
}

#[test]
fn the_passage_shown_is_chosen_by_the_scopes_documents_not_another_forces() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    // Two passages far apart: `alpha` is rare in WYP, `bravo` common there; GMP holds
    // `alpha` a hundred times over.
    let filler = "nothing to see here at all ".repeat(12);
    let mut docs = vec![doc(
        "WYP",
        &format!("the alpha meeting {filler} the bravo meeting"),
    )];
    docs.extend((0..5).map(|i| doc("WYP", &format!("bravo note {i}"))));
    docs.extend((0..100).map(|i| doc("GMP", &format!("alpha note {i}"))));
    index.add_documents(&docs).unwrap();
    let wyp = Scope::new(&["WYP".to_owned()], &[], true).unwrap();
    let r = index
        .keyword_search(&SearchRequest::new("alpha OR bravo", wyp))
        .unwrap();
    let hit = r
        .hits
        .iter()
        .find(|h| h.snippet.text.contains("meeting"))
        .unwrap();
    assert!(
        hit.snippet.text.contains("alpha") && !hit.snippet.text.contains("bravo"),
        "{:?}",
        hit.snippet
    );
}
