//! GraphQL behaviour against the real index and Neo4j: ingest, search, documents,
//! persons, error codes and request limits.

use serde_json::json;
use toex_graph::Person;

use crate::helpers::{TestApp, error_code, unique};

const INGEST: &str =
    "mutation($input: IngestTextInput!) { ingestText(input: $input) { id graphLinked } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingested_text_is_searchable_with_highlights_and_linked_in_the_graph() {
    let app = TestApp::spawn().await;
    let op = unique("op");
    let input = json!({
        "title": "voice note 14",
        "text": "قال إنه سيقابله عند محطة الحافلات",
        "language": "ar",
        "translation": "He said he would meet him at the bus station",
        "force": "WYP",
        "operation": op,
    });
    let first = app.graphql(INGEST, json!({ "input": input })).await;
    assert!(first["errors"].is_null(), "{first}");
    let id = first["data"]["ingestText"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(first["data"]["ingestText"]["graphLinked"], true);

    let again = app.graphql(INGEST, json!({ "input": input })).await;
    assert_eq!(
        again["data"]["ingestText"]["id"],
        id.as_str(),
        "same content, same id"
    );

    let found = app
        .graphql(
            "query($q: String!) { search(queryText: $q, filter: {forces: [\"WYP\"], sourceTypes: [\"text\"]}) { total facets { languages { value count } forces { value count } operations { value count } } edges { cursor node { id snippet translationSnippet language } } } }",
            json!({ "q": "station" }),
        )
        .await;
    assert!(found["errors"].is_null(), "{found}");
    let search = &found["data"]["search"];
    assert_eq!(
        search["total"], 1,
        "ingesting twice must not duplicate: {search}"
    );
    assert_eq!(
        search["facets"]["languages"],
        json!([{ "value": "ar", "count": 1 }])
    );
    assert_eq!(
        search["facets"]["operations"],
        json!([{ "value": op, "count": 1 }])
    );
    let hit = &search["edges"][0]["node"];
    assert_eq!(hit["id"], id.as_str());
    assert_eq!(hit["language"], "ar");
    assert!(
        hit["translationSnippet"]
            .as_str()
            .unwrap()
            .contains("<b>station</b>"),
        "{hit}"
    );

    // moreLikeThis: the only document has no neighbours; an unknown id is null.
    let similar = app
        .graphql(
            "query($id: String!) { moreLikeThis(id: $id) { id } missing: moreLikeThis(id: \"doc-none\") { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(similar["errors"].is_null(), "{similar}");
    assert_eq!(similar["data"]["moreLikeThis"], json!([]));
    assert!(similar["data"]["missing"].is_null());

    // The Arabic original is searchable in any spelling, highlighted in the original.
    let arabic = app
        .graphql(
            "query($q: String!) { search(queryText: $q) { total edges { node { snippet } } } }",
            json!({ "q": format!("محطه AND {}", "الحافلات") }),
        )
        .await;
    assert_eq!(arabic["data"]["search"]["total"], 1, "{arabic}");
    assert!(
        arabic["data"]["search"]["edges"][0]["node"]["snippet"]
            .as_str()
            .unwrap()
            .contains("<b>محطة</b>"),
        "{arabic}"
    );

    let doc = app
        .graphql(
            "query($id: String!) { document(id: $id) { id title text translation operation inGraph } }",
            json!({ "id": id }),
        )
        .await;
    assert!(doc["errors"].is_null(), "{doc}");
    assert_eq!(doc["data"]["document"]["operation"], op.as_str());
    assert_eq!(doc["data"]["document"]["inGraph"], true);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn person_is_read_from_neo4j() {
    let app = TestApp::spawn().await;
    let id = unique("person");
    let person = Person {
        id: id.clone(),
        name: "محمد الحسن".to_owned(),
        aliases: vec!["Mohammed Al-Hassan".to_owned()],
        force: "WYP".to_owned(),
        protected: false,
    };
    assert_eq!(
        app.services
            .graph
            .upsert_persons(std::slice::from_ref(&person))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.services.graph.upsert_persons(&[person]).await.unwrap(),
        1
    );

    let q = "query($id: String!) { person(id: $id) { id name aliases force } }";
    let found = app.graphql(q, json!({ "id": id })).await;
    assert!(found["errors"].is_null(), "{found}");
    assert_eq!(found["data"]["person"]["name"], "محمد الحسن");
    assert_eq!(found["data"]["person"]["aliases"][0], "Mohammed Al-Hassan");

    let missing = app.graphql(q, json!({ "id": unique("nobody") })).await;
    assert!(missing["errors"].is_null());
    assert!(missing["data"]["person"].is_null());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_search_query_is_bad_query_with_its_position() {
    let app = TestApp::spawn_with_neo4j("bolt://127.0.0.1:1").await;
    let response = app
        .graphql(
            "query($q: String!) { search(queryText: $q) { total } }",
            json!({ "q": "text:(unclosed" }),
        )
        .await;
    assert_eq!(error_code(&response), Some("BAD_QUERY"), "{response}");
    assert!(
        response["errors"][0]["extensions"]["position"].is_number(),
        "{response}"
    );

    let unknown_field = app
        .graphql(
            "{ search(queryText: \"nosuchfield:x\") { total } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&unknown_field),
        Some("BAD_QUERY"),
        "{unknown_field}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_a_clear_code() {
    let app = TestApp::spawn_with_neo4j("bolt://127.0.0.1:1").await;
    let too_big_page = app
        .graphql(
            "{ search(queryText: \"x\", first: 100000) { total } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&too_big_page),
        Some("BAD_INPUT"),
        "{too_big_page}"
    );

    let empty = app
        .graphql(
            INGEST,
            json!({ "input": { "title": "t", "text": "   ", "force": "WYP" } }),
        )
        .await;
    assert_eq!(error_code(&empty), Some("BAD_INPUT"), "{empty}");

    // The engine's own refusals (syntax, unknown fields, out-of-range arguments) carry
    // a code too, so a client never sees an uncoded error.
    for bad in [
        "{ search(queryText: \"x\" { total } }",
        "{ nosuchroot }",
        "{ auditLog(first: 7691372359226308) { seq } }",
        // Found by schemathesis: a year the index cannot represent overflowed.
        "{ search(queryText: \"x\", filter: {to: \"0765-10-06T08:21:01Z\"}) { total } }",
    ] {
        let r = app.graphql(bad, json!({})).await;
        assert_eq!(error_code(&r), Some("BAD_INPUT"), "{bad}: {r}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malicious_requests_are_bounded() {
    let app = TestApp::spawn_with_neo4j("bolt://127.0.0.1:1").await;

    // Malformed JSON: a 400 with a GraphQL-shaped error, not a 500.
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_INPUT"));

    // A body over server.max_body_bytes: hardening::a_body_is_not_read_before_its_sender_is_authenticated.

    // Deep nesting through introspection types.
    let deep = format!(
        "{{ __schema {{ types {{ {} name {} }} }} }}",
        "ofType { ".repeat(20),
        "}".repeat(20)
    );
    let response = app.graphql(&deep, json!({})).await;
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{response}"
    );

    // A batch over the limit.
    let batch: Vec<_> = (0..11)
        .map(|_| json!({ "query": "{ health { status } }" }))
        .collect();
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // The server is still healthy after all of that.
    assert_eq!(app.health().await["index"]["open"], true);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_translation_is_kept_beside_the_machine_one_and_searched() {
    let app = TestApp::spawn().await;
    let op = unique("op");
    let input = json!({
        "title": "voice note 15",
        "text": "راح ياخذها بالباص من المحطة",
        "language": "ar",
        "translation": "He will take her by the bus from the station",
        "translationEngine": "marian-candle",
        "translationModel": "opus-mt-ar-en",
        "translationVersion": "sha256:5f2a",
        "translatedAt": "2026-11-30T10:00:00Z",
        "force": "WYP",
        "operation": op,
    });
    let r = app.graphql(INGEST, json!({ "input": input })).await;
    assert!(r["errors"].is_null(), "{r}");
    let id = r["data"]["ingestText"]["id"].as_str().unwrap().to_owned();

    let fix = "He will take her on the coach from the depot";
    let r = app
        .graphql(
            "mutation($id: String!, $t: String!) { correctTranslation(documentId: $id, text: $t) { id translation translationProvenance { engine model version translatedAt } correctedTranslation { text by at } } }",
            json!({ "id": id, "t": fix }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let doc = &r["data"]["correctTranslation"];
    assert_eq!(
        doc["translation"], "He will take her by the bus from the station",
        "the machine translation is never overwritten"
    );
    assert_eq!(doc["translationProvenance"]["engine"], "marian-candle");
    assert_eq!(doc["translationProvenance"]["version"], "sha256:5f2a");
    assert_eq!(doc["correctedTranslation"]["text"], fix);
    assert!(
        !doc["correctedTranslation"]["by"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert!(
        doc["correctedTranslation"]["at"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );

    let q = "query($q: String!, $op: String!) { search(queryText: $q, filter: {operations: [$op]}) { total edges { node { id translationMatched correctedSnippet translationSnippet } } } }";
    let r = app.graphql(q, json!({ "q": "coach", "op": op })).await;
    let hit = &r["data"]["search"]["edges"][0]["node"];
    assert_eq!(r["data"]["search"]["total"], 1, "{r}");
    assert_eq!(hit["translationMatched"], "CORRECTED", "{r}");
    assert!(
        hit["correctedSnippet"]
            .as_str()
            .unwrap()
            .contains("<b>coach</b>"),
        "{r}"
    );
    let r = app.graphql(q, json!({ "q": "station", "op": op })).await;
    let hit = &r["data"]["search"]["edges"][0]["node"];
    assert_eq!(hit["translationMatched"], "MACHINE", "{r}");
    assert_eq!(
        r["data"]["search"]["total"], 1,
        "one document, not two: {r}"
    );

    let r = app
        .graphql(
            "mutation($t: String!) { correctTranslation(documentId: \"doc-nope\", text: $t) { id } }",
            json!({ "t": fix }),
        )
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    let r = app
        .graphql(
            "mutation($id: String!) { correctTranslation(documentId: $id, text: \"  \") { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_INPUT"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_typed_any_way_finds_the_documents_holding_it_within_the_callers_scope() {
    let app = TestApp::spawn().await;
    let (op, other) = (unique("op"), unique("op"));
    for (force, operation, text) in [
        ("WYP", &op, "new number 07700 900123, dont give it out"),
        ("WYP", &other, "ring 07700900123 after ten"),
        ("GMP", &op, "GMP holds +44 7700 900123 as well"),
    ] {
        let input = json!({ "title": "chat", "text": text, "language": "en", "force": force, "operation": operation });
        let r = app.graphql(INGEST, json!({ "input": input })).await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let search = "query($q: String!, $f: SearchFilter!) { search(queryText: $q, filter: $f) { total matchedAs { kind value asWritten } edges { node { id ingestedAt matchedAs { kind value } } } } }";
    for q in [
        "07700900123",
        "+44 7700 900123",
        "07700 900123",
        "+447700900123",
    ] {
        let r = app
            .graphql(search, json!({ "q": q, "f": { "forces": ["WYP"] } }))
            .await;
        assert!(r["errors"].is_null(), "{r}");
        let s = &r["data"]["search"];
        assert_eq!(s["total"], 2, "{q}: {r}");
        assert_eq!(
            s["matchedAs"],
            json!([{ "kind": "phone", "value": "+447700900123", "asWritten": q }]),
            "{q}"
        );
        for edge in s["edges"].as_array().unwrap() {
            let hit = &edge["node"];
            assert_eq!(
                hit["matchedAs"],
                json!([{ "kind": "phone", "value": "+447700900123" }]),
                "{q}: {hit}"
            );
            assert!(hit["ingestedAt"].is_string(), "{hit}");
        }
        // Confined to one operation, one force: only what lies inside.
        let r = app
            .graphql(
                search,
                json!({ "q": q, "f": { "forces": ["WYP"], "operations": [op] } }),
            )
            .await;
        assert_eq!(r["data"]["search"]["total"], 1, "{q}: {r}");
        let r = app
            .graphql(search, json!({ "q": q, "f": { "forces": ["GMP"] } }))
            .await;
        assert_eq!(r["data"]["search"]["total"], 1, "{q}: {r}");
    }
}
