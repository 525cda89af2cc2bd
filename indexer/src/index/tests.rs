use super::*;

pub(super) fn doc(force: &str, text: &str) -> NewDocument {
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
        provenance: None,
    }
}

/// Every force the tests write.
/// The matched pieces of an excerpt.
pub(super) fn marked(e: &Excerpt) -> Vec<&str> {
    e.pieces().filter(|(_, m)| *m).map(|(p, _)| p).collect()
}

pub(super) fn any() -> Scope {
    Scope::new(&["WYP".to_owned(), "GMP".to_owned()], &[], true).unwrap()
}

pub(super) fn request(query: &str) -> SearchRequest {
    SearchRequest::new(query, any())
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
    let first = index.get(&ids[0], &any()).unwrap().unwrap().ingested_at;
    std::thread::sleep(std::time::Duration::from_millis(5));
    let translated = NewDocument {
        translation: Some("The car is in the garage by the flat".into()),
        ..arabic("السيارة بالكراج يم الشقة", Some("ar"))
    };
    assert_eq!(index.add_documents(&[translated]).unwrap()[0], ids[0]);
    let stored = index.get(&ids[0], &any()).unwrap().unwrap();
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
        marked(&results.hits[0].snippet).contains(&"takeaway"),
        "{:?}",
        results.hits[0].snippet
    );
    assert_eq!(index.get(&id, &any()).unwrap().unwrap().force, "WYP");
    // Another force's caller finds nothing by id.
    assert!(
        index
            .get(&id, &any().narrow_forces(&["GMP".to_owned()]).unwrap())
            .unwrap()
            .is_none()
    );
    assert!(
        index
            .get(&id, &any().narrow_forces(&["WYP".to_owned()]).unwrap())
            .unwrap()
            .is_some()
    );
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
    req.scope = any().narrow_forces(&["GMP".to_owned()]).unwrap();
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
    let seg = |text: &str, start: u64, speaker: &str| toex_formats::Segment {
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
    assert!(marked(&m.text).contains(&"خالد"), "{:?}", m.text);
    assert!(marked(&m.text).contains(&"السيارة"), "{:?}", m.text);
    // Arabic query finds the Arabizi chat too; English originals are not skeletonised.
    let r = index.search(&request("خالد")).unwrap();
    assert_eq!(r.total, 2);
    assert!(r.hits.iter().all(|h| !h.snippet.text.contains("Hosseini")));
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
    ar.translation = Some("I saw the car at the garage and my number is 07700900123".to_owned());
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
        marked(&r.hits[0].snippet).contains(&"السيارة"),
        "{:?}",
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
        Excerpt::whole("شفت السيارة عند الكراج ورقمي ٠٧٧٠٠٩٠٠١٢٣")
    );
    assert!(
        r.hits[0]
            .translation_snippet
            .as_ref()
            .is_some_and(|t| marked(t).contains(&"garage")),
        "{:?}",
        r.hits[0].translation_snippet
    );
    // Matched in the original only: the translation's opening shows.
    let r = index.search(&request("الكراج")).unwrap();
    assert!(
        r.hits[0]
            .translation_snippet
            .as_ref()
            .is_some_and(|t| t.text.starts_with("I saw the car")),
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
    let hits = index.more_like_this(&ids[0], &any(), 10).unwrap().unwrap();
    assert_eq!(hits[0].id, ids[1]);
    assert!(hits.iter().all(|h| h.id != ids[0]));
    assert!(
        index
            .more_like_this("doc-missing", &any(), 10)
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

#[test]
fn a_confined_scope_sees_only_its_operations_in_every_read() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    let in_op = |op: &str, text: &str| {
        let mut d = NewDocument {
            operation: Some(op.to_owned()),
            ..doc("WYP", text)
        };
        d.extract_mentions(None);
        d
    };
    let ids = index
        .add_documents(&[
            in_op("op-a", "grey transit van +447700900123"),
            in_op("op-b", "grey transit van +447700900123 again"),
        ])
        .unwrap();
    let confined = any().narrow_operations(&["op-a".to_owned()]).unwrap();
    let found = index
        .search(&SearchRequest::new("transit", confined.clone()))
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.hits[0].id, ids[0]);
    assert_eq!(found.facets.operations.len(), 1, "{:?}", found.facets);
    assert!(index.get(&ids[1], &confined).unwrap().is_none());
    assert!(index.get(&ids[0], &confined).unwrap().is_some());
    let like = index
        .more_like_this(&ids[0], &confined, 10)
        .unwrap()
        .unwrap();
    assert!(like.is_empty(), "the other operation's twin is not offered");
    assert!(
        index
            .more_like_this(&ids[1], &confined, 10)
            .unwrap()
            .is_none()
    );
    let key = toex_extract::EntityKind::Phone.key("+447700900123");
    let mentions = index.mentioning(&key, &confined, 10).unwrap();
    assert!(
        !mentions.is_empty() && mentions.iter().all(|m| m.id == ids[0]),
        "{mentions:?}"
    );
    let refused = index.correct_translation(&ids[1], &confined, "x", "analyst");
    assert!(
        refused.unwrap().is_none(),
        "nothing outside the scope is written"
    );
}

// Regression: BM25 statistics came from the whole index, so a score revealed whether
// another force's documents held a term.
#[test]
fn a_score_does_not_change_when_another_force_adds_documents() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    index
        .add_documents(&[
            doc("WYP", "the courier left the parcel at the garage"),
            doc("WYP", "nothing about vehicles here at all"),
            doc("WYP", "a second note that mentions the flat"),
        ])
        .unwrap();
    let wyp = any().narrow_forces(&["WYP".to_owned()]).unwrap();
    let score = |q: &str| {
        index
            .search(&SearchRequest::new(q, wyp.clone()))
            .unwrap()
            .hits[0]
            .score
    };
    let (garage, parcel) = (score("garage"), score("courier parcel"));
    let theirs: Vec<NewDocument> = (0..40)
        .map(|i| {
            doc(
                "GMP",
                &format!("garage garage report {i} with a parcel and a courier"),
            )
        })
        .collect();
    index.add_documents(&theirs).unwrap();
    assert_eq!(
        score("garage"),
        garage,
        "another force's documents moved the score"
    );
    assert_eq!(score("courier parcel"), parcel);
    // Statistics over both forces (what every caller got before) do move it.
    let both = SearchRequest {
        limit: 100,
        ..SearchRequest::new("garage", any())
    };
    let all = index.search(&both).unwrap();
    let ours = all.hits.iter().find(|h| h.force == "WYP").unwrap();
    assert_ne!(ours.score, garage);
}
