//! `toex ingest`: files in several encodings and formats, bad files among them, become
//! searchable documents with segments; bad files get an error each and stop nothing.

use serde_json::json;
use toex::commands::{IngestMeta, ingest};

use crate::helpers::{TestApp, shared_neo4j_uri, unique};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_bad_files_indexes_the_good_ones_with_segments() {
    let uri = tokio::task::spawn_blocking(shared_neo4j_uri).await.unwrap();
    let index_dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    let arabic = "شفت السيارة عند الكراج\nوين انت";
    std::fs::write(
        dir.join("note-1256.txt"),
        encoding_rs::WINDOWS_1256.encode(arabic).0,
    )
    .unwrap();
    std::fs::write(dir.join("digits.txt"), "اتصل على الرقم ٠١١٣٤٩٦٠٧٧٧").unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        "Meet at the canal lock at 9"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    std::fs::write(dir.join("note-utf16.txt"), utf16).unwrap();
    std::fs::write(
        dir.join("chat.txt"),
        "12/03/2024, 21:15 - Jay: you at the takeaway?\n12/03/2024, 21:16 - Sam: outside in the van\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("interview.srt"),
        "1\n00:00:02,000 --> 00:00:05,500\nHe drove a silver Astra, the one with the broken light.\n\n\
         2\n00:00:06,000 --> 00:00:09,000\nHe would pick the girls up after school and take them to the flat.\n\n\
         3\n00:00:09,500 --> 00:00:12,000\nI told my social worker about it last summer.\n",
    )
    .unwrap();
    std::fs::write(dir.join("empty.txt"), "").unwrap();
    std::fs::write(
        dir.join("junk.bin"),
        (0..2048u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut bad_utf8 = "مرحبا ".repeat(10).into_bytes();
    bad_utf8.extend_from_slice(&[0xFF, 0xFE, 0x00, b'x']);
    std::fs::write(dir.join("broken.txt"), bad_utf8).unwrap();

    let op = unique("op");
    let settings = TestApp::settings(&uri, index_dir.path());
    let err = ingest(
        settings,
        vec![dir.to_owned()],
        IngestMeta {
            force: "WYP".to_owned(),
            operation: Some(op.clone()),
            language: None,
        },
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("3 file(s) were not ingested"),
        "{err}"
    );

    let app = TestApp::spawn_with(&uri, index_dir).await;
    let search = |q: &'static str| {
        let app = &app;
        async move {
            let r = app
                .graphql(
                    "query($q: String!) { search(queryText: $q) { total facets { sourceTypes { value count } languages { value count } } edges { node { id sourceType language } } } }",
                    json!({ "q": q }),
                )
                .await;
            assert!(r["errors"].is_null(), "{r}");
            r["data"]["search"].clone()
        }
    };
    let all = search("*").await;
    assert_eq!(all["total"], 5, "{all}");
    for (q, source_type, language) in [
        ("سيارته", "text", "ar"),
        ("01134960777", "text", "ar"),
        ("canal", "text", "en"),
        ("van", "chat", "en"),
        ("astra", "transcript", "en"),
    ] {
        let r = search(q).await;
        assert_eq!(r["total"], 1, "{q}: {r}");
        assert_eq!(r["edges"][0]["node"]["sourceType"], source_type, "{q}");
        assert_eq!(r["edges"][0]["node"]["language"], language, "{q}");
    }
    // The hit names the cue where the words were said, with its times.
    let r = app
        .graphql(
            r#"{ search(queryText: "girls school") { edges { node { segments { index startMs endMs highlighted } } } } }"#,
            json!({}),
        )
        .await;
    let m = &r["data"]["search"]["edges"][0]["node"]["segments"];
    assert_eq!(m.as_array().unwrap().len(), 1, "{r}");
    assert_eq!(
        (
            m[0]["index"].as_u64(),
            m[0]["startMs"].as_u64(),
            m[0]["endMs"].as_u64()
        ),
        (Some(1), Some(6000), Some(9000))
    );
    assert!(
        m[0]["highlighted"]
            .as_str()
            .unwrap()
            .contains("<b>school</b>"),
        "{m}"
    );
    let srt = search("astra").await;
    let id = srt["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    let doc = app
        .graphql(
            "query($id: String!) { document(id: $id) { segments { text startMs endMs line } operation force } }",
            json!({ "id": id }),
        )
        .await;
    let seg = &doc["data"]["document"]["segments"][0];
    assert_eq!(
        (seg["startMs"].as_u64(), seg["endMs"].as_u64()),
        (Some(2000), Some(5500)),
        "{doc}"
    );
    assert_eq!(doc["data"]["document"]["operation"], op.as_str());
    let chat = search("takeaway").await;
    let id = chat["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    let doc = app
        .graphql(
            "query($id: String!) { document(id: $id) { segments { speaker sent text } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        doc["data"]["document"]["segments"][1]["speaker"], "Sam",
        "{doc}"
    );
    app.stop().await;
}
