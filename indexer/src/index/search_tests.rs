//! Search that keeps its bounds and knows identifiers: a file stored once wherever it
//! was found, identifiers typed any common way, and the depth and syntax limits.

use super::tests::{any, doc, marked, request};
use super::*;

#[test]
fn the_same_file_found_in_several_places_is_one_document_remembering_each() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    let file = |name: &str, container: &str| NewDocument {
        title: name.to_owned(),
        provenance: Some(Provenance {
            sha256: "5e1f".repeat(16),
            format: "PNG".to_owned(),
            parent: Some(Parent {
                name: container.to_owned(),
                path: format!("DCIM/{name}"),
                depth: 1,
                ..Parent::default()
            }),
            ..Provenance::default()
        }),
        ..doc("WYP", "Meet at the garage at nine")
    };
    // Twice in one batch, under two names.
    let added = index
        .add_documents_hashed(&[
            file("IMG_0001.png", "phone.zip"),
            file("copy.png", "laptop.zip"),
        ])
        .unwrap();
    assert_eq!(added[0].id, added[1].id);
    // In a later batch from a third place, then again from the first.
    index
        .add_documents_hashed(&[file("IMG_0001.png", "cloud.zip")])
        .unwrap();
    index
        .add_documents_hashed(&[file("IMG_0001.png", "phone.zip")])
        .unwrap();
    assert_eq!(index.num_docs(), 1);
    let stored = index.get(&added[0].id, &any()).unwrap().unwrap();
    let p = stored.provenance.unwrap();
    let here = (
        stored.title.as_str(),
        p.parent.as_ref().unwrap().name.as_str(),
    );
    assert_eq!(here, ("IMG_0001.png", "phone.zip"));
    let others: Vec<(&str, &str)> = p
        .also_found
        .iter()
        .map(|pl| (pl.name.as_str(), pl.parent.as_ref().unwrap().name.as_str()))
        .collect();
    assert_eq!(
        others,
        [("copy.png", "laptop.zip"), ("IMG_0001.png", "cloud.zip")]
    );
    // Text without a file keeps its identity by title.
    let a = index
        .add_documents_hashed(&[doc("WYP", "same words")])
        .unwrap();
    let b = index
        .add_documents_hashed(&[NewDocument {
            title: "another".to_owned(),
            ..doc("WYP", "same words")
        }])
        .unwrap();
    assert_ne!(a[0].id, b[0].id);
}

#[test]
fn an_identifier_typed_any_common_way_finds_every_document_holding_it() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    let chat = |force: &str, lines: &[&str]| {
        let mut d = chat_of(force, lines);
        d.extract_mentions(None);
        d
    };
    index
        .add_documents(&[
            chat(
                "WYP",
                &["ring me", "new number 07700 900001 dont give it out"],
            ),
            chat(
                "WYP",
                &["the van is YX19 ABC", "meet at BD1 4AS by the garage"],
            ),
            chat("GMP", &["GMP holds 07700 900001 too"]),
        ])
        .unwrap();
    let wyp = Scope::new(&["WYP".to_owned()], &[], false).unwrap();
    let search = |q: &str| index.search(&SearchRequest::new(q, wyp.clone())).unwrap();
    for q in [
        "07700900001",
        "+44 7700 900001",
        "+447700900001",
        "07700 900001",
        "(0)7700-900001",
    ] {
        let r = search(q);
        assert_eq!(r.total, 1, "{q}");
        assert_eq!(r.matched_as.len(), 1, "{q}");
        assert_eq!(r.matched_as[0].value, "+447700900001", "{q}");
        // The hit says why it matched, and when it came in.
        assert_eq!(r.hits[0].identifiers.len(), 1, "{q}");
        assert!(r.hits[0].ingested_at.is_some(), "{q}");
        // The line that holds it is marked where it was written.
        let seg = &r.hits[0].segments[0];
        assert_eq!(seg.index, 1, "{q}");
        assert_eq!(marked(&seg.text), ["07700 900001"], "{q}");
    }
    for q in ["YX19ABC", "yx19 abc", "BD14AS", "bd1 4as"] {
        let r = search(q);
        assert_eq!(r.total, 1, "{q}: {:?}", r.matched_as);
    }
    // The other words still count; another force's copy is never found.
    assert_eq!(search("07700900001 garage").total, 0);
    assert_eq!(search("07700900001 number").total, 1);
    // A query with no identifier is searched as before.
    let plain = search("garage");
    assert!(plain.matched_as.is_empty());
    assert!(plain.hits[0].identifiers.is_empty());
}

