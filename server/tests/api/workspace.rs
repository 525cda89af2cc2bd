//! Saved searches and watches against a real toex and Neo4j: new material that matches
//! raises an alert for its owner (and only within the owner's forces), material that
//! does not raises none, a phone is watched however it is written, and alerts are
//! listed, counted and marked read, and sent live to their owner's subscription alone.

use std::time::Duration;

use serde_json::{Value, json};
use toex_access::{Role, UserStore};

use crate::helpers::{TestApp, client_with_token, error_code, gql, unique, user_client};
use crate::websocket::{connect, next, subscribe};

const INGEST: &str = "mutation($t: String!, $x: String!, $f: String!) {
  ingestText(input: {title: $t, text: $x, force: $f, sourceType: \"transcript\"}) { id } }";
const ALERTS: &str = "query($unread: Boolean!) { alerts(unreadOnly: $unread) {
  unread items { id kind subject subjectId documentId title force segment why crossCase read } } }";

async fn ingest(
    client: &reqwest::Client,
    app: &TestApp,
    force: &str,
    title: &str,
    text: &str,
) -> String {
    let r = gql(
        client,
        app,
        INGEST,
        json!({"t": title, "x": text, "f": force}),
    )
    .await;
    r["data"]["ingestText"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

async fn alerts(client: &reqwest::Client, app: &TestApp, unread: bool) -> Value {
    let r = gql(client, app, ALERTS, json!({ "unread": unread })).await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["alerts"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_search_alerts_on_new_matching_material_and_not_on_the_rest() {
    let app = TestApp::spawn().await;
    let marker = unique("quillwort");
    let me = user_client(&app.users, &unique("analyst"), Role::Analyst, &["WYP"]);

    let saved = gql(
        &me,
        &app,
        "mutation($q: String!) { saveSearch(name: \"cash drops\", queryText: $q) { id name queryText } }",
        json!({ "q": format!("\"friday cash\" {marker}") }),
    )
    .await;
    let search_id = saved["data"]["saveSearch"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{saved}"))
        .to_owned();
    let listed = gql(&me, &app, "{ savedSearches { id name } }", json!({})).await;
    assert_eq!(
        listed["data"]["savedSearches"][0]["id"],
        search_id.as_str(),
        "{listed}"
    );

    // A search that does not parse is refused when saved, not on every batch.
    let bad = gql(
        &me,
        &app,
        "mutation { saveSearch(name: \"broken\", queryText: \"(unbalanced\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&bad), Some("BAD_QUERY"), "{bad}");

    let matching = ingest(
        &me,
        &app,
        "WYP",
        "call 14",
        &format!("bring the friday cash to the unit {marker}"),
    )
    .await;
    ingest(
        &me,
        &app,
        "WYP",
        "call 15",
        &format!("cash on a monday {marker}"),
    )
    .await;
    ingest(
        &me,
        &app,
        "WYP",
        "call 16",
        "the friday cash again, nothing else",
    )
    .await;

    let all = alerts(&me, &app, false).await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the matching document alerts: {all:#}");
    let alert = &items[0];
    assert_eq!(alert["kind"], "SEARCH");
    assert_eq!(alert["subjectId"], search_id.as_str());
    assert_eq!(alert["documentId"], matching.as_str());
    assert_eq!(alert["force"], "WYP");
    assert_eq!(alert["read"], false);
    assert!(
        alert["why"].as_str().unwrap().contains("friday cash"),
        "{alert}"
    );
    assert_eq!(all["unread"], 1);

    // The same material again is the same alert, not a second one.
    ingest(
        &me,
        &app,
        "WYP",
        "call 14",
        &format!("bring the friday cash to the unit {marker}"),
    )
    .await;
    assert_eq!(
        alerts(&me, &app, false).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let marked = gql(
        &me,
        &app,
        "mutation($ids: [String!]!) { markAlertsRead(ids: $ids) }",
        json!({ "ids": [alert["id"]] }),
    )
    .await;
    assert_eq!(marked["data"]["markAlertsRead"], 1, "{marked}");
    let unread = alerts(&me, &app, true).await;
    assert_eq!(unread["unread"], 0, "{unread}");
    assert!(unread["items"].as_array().unwrap().is_empty(), "{unread}");

    // Deleted, it alerts no more.
    let deleted = gql(
        &me,
        &app,
        "mutation($id: String!) { deleteSavedSearch(id: $id) }",
        json!({ "id": search_id }),
    )
    .await;
    assert_eq!(deleted["data"]["deleteSavedSearch"], true, "{deleted}");
    ingest(
        &me,
        &app,
        "WYP",
        "call 17",
        &format!("friday cash once more {marker}"),
    )
    .await;
    assert_eq!(
        alerts(&me, &app, false).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_phone_alerts_however_new_material_writes_it_and_never_across_forces() {
    let app = TestApp::spawn().await;
    let wyp = user_client(&app.users, &unique("wyp"), Role::Analyst, &["WYP"]);
    let gmp = user_client(&app.users, &unique("gmp"), Role::Analyst, &["GMP"]);
    // A number no other test uses, typed without spaces.
    let digits = format!("{:06}", std::process::id() % 1_000_000);
    let typed = format!("07700{digits}");
    let written = format!("07700 {digits}");
    for client in [&wyp, &gmp] {
        let w = gql(
            client,
            &app,
            "mutation($i: String!) { watch(identifier: $i) { id key label } }",
            json!({ "i": typed }),
        )
        .await;
        assert_eq!(
            w["data"]["watch"]["key"],
            format!("phone:+447700{digits}"),
            "{w}"
        );
    }
    let not_one = gql(
        &wyp,
        &app,
        "mutation { watch(identifier: \"the big man\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&not_one), Some("BAD_INPUT"), "{not_one}");

    // A transcript in WYP writes it with a space: WYP's watcher hears of it, GMP's not.
    let doc = ingest(
        &wyp,
        &app,
        "WYP",
        "voicemail 3",
        &format!("it's me, ring me back on {written} after nine"),
    )
    .await;
    let mine = alerts(&wyp, &app, false).await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{mine:#}");
    assert_eq!(items[0]["kind"], "WATCH");
    assert_eq!(items[0]["documentId"], doc.as_str());
    let why = items[0]["why"].as_str().unwrap();
    assert!(
        why.contains(&format!("+447700{digits}")) && why.contains(&written),
        "{why}"
    );
    let theirs = alerts(&gmp, &app, false).await;
    assert!(
        theirs["items"].as_array().unwrap().is_empty(),
        "another force's material never alerts: {theirs:#}"
    );
    assert_eq!(theirs["unread"], 0);

    // Marking someone else's alert read does nothing.
    let r = gql(
        &gmp,
        &app,
        "mutation($ids: [String!]!) { markAlertsRead(ids: $ids) }",
        json!({ "ids": [items[0]["id"]] }),
    )
    .await;
    assert_eq!(r["data"]["markAlertsRead"], 0, "{r}");
    assert_eq!(alerts(&wyp, &app, true).await["unread"], 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_arrives_live_on_the_owners_subscription_and_only_theirs() {
    let app = TestApp::spawn().await;
    let (owner, other) = (unique("owner"), unique("other"));
    let mut store = UserStore::open(&app.users).unwrap();
    for name in [&owner, &other] {
        store
            .add_user(name, Role::Analyst, &["WYP".to_owned()], &[])
            .unwrap();
    }
    let (_, owner_token) = store.create_token(&owner, "ws", None).unwrap();
    let (_, other_token) = store.create_token(&other, "ws", None).unwrap();
    store.save().unwrap();
    let client = client_with_token(&owner_token);
    // A number no other test uses (the watched-phone test takes the process id's).
    let phone = format!("07700{:06}", (std::process::id() + 500_000) % 1_000_000);
    let w = gql(
        &client,
        &app,
        "mutation($i: String!) { watch(identifier: $i) { key } }",
        json!({ "i": phone }),
    )
    .await;
    assert!(w["errors"].is_null(), "{w}");

    let mut mine = connect(&app, &owner_token).await;
    let mut theirs = connect(&app, &other_token).await;
    for socket in [&mut mine, &mut theirs] {
        subscribe(
            socket,
            "1",
            "subscription { alerts { kind documentId why } }",
        )
        .await;
    }
    // A subscription has no "ready" message: new material is ingested until its alert
    // comes (the first documents may go before the socket has set the subscription up).
    let mut ingested = Vec::new();
    let event = loop {
        assert!(
            ingested.len() < 10,
            "no alert on the subscription for {ingested:?}"
        );
        let text = format!("text {phone} tonight, message {}", ingested.len());
        ingested.push(ingest(&client, &app, "WYP", "dm export", &text).await);
        if let Ok(event) = tokio::time::timeout(Duration::from_secs(3), next(&mut mine)).await {
            break event;
        }
    };
    assert_eq!(event["id"], "1", "{event}");
    let alert = &event["payload"]["data"]["alerts"];
    assert_eq!(alert["kind"], "WATCH", "{event}");
    assert!(
        ingested.iter().any(|d| alert["documentId"] == d.as_str()),
        "{event} is not about {ingested:?}"
    );

    // The other analyst, of the same force, watches nothing: nothing comes. Checked by
    // a query on the same socket answering before any event does.
    subscribe(&mut theirs, "3", "{ health { status } }").await;
    let first = next(&mut theirs).await;
    assert_eq!(
        first["id"], "3",
        "no alert of another analyst's watch: {first}"
    );
    app.stop().await;
}
