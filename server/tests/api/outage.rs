//! Neo4j outages: toex starts without Neo4j, serves search while it is away, answers
//! GRAPH_UNAVAILABLE for graph queries, holds an ingest job's files until the graph has
//! them, and recovers by itself when Neo4j returns — over a direct `bolt://` connection
//! and over `neo4j://` routing (the routing table asked for again after the outage).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Neo4jProcess, TestApp, error_code, free_port, unique};
use crate::jobs::{job, upload};

const PERSON: &str = "query($id: String!) { person(id: $id) { id } }";
const SEARCH: &str = "query($q: String!) { search(queryText: $q) { total } }";
const WAIT: Duration = Duration::from_secs(90);

async fn assert_graph_unavailable_but_search_works(app: &TestApp, word: &str) {
    let graph = app.graphql(PERSON, json!({ "id": unique("p") })).await;
    assert_eq!(error_code(&graph), Some("GRAPH_UNAVAILABLE"), "{graph}");
    assert!(
        !graph["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "internals must not leak: {graph}"
    );
    let search = app.graphql(SEARCH, json!({ "q": word })).await;
    assert!(search["errors"].is_null(), "{search}");
    assert_eq!(search["data"]["search"]["total"], 1);
    let health = app.health().await;
    assert_eq!(health["status"], "DEGRADED");
    assert!(health["neo4j"]["error"].is_string(), "{health}");
}

/// The routed instance: its graph unavailable too (no router gives a table).
async fn assert_routed_graph_unavailable(app: &TestApp) {
    let graph = app.graphql(PERSON, json!({ "id": unique("p") })).await;
    assert_eq!(error_code(&graph), Some("GRAPH_UNAVAILABLE"), "{graph}");
    assert!(
        !graph.to_string().contains("127.0.0.1"),
        "the routers' addresses must not leak: {graph}"
    );
    let health = app.health().await;
    assert_eq!(health["status"], "DEGRADED");
    assert!(health["neo4j"]["error"].is_string(), "{health}");
}

/// The routed instance reads (through a reader) and writes (through the leader), and
/// `/health` counts the servers of the table a single Neo4j gives: itself in each role.
async fn assert_routed_graph_answers(app: &TestApp) {
    assert_graph_answers(app).await;
    let ingest = app
        .graphql(
            "mutation { ingestText(input: {title: \"r\", text: \"the van left the depot\", force: \"WYP\"}) { graphLinked } }",
            json!({}),
        )
        .await;
    assert_eq!(
        ingest["data"]["ingestText"]["graphLinked"], true,
        "{ingest}"
    );
    let routing = &app.health().await["neo4j"]["routing"];
    assert_eq!(
        (
            &routing["routers"],
            &routing["readers"],
            &routing["writers"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{routing}"
    );
}

async fn assert_graph_answers(app: &TestApp) {
    let graph = app.graphql(PERSON, json!({ "id": unique("p") })).await;
    assert!(graph["errors"].is_null(), "{graph}");
    assert!(graph["data"]["person"].is_null());
    assert_eq!(app.health().await["status"], "OK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_degraded_without_neo4j_then_survives_an_outage_and_recovers() {
    let port = free_port();
    let data = tempfile::tempdir().unwrap();

    // 1. Neo4j is not there at start-up: toex starts anyway.
    let app = TestApp::spawn_with_neo4j(&format!("bolt://127.0.0.1:{port}")).await;
    let routed = TestApp::spawn_with_neo4j(&format!("neo4j://127.0.0.1:{port}")).await;
    app.wait_for_neo4j(false, WAIT).await;
    routed.wait_for_neo4j(false, WAIT).await;
    assert_routed_graph_unavailable(&routed).await;
    let ingest = app
        .graphql(
            "mutation { ingestText(input: {title: \"n\", text: \"rendezvous at the canal bridge\", force: \"WYP\"}) { id graphLinked } }",
            json!({}),
        )
        .await;
    assert!(
        ingest["errors"].is_null(),
        "search-side ingest works without Neo4j: {ingest}"
    );
    assert_eq!(ingest["data"]["ingestText"]["graphLinked"], false);
    assert_graph_unavailable_but_search_works(&app, "canal").await;
    // A job's file is done only once the graph holds it: it waits for Neo4j.
    let url = app.url("/graphql");
    let operation = unique("OP-OUTAGE");
    let statement = b"the courier waited by the viaduct".to_vec();
    let files = vec![("statement.txt".to_owned(), statement)];
    let submitted = upload(&app.client, &url, "WYP", &operation, files).await;
    let id = submitted["data"]["ingestFiles"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{submitted}"))
        .to_owned();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting = job(&app.client, &url, &id).await;
    assert_ne!(
        waiting["state"], "DONE",
        "done without the graph: {waiting}"
    );

    // 2. Neo4j appears: toex connects by itself.
    let mut neo4j = tokio::task::spawn_blocking({
        let dir = data.path().to_owned();
        move || Neo4jProcess::start(&dir, port)
    })
    .await
    .unwrap();
    app.wait_for_neo4j(true, WAIT).await;
    assert_graph_answers(&app).await;
    routed.wait_for_neo4j(true, WAIT).await;
    assert_routed_graph_answers(&routed).await;
    let deadline = std::time::Instant::now() + WAIT;
    let linked = loop {
        let state = job(&app.client, &url, &id).await;
        if state["state"] == "DONE" {
            break state;
        }
        assert!(std::time::Instant::now() < deadline, "{state}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(linked["files"][0]["status"], "DONE", "{linked}");
    let case = app
        .graphql(
            "query($op: String!) { case(operation: $op) { documents } }",
            json!({ "op": operation }),
        )
        .await;
    assert_eq!(case["data"]["case"]["documents"], 1, "{case}");

    // 3. Neo4j stops while toex runs: clear errors, the server stays up.
    neo4j = tokio::task::spawn_blocking(move || {
        neo4j.stop();
        neo4j
    })
    .await
    .unwrap();
    app.wait_for_neo4j(false, WAIT).await;
    assert_graph_unavailable_but_search_works(&app, "canal").await;
    routed.wait_for_neo4j(false, WAIT).await;
    assert_routed_graph_unavailable(&routed).await;

    // 4. Neo4j comes back on the same port and data: toex recovers without a restart.
    let neo4j = tokio::task::spawn_blocking(move || {
        neo4j.restart();
        neo4j
    })
    .await
    .unwrap();
    app.wait_for_neo4j(true, WAIT).await;
    assert_graph_answers(&app).await;
    routed.wait_for_neo4j(true, WAIT).await;
    assert_routed_graph_answers(&routed).await;

    app.stop().await;
    routed.stop().await;
    drop(neo4j);
}
