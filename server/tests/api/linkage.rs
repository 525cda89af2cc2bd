//! Entity linkage against the real Neo4j and index: a chat export ingested into one
//! operation mentions a phone used by a suspect of another operation, a vehicle, a new
//! phone nobody uses and a known person by another spelling; `crossLinks` and `linkage`
//! show the cross-case link, `document.entities` and `person.mentions` show the mentions,
//! and a person imported after the ingest is found in the document by the re-linking job.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use toex::commands::{IngestMeta, ingest};
use toex_graph::import::{ImportKind, ImportOptions};

use crate::helpers::{TestApp, error_code, shared_neo4j_uri, unique};

/// A name made of letters only from a unique id (digits would read as Arabizi).
fn letters(id: &str, len: usize) -> String {
    let consonants = b"bdfgklmnprstvz";
    let vowels = b"aeiou";
    id.bytes()
        .filter(u8::is_ascii_hexdigit)
        .take(len)
        .enumerate()
        .map(|(i, b)| {
            let set: &[u8] = if i % 2 == 0 { consonants } else { vowels };
            char::from(set[usize::from(b) % set.len()])
        })
        .collect()
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Seven random digits from a unique id: Iraqi mobile numbers no other test uses.
fn digits(id: &str, skip: usize) -> String {
    id.bytes()
        .filter(u8::is_ascii_hexdigit)
        .skip(skip)
        .take(7)
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

fn write(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

async fn import(app: &TestApp, kind: ImportKind, path: &Path, operation: &str) {
    let report = app
        .services
        .graph
        .import_file(
            kind,
            path,
            &ImportOptions {
                default_force: Some("WYP".to_owned()),
                operation: Some(operation.to_owned()),
                ..ImportOptions::default()
            },
            &(),
        )
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_in_a_chat_export_links_to_a_suspect_of_another_operation() {
    let uri = tokio::task::spawn_blocking(shared_neo4j_uri).await.unwrap();
    let index_dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(&uri, tempfile::tempdir().unwrap()).await;
    app.wait_for_neo4j(true, Duration::from_secs(60)).await;
    let u = unique("lk");
    let (op_a, op_b) = (format!("{u}-chat"), format!("{u}-other"));
    let surname = capitalised(&letters(&u, 7));
    let later = capitalised(&letters(&u[8..], 6));
    let (phone, fresh) = (
        format!("+964780{}", digits(&u, 0)),
        format!("+964781{}", digits(&u, 9)),
    );
    let dir = tempfile::tempdir().unwrap();

    // Operation B: a suspect who uses the phone, and a second known person.
    let persons = write(
        dir.path(),
        "persons.csv",
        &format!(
            "id,name,aliases\n{u}-S,Tariq {surname},طارق {surname}\n{u}-K,Yousef {surname}tin,\n"
        ),
    );
    import(&app, ImportKind::Persons, &persons, &op_b).await;
    let ids = write(
        dir.path(),
        "ids.csv",
        &format!("person_id,kind,value\n{u}-S,phone,{phone}\n"),
    );
    import(&app, ImportKind::Identifiers, &ids, &op_b).await;
    let incidents = write(
        dir.path(),
        "incidents.csv",
        &format!(
            "id,crime_type,offence_code,occurred_at,people\n\
             {u}-I,Sexual exploitation of a child,71,2024-02-01T20:00:00Z,{u}-S:suspect\n"
        ),
    );
    import(&app, ImportKind::Incidents, &incidents, &op_b).await;

    // Operation A's material: a WhatsApp export written with the number in another
    // format, the second person under another spelling, a plate, and a fresh number.
    let national = format!("00964 780 {} {}", &phone[7..10], &phone[10..]);
    let chat = write(
        dir.path(),
        "chat.txt",
        &format!(
            "12/03/2024, 21:15 - Jay: new number {national} dont save it\n\
             12/03/2024, 21:16 - Sam: Yusuf {surname}tin picks her up in the silver golf AB12 CDE\n\
             12/03/2024, 21:18 - Jay: my other one is {fresh}, {later} Kerr knows\n"
        ),
    );
    ingest(
        TestApp::settings(&uri, index_dir.path()),
        vec![chat.clone()],
        IngestMeta {
            force: "WYP".to_owned(),
            operation: Some(op_a.clone()),
            language: None,
        },
    )
    .await
    .unwrap();
    app.stop().await;
    let app = TestApp::spawn_with(&uri, index_dir).await;
    app.wait_for_neo4j(true, Duration::from_secs(60)).await;

    // crossLinks: the phone in A's chat leads to B's suspect.
    let r = app
        .graphql(
            "query($op: String!) { crossLinks(operation: $op) { key kind documentCount score explanation suspect person { id name operations via } } }",
            json!({ "op": op_a }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let links = r["data"]["crossLinks"].as_array().unwrap();
    let phone_key = format!("Phone:{phone}");
    let first = &links[0];
    assert_eq!(
        first["key"],
        phone_key.as_str(),
        "the suspect's phone ranks first: {r}"
    );
    assert_eq!(first["person"]["id"], format!("{u}-S").as_str());
    assert_eq!(first["person"]["operations"], json!([op_b]));
    assert_eq!(first["suspect"], true);
    assert_eq!(first["documentCount"], 1);
    assert!(
        first["explanation"].as_str().unwrap().contains("a suspect"),
        "{first}"
    );
    assert!(
        links
            .iter()
            .any(|l| l["key"] == format!("Person:{u}-K").as_str()
                && l["person"]["via"] == "MENTIONED"),
        "the named person of B is a cross link too: {r}"
    );

    // linkage: the number in yet another format finds the suspect, the operation, the
    // incident and the chat message with its time.
    let r = app
        .graphql(
            "query($i: String!) { linkage(identifier: $i) { kind value key unresolved operations graphDocumentCount persons { id via operations incidents { id role } } mentions { documentId operation snippet entity { text start end segment } segment { sent speaker text } } } }",
            json!({ "i": format!("+964 (780) {}", &phone[7..]) }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let l = &r["data"]["linkage"][0];
    assert_eq!(l["kind"], "PHONE");
    assert_eq!(l["value"], phone.as_str());
    assert_eq!(l["unresolved"], false);
    assert_eq!(l["operations"], json!([op_b]));
    assert_eq!(l["graphDocumentCount"], 1);
    assert_eq!(l["persons"][0]["incidents"][0]["role"], "suspect");
    let m = &l["mentions"][0];
    assert_eq!(m["operation"], op_a.as_str());
    assert_eq!(m["entity"]["text"], national.as_str());
    assert_eq!(m["entity"]["segment"], 0);
    assert_eq!(m["segment"]["speaker"], "Jay");
    assert!(
        m["segment"]["sent"].as_str().unwrap().contains("21:15"),
        "{m}"
    );
    assert!(
        m["snippet"]
            .as_str()
            .unwrap()
            .contains(&format!("<b>{national}</b>")),
        "{m}"
    );

    // The number nobody uses is a new node, flagged unresolved, with its mention.
    let r = app
        .graphql(
            "query($i: String!) { linkage(identifier: $i) { key unresolved persons { id } mentions { documentId } } }",
            json!({ "i": fresh }),
        )
        .await;
    let l = &r["data"]["linkage"][0];
    assert_eq!(l["key"], format!("Phone:{fresh}").as_str(), "{r}");
    assert_eq!(l["unresolved"], true);
    assert_eq!(l["persons"], json!([]));
    assert_eq!(l["mentions"].as_array().unwrap().len(), 1);

    // document.entities: identifiers with offsets, and the person named.
    let doc_id = l["mentions"][0]["documentId"].as_str().unwrap().to_owned();
    let r = app
        .graphql(
            "query($d: String!) { document(id: $d) { entities { kind value text segment start end key } } }",
            json!({ "d": doc_id }),
        )
        .await;
    let entities = r["data"]["document"]["entities"].as_array().unwrap();
    let has = |kind: &str, value: &str| {
        entities
            .iter()
            .any(|e| e["kind"] == kind && e["value"] == value)
    };
    assert!(has("PHONE", &phone) && has("PHONE", &fresh), "{r}");
    assert!(has("VEHICLE", "AB12CDE"), "{r}");
    assert!(has("PERSON", &format!("{u}-K")), "{r}");
    let vehicle = entities.iter().find(|e| e["kind"] == "VEHICLE").unwrap();
    assert_eq!(vehicle["text"], "AB12 CDE");
    assert_eq!(vehicle["segment"], 1);

    // person.mentions for the person named under another spelling.
    let r = app
        .graphql(
            "query($p: String!) { person(id: $p) { mentions { documentId operation text segment } } }",
            json!({ "p": format!("{u}-K") }),
        )
        .await;
    let mentions = &r["data"]["person"]["mentions"];
    assert_eq!(mentions[0]["documentId"], doc_id.as_str(), "{r}");
    assert_eq!(mentions[0]["text"], format!("Yusuf {surname}tin").as_str());

    // A person imported after the ingest: the re-linking job finds them in the chat.
    let newcomer = write(
        dir.path(),
        "later.csv",
        &format!("id,name\n{u}-L,{later} Kerr\n"),
    );
    import(&app, ImportKind::Persons, &newcomer, &op_b).await;
    // (The background job may have got there first; either way the pass has run after
    // this returns.)
    app.services.refresh_names().await.unwrap();
    let r = app
        .graphql(
            "query($p: String!) { person(id: $p) { mentions { documentId segment } } }",
            json!({ "p": format!("{u}-L") }),
        )
        .await;
    assert_eq!(
        r["data"]["person"]["mentions"],
        json!([{ "documentId": doc_id, "segment": 2 }]),
        "{r}"
    );

    // Bad input is named.
    for (q, code) in [
        ("{ linkage(identifier: \"   \") { value } }", "BAD_INPUT"),
        ("{ crossLinks { key } }", "BAD_INPUT"),
        (
            "{ crossLinks(operation: \"x\", force: \"WYP\") { key } }",
            "BAD_INPUT",
        ),
    ] {
        let r: Value = app.graphql(q, json!({})).await;
        assert_eq!(error_code(&r), Some(code), "{q}: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_links_only_to_persons_and_operations_of_its_own_force() {
    let app = TestApp::spawn().await;
    let u = unique("own");
    let (theirs, ours) = (
        capitalised(&letters(&u, 7)),
        capitalised(&letters(&u[6..], 7)),
    );
    let op = format!("{u}-op");
    let dir = tempfile::tempdir().unwrap();
    // GMP holds a person and, first, the operation's name.
    let gmp = write(
        dir.path(),
        "gmp.csv",
        &format!("id,name,aliases\n{u}-G,Idris {theirs},\n"),
    );
    let report = app
        .services
        .graph
        .import_file(
            ImportKind::Persons,
            &gmp,
            &ImportOptions {
                default_force: Some("GMP".to_owned()),
                operation: Some(op.clone()),
                ..ImportOptions::default()
            },
            &(),
        )
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    // WYP holds a person of its own (the control).
    let wyp = write(
        dir.path(),
        "wyp.csv",
        &format!("id,name,aliases\n{u}-W,Nadia {ours},\n"),
    );
    import(&app, ImportKind::Persons, &wyp, &format!("{u}-wyp")).await;

    // A WYP note naming both, filed under an operation of the GMP operation's name.
    let text = format!("Idris {theirs} met Nadia {ours} at the garage.");
    let r = app
        .graphql(
            "mutation($i: IngestTextInput!) { ingestText(input: $i) { id } }",
            json!({ "i": { "title": "note", "text": text, "force": "WYP", "operation": op } }),
        )
        .await;
    let doc = r["data"]["ingestText"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let mentions = |id: String| {
        let app = &app;
        async move {
            let r = app
                .graphql(
                    "query($p: String!) { person(id: $p) { mentions { documentId } } }",
                    json!({ "p": id }),
                )
                .await;
            r["data"]["person"]["mentions"].clone()
        }
    };
    // The control is linked (the gazetteer knew both names); the other force's is not.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while mentions(format!("{u}-W")).await[0]["documentId"] != doc.as_str() {
        assert!(
            std::time::Instant::now() < deadline,
            "WYP's own person was never linked to the note"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(mentions(format!("{u}-G")).await, json!([]));
    let r = app
        .graphql(
            "query($k: String!) { neighbourhood(key: $k, hops: 1, relationshipTypes: [\"PART_OF\"]) { nodes { key } } }",
            json!({ "k": format!("Document:{doc}") }),
        )
        .await;
    let nodes = r["data"]["neighbourhood"]["nodes"].to_string();
    assert!(!nodes.contains(&format!("Operation:{op}")), "{r}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_never_joins_an_operation_of_another_force() {
    let app = TestApp::spawn().await;
    let u = unique("opown");
    let op = format!("{u}-op");
    let dir = tempfile::tempdir().unwrap();
    let import_as = |force: &'static str, file: std::path::PathBuf| {
        let (app, op) = (&app, op.clone());
        async move {
            app.services
                .graph
                .import_file(
                    ImportKind::Persons,
                    &file,
                    &ImportOptions {
                        default_force: Some(force.to_owned()),
                        operation: Some(op),
                        ..ImportOptions::default()
                    },
                    &(),
                )
                .await
                .unwrap()
        }
    };
    let gmp = write(
        dir.path(),
        "gmp.csv",
        &format!("id,name\n{u}-G,Rafe Gorton\n"),
    );
    assert!(import_as("GMP", gmp).await.rejected.is_empty());
    // WYP's rows name the same operation: refused with the reason, nothing joined.
    let wyp = write(
        dir.path(),
        "wyp.csv",
        &format!("id,name\n{u}-W,Lena Parfitt\n"),
    );
    let report = import_as("WYP", wyp).await;
    assert_eq!(report.rejected.len(), 1, "{:?}", report.rejected);
    assert!(
        report.rejected[0].reason.contains("belongs to GMP"),
        "{:?}",
        report.rejected
    );
    let r = app
        .graphql(
            "query($k: String!) { neighbourhood(key: $k, hops: 1, relationshipTypes: [\"PART_OF\", \"FOR_FORCE\"]) { nodes { key } } }",
            json!({ "k": format!("Operation:{op}") }),
        )
        .await;
    let nodes = r["data"]["neighbourhood"]["nodes"].to_string();
    assert!(nodes.contains(&format!("Person:{u}-G")), "{r}");
    assert!(!nodes.contains(&format!("Person:{u}-W")), "{r}");
    assert!(!nodes.contains("Force:WYP"), "{r}");
    app.stop().await;
}