#[test]
fn a_page_beyond_the_search_depth_and_a_range_over_text_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    index.add_documents(&[doc("WYP", "garage")]).unwrap();
    let deep = SearchRequest {
        offset: 1_000_000_000,
        ..request("garage")
    };
    let err = index.search(&deep).unwrap_err();
    assert!(matches!(err, IndexError::TooLarge(_)), "{err}");
    let edge = SearchRequest {
        offset: MAX_SEARCH_DEPTH - 10,
        ..request("garage")
    };
    assert_eq!(index.search(&edge).unwrap().total, 1);
    for q in ["title:[a TO z]", "text:>garage", "garage {a TO b}"] {
        let err = index.search(&request(q)).unwrap_err();
        assert!(matches!(err, IndexError::BadQuery { .. }), "{q}: {err}");
    }
    assert_eq!(
        QuerySyntax::of("garage \"sophiesmi\"*"),
        QuerySyntax {
            prefix: true,
            range: false
        }
    );
    assert_eq!(
        QuerySyntax::of("\"garage door\"~2 -car"),
        QuerySyntax::default()
    );
}

#[test]
fn a_hit_leads_with_the_segment_holding_the_phrase_not_the_first_holding_a_word() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    // Seven lines with "cash" alone before the one that says "friday cash".
    let mut lines: Vec<String> = (0..7)
        .map(|i| format!("the cash was short again {i}"))
        .collect();
    lines.push("friday came and nobody paid".to_owned());
    lines.push("bring the friday cash to the garage".to_owned());
    lines.push("cash on friday they said".to_owned());
    let mut chat = doc("WYP", &lines.join("\n"));
    chat.segments = lines
        .iter()
        .enumerate()
        .map(|(i, t)| toex_formats::Segment {
            text: t.clone(),
            line: Some(i as u32 + 1),
            ..Default::default()
        })
        .collect();
    index.add_documents(&[chat]).unwrap();
    let hit = index
        .search(&request("friday cash"))
        .unwrap()
        .hits
        .remove(0);
    let order: Vec<usize> = hit.segments.iter().map(|s| s.index).collect();
    assert_eq!(
        order,
        [8, 9, 0, 1, 2],
        "both words side by side, then both apart, then one word in document order"
    );
    assert_eq!(marked(&hit.segments[0].text), ["friday", "cash"]);
}

#[test]
fn an_email_lists_the_files_found_in_it_within_the_callers_scope() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    let email = index
        .add_documents(&[doc(
            "WYP",
            "From: a@example.org\nSee the statement attached",
        )])
        .unwrap()
        .remove(0);
    let attached = |force: &str, text: &str, name: &str, to: &str| NewDocument {
        title: name.to_owned(),
        provenance: Some(Provenance {
            sha256: format!("{:0>64}", text.len()),
            format: "DOCX document".to_owned(),
            parent: Some(Parent {
                name: "message-001.eml".to_owned(),
                document: Some(to.to_owned()),
                path: name.to_owned(),
                depth: 1,
                ..Parent::default()
            }),
            ..Provenance::default()
        }),
        ..doc(force, text)
    };
    index
        .add_documents(&[
            attached("WYP", "Statement of Dana", "statement-dana.docx", &email),
            attached("GMP", "Not yours to see", "other.docx", &email),
        ])
        .unwrap();
    let wyp = Scope::new(&["WYP".to_owned()], &[], false).unwrap();
    let found = index.contents(&email, &wyp, 10).unwrap();
    let names: Vec<(&str, &str)> = found
        .iter()
        .map(|c| (c.title.as_str(), c.path.as_str()))
        .collect();
    assert_eq!(names, [("statement-dana.docx", "statement-dana.docx")]);
    // The same file attached to a second email is one document listed in both.
    let second = index
        .add_documents(&[doc("WYP", "Forwarding the statement again")])
        .unwrap()
        .remove(0);
    index
        .add_documents(&[attached("WYP", "Statement of Dana", "copy.docx", &second)])
        .unwrap();
    let in_second = index.contents(&second, &wyp, 10).unwrap();
    assert_eq!(in_second.len(), 1);
    assert_eq!(in_second[0].id, found[0].id);
    assert_eq!(in_second[0].path, "copy.docx");
    assert_eq!(index.contents(&email, &wyp, 10).unwrap().len(), 1);
}

