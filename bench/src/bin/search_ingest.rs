//! Ingest throughput of the toex index against plain tantivy on the same schema,
//! analysers and documents, one indexing thread each (per core). Prints MB/s and the ratio.
//!
//!   cargo run --release -p toex-bench --bin search_ingest -- [MEGABYTES]

use std::time::Instant;

use tantivy::schema::Value;
use tantivy::{Index, TantivyDocument};
use toex_bench::Corpus;
use toex_extract::{Gazetteer, KnownPerson};
use toex_indexer::{NewDocument, SearchIndex, index_schema, register_analyzers};

/// The segments as JSON, as a plain tantivy user storing them would write them.
fn segments_json(segments: &[toex_formats::Segment]) -> String {
    let mut out = String::from("[");
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            "{{\"text\":{:?},\"line\":{:?},\"start_ms\":{:?},\"end_ms\":{:?},\"speaker\":{:?}}}",
            s.text, s.line, s.start_ms, s.end_ms, s.speaker
        ));
    }
    out.push(']');
    out
}

fn main() {
    let megabytes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let mut corpus = Corpus::new(42);
    let mut docs: Vec<NewDocument> = Vec::new();
    let mut bytes = 0usize;
    while bytes < megabytes * 1_000_000 {
        let d = corpus.document(20);
        bytes += d.text.len();
        docs.push(d);
    }
    let mb = bytes as f64 / 1e6;
    println!("{} documents, {mb:.1} MB of text", docs.len());

    // Plain tantivy: the same schema and analysers, the same field values.
    let dir = std::env::temp_dir().join(format!("toex-bench-plain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let schema = index_schema();
    let index = Index::create_in_dir(&dir, schema.clone()).unwrap();
    register_analyzers(&index);
    let field = |name| schema.get_field(name).unwrap();
    let (segments, content_hash) = (field("segments"), field("content_hash"));
    let (id, title, text, text_en, text_skel, language, force, operation, source_type) = (
        field("id"),
        field("title"),
        field("text"),
        field("text_en"),
        field("text_skel"),
        field("language"),
        field("force"),
        field("operation"),
        field("source_type"),
    );
    let started = Instant::now();
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(1, 64 * 1024 * 1024)
        .unwrap();
    for (n, batch) in docs.chunks(1000).enumerate() {
        for (i, d) in batch.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, format!("plain-{n}-{i}"));
            doc.add_text(title, &d.title);
            doc.add_text(text, &d.text);
            if d.language.as_deref() == Some("en") {
                doc.add_text(text_en, &d.text);
            } else {
                doc.add_text(text_skel, &d.text);
            }
            for (f, v) in [
                (language, d.language.as_deref()),
                (force, Some(d.force.as_str())),
                (operation, d.operation.as_deref()),
                (source_type, Some(d.source_type.as_str())),
            ] {
                if let Some(v) = v {
                    doc.add_text(f, v);
                }
            }
            // The same stored content as toex keeps: the segments and a content hash.
            doc.add_text(segments, segments_json(&d.segments));
            doc.add_text(content_hash, d.content_hash());
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
    }
    let plain = started.elapsed().as_secs_f64();
    let searcher = index.reader().unwrap().searcher();
    assert_eq!(searcher.num_docs() as usize, docs.len());
    assert!(
        searcher
            .doc::<TantivyDocument>(tantivy::DocAddress::new(0, 0))
            .unwrap()
            .get_first(id)
            .and_then(|v| v.as_str())
            .is_some()
    );
    drop(writer);
    let _ = std::fs::remove_dir_all(&dir);

    // toex: the same documents through SearchIndex::add_documents (validation, content
    // hash, stored segments, idempotent replace), 1000 per commit.
    let dir = std::env::temp_dir().join(format!("toex-bench-toex-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let toex = SearchIndex::open_or_create(&dir).unwrap();
    let started = Instant::now();
    for batch in docs.chunks(1000) {
        toex.add_documents(batch).unwrap();
    }
    let ours = started.elapsed().as_secs_f64();
    assert_eq!(toex.num_docs() as usize, docs.len());
    drop(toex);
    let _ = std::fs::remove_dir_all(&dir);

    println!("{:<24} {:>8} {:>10}", "", "seconds", "MB/s/core");
    println!(
        "{:<24} {:>8.2} {:>10.2}",
        "plain tantivy",
        plain,
        mb / plain
    );
    println!(
        "{:<24} {:>8.2} {:>10.2}",
        "toex SearchIndex",
        ours,
        mb / ours
    );
    println!("toex / plain tantivy throughput: {:.2}x", plain / ours);

    // Entity extraction at ingest, on one core: every identifier pattern, and names from
    // a gazetteer of 50,000 persons (Arabic and English first names with generated
    // surnames, so some of the corpus' Arabic name pairs meet entries).
    let first = [
        "Khalid", "Mohammed", "Ahmed", "Ali", "Omar", "Yusuf", "John", "Kelly", "Sam", "Jay",
    ];
    let syllables = [
        "ba", "ri", "ton", "al", "ver", "mo", "sha", "ke", "dun", "lo",
    ];
    let gazetteer = Gazetteer::new((0..50_000usize).map(|i| KnownPerson {
        id: format!("P{i}"),
        names: vec![format!(
            "{} {}{}{}",
            first[i % 10],
            syllables[(i / 10) % 10],
            syllables[(i / 100) % 10],
            syllables[(i / 1000) % 10]
        )],
    }));
    let started = Instant::now();
    let mut mentions = 0usize;
    for d in &mut docs {
        d.extract_mentions(Some(&gazetteer));
        mentions += d.mentions.len();
    }
    let extraction = started.elapsed().as_secs_f64();
    println!(
        "{:<24} {:>8.2} {:>10.2}   ({mentions} mentions)",
        "entity extraction",
        extraction,
        mb / extraction
    );
    println!(
        "extraction adds {:.1}% to toex ingest time",
        100.0 * extraction / ours
    );
}
