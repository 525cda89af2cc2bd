//! `/health`, its GraphQL mirror and GraphiQL.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_neo4j_the_index_models_and_version() {
    let app = TestApp::spawn_adjusting(|s| s.neo4j.warm_plans = true).await;
    app.wait_for_neo4j(true, std::time::Duration::from_secs(30))
        .await;

    let http = app.health().await;
    assert_eq!(http["status"], "OK");
    assert_eq!(http["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(http["neo4j"]["reachable"], true);
    assert_eq!(http["index"]["open"], true);
    assert_eq!(http["index"]["documents"], 0);
    assert!(http["models"].is_array());

    let gql = app
        .graphql(
            "{ health { status version neo4j { reachable error } index { open documents } models { name task loaded } } }",
            json!({}),
        )
        .await;
    assert!(gql["errors"].is_null(), "{gql}");
    let h = &gql["data"]["health"];
    assert_eq!(h["status"], http["status"]);
    assert_eq!(h["version"], http["version"]);
    assert_eq!(h["neo4j"]["reachable"], true);
    assert_eq!(h["index"]["documents"], http["index"]["documents"]);
    // The server plans its pages' queries once Neo4j is up, and says when that is done
    // (40 s alone on this machine; longer while the other tests load the shared Neo4j).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while app.health().await["neo4j"]["plansWarmed"] != true {
        assert!(
            std::time::Instant::now() < deadline,
            "plans not warmed: {}",
            app.health().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protective_marking_is_the_deployments_setting() {
    let default = TestApp::spawn_with_neo4j("bolt://127.0.0.1:1").await;
    let r = default.graphql("{ health { marking } }", json!({})).await;
    assert_eq!(r["data"]["health"]["marking"], "OFFICIAL-SENSITIVE", "{r}");
    default.stop().await;
    let app = TestApp::spawn_adjusting(|s| s.server.marking = "OFFICIAL".to_owned()).await;
    let r = app.graphql("{ health { marking } }", json!({})).await;
    assert_eq!(r["data"]["health"]["marking"], "OFFICIAL", "{r}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_served_from_local_assets() {
    let app = TestApp::spawn_with_neo4j("bolt://127.0.0.1:1").await;
    let page = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("/graphiql/graphiql.min.js"));
    assert!(
        !html.contains("https://"),
        "GraphiQL must not depend on a CDN"
    );
    for asset in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/graphiql/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "/graphiql/{asset} missing: build the web client (scripts/setup.sh)"
        );
    }
    let escape = app
        .client
        .get(app.url("/../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(escape.status(), 404);
    app.stop().await;
}
