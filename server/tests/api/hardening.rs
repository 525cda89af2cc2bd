//! Regression tests of the security review's findings on abuse and surface: a huge
//! search text and a huge name are refused at once, a force code is stored as checked,
//! every response carries the browser-hardening headers, a fragment bomb is refused
//! before validation, a body is read only once its sender is authenticated and a page
//! deep down is refused before any search work.

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

// Regression: a cursor far down (`after: "999999999"`) was accepted; the collectors were
// asked to keep a billion hits (address space reserved for twice that, every matching
// document kept and sorted). A search's work and memory are held to a budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_page_a_billion_results_deep_is_refused_before_any_work() {
    let app = TestApp::spawn().await;
    for mode in ["KEYWORD", "SEMANTIC", "HYBRID"] {
        let r = app
            .graphql(
                "query($m: SearchMode!) { search(queryText: \"garage\", mode: $m, after: \"999999999\") { total } }",
                json!({ "m": mode }),
            )
            .await;
        assert_eq!(error_code(&r), Some("BAD_INPUT"), "{mode}: {r}");
        assert!(r.to_string().contains("first 10000"), "{mode}: {r}");
    }
    let r = app
        .graphql(
            "{ search(queryText: \"title:[a TO z]\") { total } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_QUERY"), "{r}");
    // The server is still there and pages near the top as before.
    let r = app
        .graphql(
            "{ search(queryText: \"garage\", after: \"9979\", first: 20) { total } }",
            json!({}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
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
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self';"),
            "no inline script: {csp}"
        );
        assert!(csp.contains("object-src 'none'"), "{csp}");
    }
    // GraphiQL's page runs under that policy: every script comes from a file.
    let page = app
        .client
        .get(app.url("/graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        page.matches("<script").count(),
        page.matches("<script src=\"/graphiql/").count(),
        "{page}"
    );
    let script = app
        .client
        .get(app.url("/graphiql/toex-graphiql.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("GraphiQL.createFetcher")
    );
}

// Regression: a ~2 KB query of fragments that each spread the previous one twice (26
// levels) kept the depth and complexity checks busy for 9–30 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_26_level_fragment_bomb_is_refused_before_validation() {
    let app = TestApp::spawn().await;
    let mut query =
        String::from("query { ...F26 } fragment F0 on QueryRoot { health { status } } ");
    for i in 1..=26 {
        query.push_str(&format!(
            "fragment F{i} on QueryRoot {{ ...F{p} ...F{p} }} ",
            p = i - 1
        ));
    }
    let r = app.graphql(&query, json!({})).await;
    assert_eq!(error_code(&r), Some("BAD_INPUT"), "{r}");
    assert!(r.to_string().contains("fragments are spread"), "{r}");
    let r = app
        .graphql(
            "query { ...A } fragment A on QueryRoot { health { status } }",
            json!({}),
        )
        .await;
    assert!(
        r["errors"].is_null(),
        "a fragment of ordinary size runs: {r}"
    );
}

// Regression: bodies of up to 16 MiB were read (and buffered) before the sender was
// authenticated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_is_not_read_before_its_sender_is_authenticated() {
    let app = TestApp::spawn().await;
    let huge = format!(
        "{{\"query\": \"{{ health {{ status }} }}\", \"x\": \"{}\"}}",
        "a".repeat(1 << 20)
    );
    let anonymous = reqwest::Client::new()
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        401,
        "refused for who sent it, not its size"
    );
    // An authenticated sender over the limit gets 413 in the error shape, audited.
    let r = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_INPUT"), "{body}");
    let log = app
        .graphql("{ auditLog(first: 20) { user outcome } }", json!({}))
        .await;
    let outcomes: Vec<&str> = log["data"]["auditLog"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .filter_map(|e| e["outcome"].as_str())
        .collect();
    assert!(
        outcomes.contains(&"refused: body too large")
            && outcomes.contains(&"refused: unauthenticated"),
        "{outcomes:?}"
    );
}

// Regression: a connection opened ahead of need (as browsers do) and idle for 5 s was
// answered 408 before its request came, and the page read that as its next answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_idle_before_its_first_request_is_served_not_answered_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let mut socket = tokio::net::TcpStream::connect(app.address).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(8)).await;
    socket
        .write_all(b"GET /health HTTP/1.1\r\nHost: toex\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    app.stop().await;
}
