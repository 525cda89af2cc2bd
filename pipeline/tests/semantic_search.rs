//! Semantic and hybrid search with the real all-MiniLM-L6-v2 over a real index on disk:
//! a semantic hit that keyword search misses, filters inside the vector search, the
//! matching segment of a transcript, and vectors that survive reopening the index.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use toex_formats::Segment;
use toex_indexer::{
    DEFAULT_MIN_SIMILARITY, IndexError, NewDocument, SearchIndex, SearchMode, SearchRequest,
};
use toex_inference::embed::Embedder;
use toex_pipeline::models::MiniLm;

fn model_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.toex/models/all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "{} is missing: run scripts/fetch-models.sh (scripts/setup.sh does)",
        dir.display()
    );
    dir
}

fn doc(force: &str, title: &str, text: &str) -> NewDocument {
    NewDocument {
        title: title.to_owned(),
        text: text.to_owned(),
        language: Some("en".to_owned()),
        translation: None,
        force: force.to_owned(),
        operation: None,
        source_type: "text".to_owned(),
        segments: Vec::new(),
        mentions: Vec::new(),
        translation_meta: None,
        correction: None,
        provenance: None,
    }
}

fn request(q: &str, mode: SearchMode) -> SearchRequest {
    let scope = toex_indexer::Scope::new(&["WYP".to_owned(), "GMP".to_owned()], &[], true).unwrap();
    SearchRequest {
        mode,
        ..SearchRequest::new(q, scope)
    }
}

#[test]
fn semantic_search_finds_what_keywords_miss() {
    let dir = tempfile::tempdir().unwrap();
    let embedder: Arc<dyn toex_indexer::Embed> =
        Arc::new(MiniLm(Arc::new(Embedder::load(&model_dir()).unwrap())));
    let index = SearchIndex::open(dir.path(), Some(embedder.clone())).unwrap();
    let mut arabic = doc("WYP", "voice note", "هددني انه راح يقتلني اذا تركته");
    arabic.language = Some("ar".to_owned());
    arabic.translation = Some("He threatened that he would kill me if I left him".to_owned());
    let seg = |text: &str, start: u64| Segment {
        text: text.to_owned(),
        start_ms: Some(start),
        end_ms: Some(start + 5_000),
        ..Segment::default()
    };
    let mut interview = doc("WYP", "interview", "");
    interview.segments = vec![
        seg("We talked about the weather and the football first.", 0),
        seg(
            "Then she said her boyfriend punched her in the face at home.",
            5_000,
        ),
        seg("Afterwards we went to the shop to buy some milk.", 10_000),
    ];
    interview.text = interview
        .segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    index
        .add_documents(&[
            doc(
                "WYP",
                "weather",
                "Rainfall over the Pennines was heavy in March.",
            ),
            doc(
                "WYP",
                "phones",
                "The shop on Manningham Lane sells cheap phones and SIM cards.",
            ),
            doc(
                "GMP",
                "other force",
                "He beat his wife badly when he came home drunk.",
            ),
            arabic,
            interview,
        ])
        .unwrap();
    assert!(index.vector_count() >= 5);

    let q = "domestic violence against a partner";
    let keyword = index.search(&request(q, SearchMode::Keyword)).unwrap();
    assert_eq!(keyword.total, 0, "no word of the query is in any document");

    let mut semantic_request = request(q, SearchMode::Semantic);
    semantic_request.scope = semantic_request
        .scope
        .narrow_forces(&["WYP".to_owned()])
        .unwrap();
    let semantic = index.search(&semantic_request).unwrap();
    let titles: Vec<&str> = semantic.hits.iter().map(|h| h.title.as_str()).collect();
    assert!(titles.iter().all(|t| *t != "other force"), "{titles:?}");
    let mut top2 = titles[..2].to_vec();
    top2.sort();
    assert_eq!(top2, ["interview", "voice note"], "{titles:?}");
    // The interview's hit points at the segment that said it, with its time.
    let interview = semantic
        .hits
        .iter()
        .find(|h| h.title == "interview")
        .unwrap();
    assert_eq!(interview.segments.len(), 1, "{:?}", interview.segments);
    assert_eq!(interview.segments[0].start_ms, Some(5_000));
    // Unrelated documents are not returned just for being the nearest there is: the
    // default threshold keeps the weather report out; with none, everything comes back.
    let scores: Vec<(&str, f32)> = semantic
        .hits
        .iter()
        .map(|h| (h.title.as_str(), h.score))
        .collect();
    eprintln!("semantic scores at the default threshold: {scores:?}");
    assert_eq!(semantic.min_similarity, Some(DEFAULT_MIN_SIMILARITY));
    assert!(
        scores
            .iter()
            .all(|(t, s)| *t != "weather" && *s >= DEFAULT_MIN_SIMILARITY),
        "{scores:?}"
    );
    let everything = index
        .search(&SearchRequest {
            min_similarity: Some(0.0),
            ..semantic_request.clone()
        })
        .unwrap();
    let all: Vec<(&str, f32)> = everything
        .hits
        .iter()
        .map(|h| (h.title.as_str(), h.score))
        .collect();
    eprintln!("semantic scores with no threshold: {all:?}");
    assert!(all.iter().any(|(t, _)| *t == "weather"), "{all:?}");
    assert!(everything.total > semantic.total);

    // Hybrid: keyword hits and semantic hits fused; a word match still counts.
    let hybrid = index
        .search(&request("boyfriend", SearchMode::Hybrid))
        .unwrap();
    assert_eq!(hybrid.hits[0].title, "interview");

    // Reopened, the vectors come back from the stored documents.
    let count = index.vector_count();
    drop(index);
    let reopened = SearchIndex::open(dir.path(), Some(embedder)).unwrap();
    assert_eq!(reopened.vector_count(), count);
    assert_eq!(
        reopened.search(&semantic_request).unwrap().hits[0].title,
        titles[0]
    );
    drop(reopened);

    // Without the model, semantic search says why.
    let plain = SearchIndex::open_or_create(dir.path()).unwrap();
    match plain.search(&semantic_request) {
        Err(IndexError::Model(m)) => assert!(m.contains("embedding model"), "{m}"),
        other => panic!("{other:?}"),
    }
}
