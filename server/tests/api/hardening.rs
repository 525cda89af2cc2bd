//! Regression tests of the security review's findings on abuse and surface: a huge
//! search text and a huge name are refused at once, a force code is stored as checked,
//! and every response carries the browser-hardening headers.

use serde_json::json;

use crate::helpers::{TestApp, error_code, unique};

/// toex with the default body limit (16 MiB), which the review's requests fitted in.
async fn with_default_body_limit() -> TestApp {
    TestApp::spawn_adjusting(|s| s.server.max_body_bytes = 16 * 1024 * 1024).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_text_of_400000_words_is_refused_at_once() {
    let app = with_default_body_limit().await;
    let query = "query($q: String!) { search(queryText: $q) { total } }";
    let huge = "word ".repeat(400_000);
    let r = app.graphql(query, json!({ "q": huge })).await;
    assert_eq!(
        error_code(&r),
        Some("BAD_INPUT"),
        "{}",
        &r.to_string()[..200]
    );
    assert!(r.to_string().contains("longer than"), "{r}");
    let many = (0..65)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let r = app.graphql(query, json!({ "q": many })).await;
    assert_eq!(error_code(&r), Some("BAD_INPUT"), "{r}");
    assert!(r.to_string().contains("more than 64 words"), "{r}");
    let r = app
        .graphql(query, json!({ "q": "garage near the flat" }))
        .await;
    assert!(r["errors"].is_null(), "an ordinary search still runs: {r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_person_name_is_bad_input_not_internal() {
    let app = with_default_body_limit().await;
    let r = app
        .graphql(
            "query($n: String!) { people(name: $n) { edges { node { id } } } }",
            json!({ "n": "محمد ".repeat(50_000) }),
        )
        .await;
    assert_eq!(
        error_code(&r),
        Some("BAD_INPUT"),
        "{}",
        &r.to_string()[..200]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_text_with_a_lower_case_force_is_stored_under_the_force_code() {
    let app = TestApp::spawn().await;
    let marker = unique("marker");
    let r = app
        .graphql(
            "mutation($input: IngestTextInput!) { ingestText(input: $input) { id } }",
            json!({ "input": {
                "title": "note",
                "text": format!("Seen at the garage {marker}"),
                "force": " wyp ",
            }}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let found = app
        .graphql(
            "query($q: String!) { search(queryText: $q, filter: {forces: [\"WYP\"]}) { total } }",
            json!({ "q": marker }),
        )
        .await;
    assert_eq!(found["data"]["search"]["total"], 1, "{found}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_carry_the_browser_hardening_headers() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/graphql", "/"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
}
