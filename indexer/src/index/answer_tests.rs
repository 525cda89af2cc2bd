//! A search's answer does not depend on what the caller leaves out or on the results
//! remembered: the same hits in the same order, fresh after every commit, never another
//! scope's.

use super::tests::{any, doc};
use super::*;

/// Chats in English and Iraqi Arabic, some translated, across two forces and two
/// operations, from a fixed seed.
pub(super) fn corpus() -> Vec<NewDocument> {
    const EN: [&str; 12] = [
        "meet at the garage",
        "the silver car is outside",
        "red van near the station",
        "money tomorrow at the hotel",
        "takeaway on the corner",
        "call the cousin",
        "party in bradford tonight",
        "white van at night",
        "the phone is off",
        "police came",
        "send 07700 900001 the address",
        "she is at the flat",
    ];
    const AR: [&str; 6] = [
        "السيارة بالكراج",
        "بكرة الفلوس",
        "حبيبي وينك",
        "الشقة يم المحطة",
        "التلفون مسدود",
        "جيب السيارة بكرة",
    ];
    let mut state = 0x2545_f491_u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    (0..120)
        .map(|i| {
            let arabic = i % 3 == 0;
            let lines: Vec<String> = (0..4 + next(6))
                .map(|_| {
                    if arabic {
                        AR[next(AR.len())].to_owned()
                    } else {
                        EN[next(EN.len())].to_owned()
                    }
                })
                .collect();
            let segments = lines
                .iter()
                .enumerate()
                .map(|(n, t)| toex_formats::Segment {
                    text: t.clone(),
                    line: Some(n as u32 + 1),
                    ..Default::default()
                })
                .collect();
            NewDocument {
                title: format!("chat-{i}"),
                language: Some(if arabic { "ar" } else { "en" }.to_owned()),
                translation: (arabic && i % 2 == 0)
                    .then(|| "the car is at the garage tomorrow".to_owned()),
                operation: Some(if i % 4 == 0 { "op-b" } else { "op-test" }.to_owned()),
                segments,
                ..doc(if i % 5 == 0 { "GMP" } else { "WYP" }, &lines.join("\n"))
            }
        })
        .collect()
}

pub(super) const QUERIES: [&str; 10] = [
    "garage",
    "silver car",
    "\"red van\"",
    "phone -police",
    "takeaway OR hotel",
    "bradford tonight",
    "السيارة",
    "بكرة",
    "07700 900001",
    "title:chat",
];

/// The ranking: ids and scores in order, and the total.
pub(super) fn ranking(r: &SearchResults) -> (usize, Vec<(String, u32)>) {
    (
        r.total,
        r.hits
            .iter()
            .map(|h| (h.id.clone(), h.score.to_bits()))
            .collect(),
    )
}

fn json(r: &SearchResults) -> String {
    serde_json::to_string(r).unwrap()
}

#[test]
fn answers_and_rankings_are_the_same_whatever_is_left_out_and_when_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    index.add_documents(&corpus()).unwrap();
    for q in QUERIES {
        let full = SearchRequest {
            limit: 20,
            ..SearchRequest::new(q, any())
        };
        // Computed, not remembered: the reference.
        let fresh = index.keyword_search(&full).unwrap();
        assert!(fresh.total > 0, "{q} matches nothing");
        let first = index.search(&full).unwrap();
        let again = index.search(&full).unwrap();
        assert_eq!(json(&first), json(&fresh), "{q}: first search");
        assert_eq!(json(&again), json(&fresh), "{q}: remembered");
        for want in [
            Wanted {
                facets: FacetsWanted::NONE,
                excerpts: false,
                segments: false,
            },
            Wanted {
                facets: FacetsWanted::ALL,
                excerpts: false,
                segments: false,
            },
            Wanted {
                facets: FacetsWanted {
                    forces: true,
                    ..FacetsWanted::NONE
                },
                excerpts: false,
                segments: false,
            },
            Wanted {
                facets: FacetsWanted::NONE,
                excerpts: true,
                segments: false,
            },
            Wanted {
                facets: FacetsWanted::NONE,
                excerpts: false,
                segments: true,
            },
        ] {
            let lean = index
                .search(&SearchRequest {
                    want,
                    ..full.clone()
                })
                .unwrap();
            assert_eq!(ranking(&lean), ranking(&fresh), "{q} {want:?}");
            // Each facet asked for as when all are; the others not counted.
            let (l, f) = (&lean.facets, &fresh.facets);
            for (asked, lean, fresh) in [
                (want.facets.languages, &l.languages, &f.languages),
                (want.facets.forces, &l.forces, &f.forces),
                (want.facets.operations, &l.operations, &f.operations),
                (want.facets.source_types, &l.source_types, &f.source_types),
            ] {
                let json = |v| serde_json::to_string(v).unwrap();
                if asked {
                    assert_eq!(json(lean), json(fresh), "{q}");
                } else {
                    assert!(lean.is_empty(), "{q}");
                }
            }
            for (l, f) in lean.hits.iter().zip(&fresh.hits) {
                assert_eq!(l.identifiers.len(), f.identifiers.len(), "{q}");
                if want.excerpts {
                    assert_eq!(l.snippet, f.snippet, "{q}");
                    assert_eq!(l.translation_snippet, f.translation_snippet, "{q}");
                    assert_eq!(l.translation_matched, f.translation_matched, "{q}");
                }
                if want.segments {
                    assert_eq!(l.segments, f.segments, "{q}");
                } else {
                    assert!(l.segments.is_empty());
                }
            }
        }
    }
}

