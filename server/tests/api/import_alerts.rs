//! Alerts on what imports and re-linking write: `toex import` (another process) gives a
//! watched phone a new user and the watcher hears of it live on the server's
//! subscription, once however often the file is imported, and a watcher of another
//! force never; a stored document that names a person the graph gains later alerts the
//! person's watcher when the re-linking pass links it.

use std::time::Duration;

use serde_json::{Value, json};
use toex_access::{Role, UserStore};

use crate::helpers::{TestApp, client_with_token, gql, unique, user_client};
use crate::websocket::{connect, next, subscribe};

const ALERTS: &str = "{ alerts { items { kind subject documentId title relationship related \
  source why force } } }";

async fn alerts(client: &reqwest::Client, app: &TestApp) -> Vec<Value> {
    let r = gql(client, app, ALERTS, json!({})).await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["alerts"]["items"].as_array().unwrap().clone()
}

async fn watch(client: &reqwest::Client, app: &TestApp, identifier: &str) {
    let w = gql(
        client,
        app,
        "mutation($i: String!) { watch(identifier: $i) { key } }",
        json!({ "i": identifier }),
    )
    .await;
    assert!(w["errors"].is_null(), "{w}");
}

/// `toex import KIND FILE --force WYP` against the test's Neo4j, as an analyst would.
fn import(app: &TestApp, kind: &str, file: &std::path::Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toex"))
        .args(["import", kind, file.to_str().unwrap(), "--force", "WYP"])
        .env("TOEX_NEO4J_URI", &app.settings.neo4j.uri)
        .env("TOEX_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Letters only, from a fresh uuid: a surname no other test gives anyone.
fn surname() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let letters: String = id
        .bytes()
        .take(8)
        .map(|b| char::from(b'a' + b % 26))
        .collect();
    format!("Quar{letters}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_giving_a_watched_phone_a_new_user_alerts_live_once_and_within_force() {
    let app = TestApp::spawn().await;
    let owner = unique("owner");
    let mut store = UserStore::open(&app.users).unwrap();
    store
        .add_user(&owner, Role::Analyst, &["WYP".to_owned()], &[])
        .unwrap();
    let (_, token) = store.create_token(&owner, "ws", None).unwrap();
    store.save().unwrap();
    let wyp = client_with_token(&token);
    let gmp = user_client(&app.users, &unique("gmp"), Role::Analyst, &["GMP"]);
    // 07700 906xxx: a range neither the generator nor another test gives anyone.
    let digits = 906_000 + std::process::id() % 1_000;
    let phone = format!("07700{digits}");
    for client in [&wyp, &gmp] {
        watch(client, &app, &phone).await;
    }
    let mut socket = connect(&app, &token).await;
    subscribe(
        &mut socket,
        "1",
        "subscription { alerts { kind relationship related documentId why } }",
    )
    .await;

    let person = unique("IMP").to_uppercase();
    let dir = tempfile::tempdir().unwrap();
    let persons = dir.path().join("persons.csv");
    std::fs::write(&persons, format!("id,name\n{person},Test {}\n", surname())).unwrap();
    let identifiers = dir.path().join("identifiers.csv");
    // Written with spaces and the national prefix: the watch was typed without.
    std::fs::write(
        &identifiers,
        format!("person_id,kind,value\n{person},phone,+44 7700 {digits}\n"),
    )
    .unwrap();
    import(&app, "persons", &persons);
    import(&app, "identifiers", &identifiers);

    // Raised by the import process, it reaches this server's subscriber by the feed.
    let event = tokio::time::timeout(Duration::from_secs(20), next(&mut socket))
        .await
        .expect("the import's alert did not arrive on the subscription");
    let live = &event["payload"]["data"]["alerts"];
    assert_eq!(live["kind"], "WATCH", "{event}");
    assert_eq!(live["relationship"], "USES", "{event}");
    assert_eq!(live["related"], format!("Person:{person}"), "{event}");
    assert!(live["documentId"].is_null(), "{event}");

    // The same file again writes nothing new and alerts no more.
    import(&app, "identifiers", &identifiers);
    let mine: Vec<Value> = alerts(&wyp, &app)
        .await
        .into_iter()
        .filter(|a| a["related"] == format!("Person:{person}"))
        .collect();
    assert_eq!(mine.len(), 1, "{mine:#?}");
    assert_eq!(mine[0]["title"], "identifiers.csv, line 2");
    assert_eq!(mine[0]["force"], "WYP");
    assert!(
        mine[0]["source"].as_str().unwrap().starts_with("import:"),
        "{mine:#?}"
    );
    assert!(
        mine[0]["why"]
            .as_str()
            .unwrap()
            .contains("recorded as used by a person"),
        "{mine:#?}"
    );
    // GMP's analyst watches the same number, but the record is WYP's.
    let theirs = alerts(&gmp, &app).await;
    assert!(
        !theirs
            .iter()
            .any(|a| a["related"] == format!("Person:{person}")),
        "another force's import never alerts: {theirs:#?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_naming_a_person_the_graph_gains_later_alerts_the_persons_watcher() {
    let app = TestApp::spawn().await;
    let analyst = user_client(&app.users, &unique("analyst"), Role::Analyst, &["WYP"]);
    let (first, last) = ("Ottoline", surname());
    let person = unique("REL").to_uppercase();
    watch(&analyst, &app, &format!("Person:{person}")).await;
    let r = gql(
        &analyst,
        &app,
        "mutation($x: String!) { ingestText(input: {title: \"statement 4\", text: $x, \
           force: \"WYP\", sourceType: \"statement\"}) { id } }",
        json!({ "x": format!("She said {first} {last} drove her to the flat on Sunday.") }),
    )
    .await;
    let doc = r["data"]["ingestText"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    assert!(
        alerts(&analyst, &app).await.is_empty(),
        "nobody is named yet"
    );

    let dir = tempfile::tempdir().unwrap();
    let persons = dir.path().join("persons.csv");
    std::fs::write(&persons, format!("id,name\n{person},{first} {last}\n")).unwrap();
    import(&app, "persons", &persons);
    app.services.refresh_names().await.unwrap();

    let items = alerts(&analyst, &app).await;
    let linked: Vec<&Value> = items
        .iter()
        .filter(|a| a["relationship"] == "MENTIONS")
        .collect();
    assert_eq!(linked.len(), 1, "{items:#?}");
    assert_eq!(linked[0]["documentId"], doc.as_str());
    assert_eq!(linked[0]["source"], "relink");
    assert_eq!(linked[0]["title"], "statement 4");
    assert!(
        linked[0]["why"]
            .as_str()
            .unwrap()
            .contains(&format!("{first} {last}")),
        "{linked:#?}"
    );
    // The person's own record, imported after the watch, alerted too.
    assert!(
        items.iter().any(|a| a["relationship"] == "RECORD"),
        "{items:#?}"
    );
    app.stop().await;
}
