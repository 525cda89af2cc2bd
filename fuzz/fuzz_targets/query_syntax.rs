//! The search query syntax: any string either runs against a real index (Arabic,
//! English and Arabizi documents with segments, so highlighting and segment matching
//! run too) or is refused as `BadQuery` with a position inside the query. Never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use toex_indexer::{IndexError, NewDocument, SearchIndex, SearchRequest};

struct Fixture {
    index: SearchIndex,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = SearchIndex::open_or_create(&dir.path().join("index")).expect("index");
        let files: [(&str, &str); 3] = [
            (
                "chat.txt",
                "12/03/2024, 21:15 - Abu Ali: السيارة في الكراج قرب المدرسة\n\
                 12/03/2024, 21:16 - 7abibi: wen el sayara? call 07700 900123\n",
            ),
            (
                "interview.srt",
                "1\n00:00:01,000 --> 00:00:04,000\nI met him at the garage on Kirkstall Road.\n\n\
                 2\n00:00:05,000 --> 00:00:07,500\nHe drove a silver Ford, plate AB12 CDE.\n",
            ),
            (
                "note.txt",
                "مُحَمَّد قال إن الفتاة غادرت المنزل\nMohammed said the girl left home\n",
            ),
        ];
        let docs: Vec<NewDocument> = files
            .iter()
            .map(|(name, body)| {
                let parsed = toex_formats::parse(name, body.as_bytes()).expect("fixture parses");
                NewDocument {
                    title: (*name).to_owned(),
                    text: parsed.text(),
                    language: toex_extract::detect_language(&parsed.text()),
                    translation: None,
                    force: "WYP".to_owned(),
                    operation: Some("Operation Fuzz".to_owned()),
                    source_type: parsed.source_type.to_owned(),
                    segments: parsed.segments,
                    mentions: Vec::new(),
                    translation_meta: None,
                    correction: None,
                    provenance: None,
                }
            })
            .collect();
        index.add_documents(&docs).expect("fixture indexes");
        Fixture { index, _dir: dir }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let scope = toex_indexer::Scope::new(&["WYP".to_owned()], &[], false).unwrap();
    let request = SearchRequest::new(query, scope);
    match fixture().index.search(&request) {
        Ok(results) => assert!(results.hits.len() <= 10),
        Err(IndexError::BadQuery { position, .. }) => {
            if let Some(p) = position {
                assert!(
                    p <= query.len(),
                    "position {p} outside a {}-byte query",
                    query.len()
                );
            }
        }
        Err(other) => panic!("a query string caused a non-syntax error: {other}"),
    }
});
