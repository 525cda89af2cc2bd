//! Seized material through `ingestFiles`, made by the tools that make it in the wild
//! (tests/reference/documents.py): a scanned letter read by OCR, a photo with GPS, a PDF,
//! an email with attachments, Office files and an archive — each searchable at its place
//! with its provenance, the photo linked to where it was taken, bad images refused alone.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, reference_python, repo_root, unique};
use crate::jobs::{file_of, job, upload};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seized_files_ingest_through_graphql_with_ocr_lines_and_photo_places() {
    let fixtures = tempfile::tempdir().unwrap();
    let made = std::process::Command::new(reference_python())
        .arg(repo_root().join("tests/reference/documents.py"))
        .arg(fixtures.path())
        .status()
        .expect("the reference venv: scripts/setup.sh --test");
    assert!(made.success(), "documents.py failed");
    let app = TestApp::spawn_adjusting(|s| s.server.max_body_bytes = 24 * 1024 * 1024).await;
    let op = unique("seized");
    let url = app.url("/graphql");
    let names = [
        "letter.png",
        "photo.jpg",
        "statement.pdf",
        "exhibit.pdf",
        "message.eml",
        "calls.xlsx",
        "download.zip",
        "huge.png",
        "not-a-photo.jpg",
    ];
    let files = names
        .iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read(fixtures.path().join(n)).unwrap(),
            )
        })
        .collect();
    let r = upload(&app.client, &url, "WYP", &op, files).await;
    assert!(r["errors"].is_null(), "{r}");
    let id = r["data"]["ingestFiles"]["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(180);
    let done = loop {
        let j = job(&app.client, &url, &id).await;
        if j["state"] == "DONE" {
            break j;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {j:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let file = |name: &str| file_of(&done, name);
    let reason = |name: &str| file(name)["reason"].as_str().unwrap_or("").to_owned();
    assert!(reason("huge.png").contains("megapixels"), "{done:#}");
    assert!(reason("not-a-photo.jpg").contains("image"), "{done:#}");
    for name in [
        "letter.png",
        "photo.jpg",
        "statement.pdf",
        "exhibit.pdf",
        "message.eml",
        "calls.xlsx",
    ] {
        assert_eq!(file(name)["status"], "DONE", "{name}: {done:#}");
    }

    // The scanned letter is found by what OCR read, at its page, with each line's box.
    let r = app
        .graphql(
            "query($op: String!) { search(queryText: \"Kirkgate\", filter: {operations: [$op]}) { total edges { node { id title sourceType segments { page } } } } }",
            json!({ "op": op }),
        )
        .await;
    let hits = r["data"]["search"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    let letter = hits
        .iter()
        .find(|h| h["node"]["title"] == "letter.png")
        .unwrap_or_else(|| panic!("the scan is not found: {r}"));
    assert_eq!(letter["node"]["sourceType"], "image");
    assert_eq!(letter["node"]["segments"][0]["page"], 1, "{r}");
    let doc = document(&app, letter["node"]["id"].as_str().unwrap()).await;
    let lines = doc["segments"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{doc:#}");
    assert!(
        lines
            .iter()
            .all(|l| l["region"]["width"].as_u64().unwrap() > 0
                && l["confidence"].as_f64().unwrap() > 50.0)
    );
    let tool = doc["provenance"]["tool"].as_str().unwrap();
    assert!(tool.starts_with("tesseract "), "{tool}");
    // The scan itself is kept, for the page beside its text.
    assert_eq!(doc["media"]["contentType"], "image/png", "{doc:#}");

    // A scanned PDF page is shown as an image, its boxes in the frame OCR read it in;
    // the link is signed for that page alone.
    let exhibit = file("exhibit.pdf")["documentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .graphql(
            "query($id: String!) { document(id: $id) { scannedPages { page url width height } segments { page region { left } } } }",
            json!({ "id": exhibit }),
        )
        .await;
    let pages = r["data"]["document"]["scannedPages"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(pages.len(), 1, "{r}");
    assert_eq!(
        (pages[0]["page"].as_u64(), pages[0]["width"].as_u64()),
        (Some(2), Some(2481))
    );
    let page_url = pages[0]["url"].as_str().unwrap();
    for _ in 0..2 {
        // Rendered on the first request, kept for the second.
        let got = app.client.get(app.url(page_url)).send().await.unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(got.headers()["content-type"], "image/jpeg");
        assert!(got.bytes().await.unwrap().starts_with(&[0xFF, 0xD8, 0xFF]));
    }
    let other_page = page_url.replacen("/page/2?", "/page/1?", 1);
    let got = app.client.get(app.url(&other_page)).send().await.unwrap();
    assert_eq!(got.status(), 403, "a signature is for one page");
    let text_pdf = file("statement.pdf")["documentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .graphql(
            "query($id: String!) { document(id: $id) { scannedPages { page } } }",
            json!({ "id": text_pdf }),
        )
        .await;
    // A PDF with a text layer lists only its blank page, which OCR was tried on.
    assert_eq!(
        r["data"]["document"]["scannedPages"],
        json!([{"page": 3}]),
        "{r}"
    );

    // The photo has no text: found by nothing it says, yet kept with when and where.
    let photo_id = file("photo.jpg")["documentId"].as_str().unwrap().to_owned();
    let photo = document(&app, &photo_id).await;
    assert_eq!(photo["provenance"]["taken"], "2024:03:12 21:15:00");
    let at = &photo["provenance"]["location"];
    assert!(
        (at["latitude"].as_f64().unwrap() - 53.796833).abs() < 1e-5,
        "{at}"
    );
    let r = app
        .graphql(
            "query($k: String!) { neighbourhood(key: $k, hops: 1) { nodes { key label } edges { type } } }",
            json!({ "k": format!("Document:{photo_id}") }),
        )
        .await;
    let around = &r["data"]["neighbourhood"];
    assert!(
        around["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{r}"))
            .iter()
            .any(|n| n["key"] == "Location:geo:53.79683,-1.54783"),
        "{r}"
    );
    assert!(
        around["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "TAKEN_AT"),
        "{r}"
    );

    // The email lists what was attached to it, each with its own document. The PDF was
    // also uploaded on its own: one document, listed as attached all the same.
    let mail_id = file("message.eml")["documentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .graphql(
            "query($id: String!) { document(id: $id) { contents { documentId title path sourceType } } }",
            json!({ "id": mail_id }),
        )
        .await;
    let contents = r["data"]["document"]["contents"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"));
    let mut paths: Vec<&str> = contents
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    assert_eq!(paths, ["directions.txt", "statement.pdf"], "{r}");
    let attached_pdf = contents
        .iter()
        .find(|c| c["path"] == "statement.pdf")
        .unwrap();
    assert_eq!(
        attached_pdf["documentId"],
        file("statement.pdf")["documentId"]
    );
    assert_eq!(attached_pdf["sourceType"], "pdf", "{r}");
    app.stop().await;
}

async fn document(app: &TestApp, id: &str) -> Value {
    let r = app
        .graphql(
            "query($id: String!) { document(id: $id) { title media { contentType } segments { text page region { left top width height } confidence } provenance { tool taken location { latitude longitude } } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["document"].clone()
}