#[test]
fn a_name_in_one_script_finds_the_messages_its_bearer_sent_in_another() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    let chat = |language: &str, lines: &[(&str, &str)]| {
        let mut d = doc("WYP", "");
        d.segments = lines
            .iter()
            .map(|(who, text)| toex_formats::Segment {
                text: (*text).to_owned(),
                speaker: Some((*who).to_owned()),
                ..Default::default()
            })
            .collect();
        d.text = lines.iter().map(|(_, t)| *t).collect::<Vec<_>>().join("\n");
        d.language = Some(language.to_owned());
        d.source_type = "chat".to_owned();
        d
    };
    index
        .add_documents(&[
            chat("ar", &[("علي", "زين"), ("محمد", "رقمي الجديد لا تنطيه لأحد")]),
            chat(
                "en",
                &[("Jay", "sound, at 11?"), ("Mohammed", "bring the car")],
            ),
            chat("en", &[("Jay", "nobody else here")]),
        ])
        .unwrap();
    for q in ["mo7ammed", "محمد", "Mohammed"] {
        let r = index.search(&request(q)).unwrap();
        assert_eq!(r.total, 2, "{q}: {:?}", r.hits);
        for hit in &r.hits {
            // The sender's message leads, though its text never names them.
            let first = &hit.segments[0];
            assert!(
                matches!(first.speaker.as_deref(), Some("محمد" | "Mohammed")),
                "{q}: {:?}",
                hit.segments
            );
        }
    }
    // The stored text is what was written, without the senders.
    let r = index.search(&request("bring")).unwrap();
    assert!(!r.hits[0].snippet.text.contains("Mohammed"));
}

#[test]
fn an_english_chat_is_not_marked_where_only_a_consonant_skeleton_matches() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    // "car" and "core" share the skeleton `kr`; an English chat is not indexed by
    // skeleton, so only the line that says "car" is a match.
    let chat = |language: &str, lines: &[&str]| NewDocument {
        language: Some(language.to_owned()),
        ..chat_of("WYP", lines)
    };
    index
        .add_documents(&[
            chat("en", &["the core of it", "the car is outside"]),
            chat("ar", &["kary 3ind el garage", "wen il sayyara"]),
        ])
        .unwrap();
    let hits = index.search(&request("car")).unwrap().hits;
    let english = hits
        .iter()
        .find(|h| h.language.as_deref() == Some("en"))
        .unwrap();
    let lines: Vec<usize> = english.segments.iter().map(|s| s.index).collect();
    assert_eq!(lines, [1], "{:?}", english.segments);
    assert_eq!(marked(&english.segments[0].text), ["car"]);
    // An Arabizi chat is indexed by skeleton: there `kary` is the match.
    let arabizi = hits
        .iter()
        .find(|h| h.language.as_deref() == Some("ar"))
        .unwrap();
    assert_eq!(marked(&arabizi.segments[0].text), ["kary"]);
}

/// A chat of `force`: one segment a line, numbered from 1.
fn chat_of(force: &str, lines: &[&str]) -> NewDocument {
    NewDocument {
        segments: lines
            .iter()
            .enumerate()
            .map(|(i, t)| toex_formats::Segment {
                text: (*t).to_owned(),
                line: Some(i as u32 + 1),
                ..Default::default()
            })
            .collect(),
        ..doc(force, &lines.join("\n"))
    }
}