#[test]
fn a_commit_is_seen_by_the_next_identical_search() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    index
        .add_documents(&[doc("WYP", "meet at the garage")])
        .unwrap();
    let req = SearchRequest::new("garage", any());
    assert_eq!(index.search(&req).unwrap().total, 1);
    assert_eq!(index.search(&req).unwrap().total, 1);
    index
        .add_documents(&[doc("WYP", "the garage again")])
        .unwrap();
    assert_eq!(index.search(&req).unwrap().total, 2);
}

#[test]
fn a_remembered_answer_is_never_given_to_another_scope() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    index.add_documents(&corpus()).unwrap();
    let scopes = [
        any(),
        Scope::new(&["WYP".to_owned()], &[], true).unwrap(),
        Scope::new(&["GMP".to_owned()], &[], true).unwrap(),
        Scope::new(
            &["WYP".to_owned(), "GMP".to_owned()],
            &["op-b".to_owned()],
            true,
        )
        .unwrap(),
        Scope::new(&["WYP".to_owned()], &["op-b".to_owned()], false).unwrap(),
    ];
    let mut answers = std::collections::BTreeSet::new();
    // Twice round, so every scope's second answer comes from what was remembered.
    for _ in 0..2 {
        for scope in &scopes {
            let req = SearchRequest {
                limit: 50,
                ..SearchRequest::new("garage OR السيارة", scope.clone())
            };
            let answer = index.search(&req).unwrap();
            assert_eq!(
                json(&answer),
                json(&index.keyword_search(&req).unwrap()),
                "{scope:?}"
            );
            for hit in &answer.hits {
                assert!(
                    scope.forces().contains(&hit.force),
                    "{scope:?}: {}",
                    hit.force
                );
            }
            answers.insert(json(&answer));
        }
    }
    assert_eq!(answers.len(), scopes.len(), "each scope has its own answer");
}

/// Facet counts as tantivy's terms aggregation makes them (the commonest first; ties in
/// alphabetical order, as the collector lists them).
fn aggregated(index: &SearchIndex, req: &SearchRequest) -> Facets {
    use tantivy::aggregation::agg_result::{AggregationResult, BucketResult};
    use tantivy::aggregation::{AggContextParams, AggregationCollector, Key};
    let request: serde_json::Map<String, serde_json::Value> = results::FACET_FIELDS
        .iter()
        .map(|f| {
            (
                (*f).to_owned(),
                serde_json::json!({ "terms": { "field": f, "size": 100 } }),
            )
        })
        .collect();
    let aggs = serde_json::from_value(serde_json::Value::Object(request)).unwrap();
    let collector = AggregationCollector::from_aggs(aggs, AggContextParams::default());
    let query = index.keyword_query(req, index.parse(&req.query).unwrap(), None);
    let results = index.reader.searcher().search(&query, &collector).unwrap();
    let counts = |name: &str| {
        let Some(AggregationResult::BucketResult(BucketResult::Terms { buckets, .. })) =
            results.0.get(name)
        else {
            return Vec::new();
        };
        let mut out: Vec<FacetCount> = buckets
            .iter()
            .filter_map(|b| match &b.key {
                Key::Str(value) => Some(FacetCount {
                    value: value.clone(),
                    count: b.doc_count,
                }),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        out
    };
    Facets {
        languages: counts("language"),
        forces: counts("force"),
        operations: counts("operation"),
        source_types: counts("source_type"),
    }
}

#[test]
fn facet_counts_are_those_of_the_terms_aggregation() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    // Two commits: two segments, each with its own dictionary.
    let corpus = corpus();
    index.add_documents(&corpus[..50]).unwrap();
    index.add_documents(&corpus[50..]).unwrap();
    for q in ["garage", "السيارة OR garage", "the", "phone -police"] {
        let req = SearchRequest::new(q, any());
        let counted = index.keyword_search(&req).unwrap().facets;
        let expected = aggregated(&index, &req);
        assert_eq!(
            serde_json::to_string(&counted).unwrap(),
            serde_json::to_string(&expected).unwrap(),
            "{q}"
        );
        assert!(!counted.forces.is_empty(), "{q}");
    }
}
