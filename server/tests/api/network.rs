//! The intelligence network against the real Neo4j: import (bad rows, strict, idempotence),
//! name search across scripts, link analysis on the planted synthetic structures, and
//! centrality/communities checked against NetworkX on real published networks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use toex_graph::import::{ImportKind, ImportOptions};

use crate::helpers::{TestApp, error_code, reference_python, repo_root, unique};

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

fn opts(force: &str) -> ImportOptions {
    ImportOptions {
        default_force: Some(force.to_owned()),
        ..ImportOptions::default()
    }
}

async fn neighbourhood(app: &TestApp, key: &str, hops: i32) -> Value {
    let r = app
        .graphql(
            "query($k: String!, $h: Int!) { neighbourhood(key: $k, hops: $h) { nodes { key label caption } edges { from to type role count } } }",
            json!({ "k": key, "h": hops }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["neighbourhood"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reports_bad_rows_keeps_good_ones_and_is_idempotent() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let p = unique("imp");
    let persons = write(
        dir.path(),
        "persons.csv",
        &format!(
            "id,name,aliases,dob,force,rso,mappa_level\n\
             {p}-1,Ann Walker,,1990-01-02,WYP,false,\n\
             {p}-2,,,,WYP,false,\n\
             {p}-3,Bob Smith,Robert Smith;Bobby,1985-13-40,WYP,false,\n\
             {p}-4,حسن علي,Hassan Ali,1979-05-06,GMP,true,2\n\
             {p}-5,Cat Jones,,,WYP,maybe,\n"
        ),
    );
    let report = app
        .services
        .graph
        .import_file(ImportKind::Persons, &persons, &opts("WYP"), &())
        .await
        .unwrap();
    assert_eq!((report.rows, report.imported), (5, 2));
    let lines: Vec<u64> = report.rejected.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 6]);
    let shown = report.rejected[1].to_string();
    assert!(
        shown.starts_with(&format!("{}:4: ", persons.display())) && shown.contains("dob"),
        "{shown}"
    );

    // A number and a handle no other run uses (the database may be shared); the number
    // written once with a space and once in Arabic-Indic digits.
    let [(phone, phone_key), ..] = fresh_phones();
    let spaced = format!("{} {}", &phone[..5], &phone[5..]);
    let arabic_indic: String = phone
        .chars()
        .map(|c| char::from_u32(0x0660 + c.to_digit(10).unwrap()).unwrap())
        .collect();
    let handle = format!("hassan_{}", &unique("")[1..9]);
    let identifiers = write(
        dir.path(),
        "ids.csv",
        &format!(
            "person_id,kind,value,platform,first_seen,last_seen\n\
             {p}-1,phone,{spaced},,2024-01-01,2024-02-01\n\
             {p}-1,phone,not-a-phone,,,\n\
             {p}-4,phone,{arabic_indic},,2023-06-01,2024-03-01\n\
             {p}-4,account,@{handle},instagram,,\n\
             {p}-9,email,x@example.org,,,\n"
        ),
    );
    let report = app
        .services
        .graph
        .import_file(ImportKind::Identifiers, &identifiers, &opts("WYP"), &())
        .await
        .unwrap();
    assert_eq!(report.imported, 3, "{:?}", report.rejected);
    let reasons: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
    assert!(
        reasons[0].contains(":3: ") && reasons[0].contains("not-a-phone"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains(":6: ") && reasons[1].contains("not in the graph"),
        "{reasons:?}"
    );

    // Both persons use the same phone, written once in Arabic-Indic digits: one node.
    let common = app
        .graphql(
            "query($a: String!, $b: String!) { commonAssociates(a: $a, b: $b) { node { key } viaA viaB } }",
            json!({ "a": format!("Person:{p}-1"), "b": format!("Person:{p}-4") }),
        )
        .await;
    assert_eq!(
        common["data"]["commonAssociates"][0]["node"]["key"],
        format!("Phone:{phone_key}"),
        "{common}"
    );

    let before = neighbourhood(&app, &format!("Person:{p}-4"), 2).await;
    for (kind, file) in [
        (ImportKind::Persons, &persons),
        (ImportKind::Identifiers, &identifiers),
    ] {
        app.services
            .graph
            .import_file(kind, file, &opts("WYP"), &())
            .await
            .unwrap();
    }
    let after = neighbourhood(&app, &format!("Person:{p}-4"), 2).await;
    assert_eq!(
        before["edges"].as_array().unwrap().len(),
        after["edges"].as_array().unwrap().len()
    );
    assert_eq!(
        before["nodes"].as_array().unwrap().len(),
        after["nodes"].as_array().unwrap().len()
    );
    assert_eq!(after["edges"].as_array().unwrap().len(), 3, "{after}");

    // Strict: one bad row rejects the file and nothing of it is written.
    let strict = write(
        dir.path(),
        "strict.csv",
        &format!("id,name\n{p}-s1,Good Row\n{p}-s2,\n"),
    );
    let err = app
        .services
        .graph
        .import_file(
            ImportKind::Persons,
            &strict,
            &ImportOptions {
                strict: true,
                ..opts("WYP")
            },
            &(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("strict.csv:3"), "{err}");
    let r = app
        .graphql(
            "query($id: String!) { person(id: $id) { id } }",
            json!({ "id": format!("{p}-s1") }),
        )
        .await;
    assert!(r["data"]["person"].is_null(), "{r}");

    // Junk files are refused with a clear error, not a crash.
    let junk = write(dir.path(), "junk.bin", "\u{0}\u{1}");
    let err = app
        .services
        .graph
        .import_file(ImportKind::Persons, &junk, &opts("WYP"), &())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unsupported file type"), "{err}");
    let empty = write(dir.path(), "empty.csv", "");
    let err = app
        .services
        .graph
        .import_file(ImportKind::Persons, &empty, &opts("WYP"), &())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    app.stop().await;
}

/// Three mobile numbers no other test uses (digits from a fresh UUID), as written in a
/// call file and as the E.164 keys they become.
fn fresh_phones() -> [(String, String); 3] {
    let digits: String = unique("")
        .bytes()
        .filter(u8::is_ascii_digit)
        .chain(std::iter::repeat(b'0'))
        .take(15)
        .map(char::from)
        .collect();
    std::array::from_fn(|i| {
        let local = format!("07700{}{}", i, &digits[i * 5..i * 5 + 5]);
        let e164 = format!("+44{}", &local[1..]);
        (local, e164)
    })
}

/// The `CALLED` edges at `key`, in a stable order.
async fn called_edges(app: &TestApp, key: &str) -> Vec<Value> {
    let r = app
        .graphql(
            "query($k: String!) { neighbourhood(key: $k, hops: 1, relationshipTypes: [\"CALLED\"]) { edges { from to type count firstSeen lastSeen source } } }",
            json!({ "k": key }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let mut edges = r["data"]["neighbourhood"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    edges.sort_by_key(|e| e["from"].to_string());
    edges
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_records_aggregate_per_pair_and_reimport_changes_nothing() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let [(a, a_key), (b, b_key), (c, _)] = fresh_phones();
    let calls = write(
        dir.path(),
        "calls.csv",
        &format!(
            "caller,callee,start,duration,force\n\
             {a},{b},2024-03-01T10:00:00Z,60,WYP\n\
             {a},{b},2024-03-05 09:30:00,30,WYP\n\
             {a},not-a-phone,2024-03-01T10:00:00Z,5,WYP\n\
             {b},{a},2024-02-01T08:00:00+01:00,15,WYP\n\
             {a},{b},2024-01-15T12:00:00Z,20,WYP\n\
             {a},{c},2024-03-01T10:00:00Z,99999999,WYP\n"
        ),
    );
    let mut sources = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let report = app
            .services
            .graph
            .import_file(ImportKind::Calls, &calls, &opts("WYP"), &())
            .await
            .unwrap();
        assert_eq!(
            (report.rows, report.imported, report.relationships),
            (6, 4, 4)
        );
        assert_eq!(
            report.aggregates,
            Some(2),
            "four calls, two directions: two CALLED aggregates"
        );
        let lines: Vec<u64> = report.rejected.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 7], "{:?}", report.rejected);
        sources.push(report.source);
        seen.push(called_edges(&app, &format!("Phone:{a_key}")).await);
    }
    assert_eq!(sources[0], sources[1], "the same file is the same import");
    assert_eq!(seen[0], seen[1], "a second import changes nothing");
    let edges = &seen[0];
    assert_eq!(edges.len(), 2, "one CALLED per direction: {edges:?}");
    let out = edges
        .iter()
        .find(|e| e["from"] == format!("Phone:{a_key}"))
        .unwrap();
    assert_eq!(out["to"], format!("Phone:{b_key}"));
    assert_eq!(out["count"], 3, "three calls a to b: {out}");
    assert!(
        out["firstSeen"]
            .as_str()
            .unwrap()
            .starts_with("2024-01-15T12:00")
            && out["lastSeen"]
                .as_str()
                .unwrap()
                .starts_with("2024-03-05T09:30"),
        "first and last call, whatever order and format they were written in: {out}"
    );
    assert_eq!(out["source"], sources[0].as_str());
    let back = edges
        .iter()
        .find(|e| e["from"] == format!("Phone:{b_key}"))
        .unwrap();
    assert_eq!(back["count"], 1);
    assert!(
        back["firstSeen"]
            .as_str()
            .unwrap()
            .starts_with("2024-02-01T07:00"),
        "an offset time is stored as the same instant in UTC: {back}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_search_tolerates_spelling_and_script() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    // A surname of letters no one else has, so other tests' persons never match.
    let tag: String = unique("")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(10)
        .map(|c| (b'b' + (c.to_digit(16).unwrap() as u8 % 20)) as char)
        .collect();
    let surname = format!("Zz{tag}");
    let p = unique("ppl");
    let file = write(
        dir.path(),
        "people.jsonl",
        &[
            json!({"id": format!("{p}-1"), "name": format!("Mohammed {surname}"), "force": "WYP"}),
            json!({"id": format!("{p}-2"), "name": format!("Muhammad {surname}"), "force": "WYP"}),
            json!({"id": format!("{p}-3"), "name": format!("محمد {surname}"), "force": "GMP"}),
            json!({"id": format!("{p}-4"), "name": format!("Omar {surname}"), "force": "WYP"}),
            json!({"id": format!("{p}-5"), "name": "Someone Else", "aliases": [format!("Mohamed {surname}")], "force": "WYP"}),
        ]
        .iter()
        .map(|v| v.to_string() + "\n")
        .collect::<String>(),
    );
    let report = app
        .services
        .graph
        .import_file(ImportKind::Persons, &file, &opts("WYP"), &())
        .await
        .unwrap();
    assert_eq!(report.imported, 5, "{:?}", report.rejected);

    let find = |name: String| {
        let app = &app;
        async move {
            let r = app
                .graphql(
                    "query($n: String!) { people(name: $n, first: 20) { edges { node { person { id name } score } } } }",
                    json!({ "n": name }),
                )
                .await;
            assert!(r["errors"].is_null(), "{r}");
            r["data"]["people"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["person"]["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    for query in [
        format!("Mohammed {surname}"),
        format!("Mohamed {surname}"),
        format!("محمد {surname}"),
    ] {
        let mut ids = find(query.clone()).await;
        ids.sort();
        assert_eq!(
            ids,
            vec![
                format!("{p}-1"),
                format!("{p}-2"),
                format!("{p}-3"),
                format!("{p}-5")
            ],
            "{query}"
        );
    }
    // The exact spelling ranks first.
    assert_eq!(
        find(format!("Muhammad {surname}")).await[0],
        format!("{p}-2")
    );
    assert_eq!(
        find(format!("Omar {surname}")).await,
        vec![format!("{p}-4")]
    );

    let bad = app
        .graphql(
            "{ people(name: \"!!! ???\") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad), Some("BAD_INPUT"), "{bad}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_analysis_finds_the_planted_structures() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    toex_synthetic::generate(
        dir.path(),
        toex_synthetic::Scale {
            persons: 40,
            calls: 200,
            seed: 3,
        },
    )
    .unwrap();
    for (file, kind) in toex_graph::import::IMPORT_ORDER {
        let report = app
            .services
            .graph
            .import_file(*kind, &dir.path().join(file), &opts("WYP"), &())
            .await
            .unwrap();
        assert!(report.rejected.is_empty(), "{file}: {:?}", report.rejected);
    }
    let planted: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("planted.json")).unwrap())
            .unwrap();
    let shared = format!(
        "Phone:{}",
        toex_graph::identifiers::normalise_phone(planted["shared_phone"].as_str().unwrap())
            .unwrap()
    );

    // Two hops from a suspect reach the shared phone, the flat and the other suspects.
    let n = neighbourhood(&app, "Person:CSE-S1", 2).await;
    let keys: Vec<&str> = n["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["key"].as_str().unwrap())
        .collect();
    for k in [
        shared.as_str(),
        "Location:BD1 4AS",
        "Person:CSE-S2",
        "Person:CSE-S3",
        "Person:CSE-S6",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    assert!(
        n["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "INVOLVED_IN" && e["role"] == "suspect")
    );

    // Only calls, and only links seen since mid-2024, narrow it.
    let edges = called_edges(&app, &shared).await;
    let mut callees: Vec<&str> = edges.iter().map(|e| e["to"].as_str().unwrap()).collect();
    callees.dedup();
    callees.sort();
    callees.dedup();
    assert_eq!(callees.len(), 3, "three victims' phones: {edges:?}");
    assert!(
        edges
            .iter()
            .all(|e| e["type"] == "CALLED" && e["count"] == 12 && e["from"] == shared.as_str())
    );

    // Victims are linked through suspects.
    let paths = app
        .graphql(
            "{ shortestPaths(from: \"Person:CSE-V1\", to: \"Person:CSE-V2\", maxHops: 4) { nodes { key } edges { type } } }",
            json!({}),
        )
        .await;
    let paths = paths["data"]["shortestPaths"].as_array().unwrap();
    assert!(!paths.is_empty());
    assert!(paths.iter().all(
        |p| p["nodes"].as_array().unwrap().len() == paths[0]["nodes"].as_array().unwrap().len()
    ));

    let common = app
        .graphql(
            "{ commonAssociates(a: \"Person:CSE-S1\", b: \"Person:CSE-S2\") { node { key } } }",
            json!({}),
        )
        .await;
    let shared_nodes: Vec<&str> = common["data"]["commonAssociates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["node"]["key"].as_str().unwrap())
        .collect();
    assert!(
        shared_nodes.contains(&shared.as_str()) && shared_nodes.contains(&"Location:BD1 4AS"),
        "{shared_nodes:?}"
    );

    // The repeat-missing child's timeline is in order and shows the episodes.
    let t = app
        .graphql(
            "{ timeline(key: \"Person:MP-C1\") { at kind key } }",
            json!({}),
        )
        .await;
    let events = t["data"]["timeline"].as_array().unwrap();
    let ats: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "{ats:?}");
    assert!(
        events
            .iter()
            .filter(|e| e["kind"] == "missing reported")
            .count()
            >= 3
    );

    // Bad arguments are BAD_INPUT; input never becomes a relationship type.
    for q in [
        "{ neighbourhood(key: \"Person:CSE-S1\", hops: 4) { nodes { key } } }",
        "{ neighbourhood(key: \"Person:CSE-S1\", relationshipTypes: [\"KNOWS]-() DETACH DELETE n //\"]) { nodes { key } } }",
        "{ shortestPaths(from: \"Person:CSE-S1\", to: \"Person:CSE-S1\") { nodes { key } } }",
        "{ neighbourhood(key: \"Person:CSE-S1\", since: \"yesterday\") { nodes { key } } }",
    ] {
        let r = app.graphql(q, json!({})).await;
        assert_eq!(error_code(&r), Some("BAD_INPUT"), "{q}: {r}");
    }
    let missing = app
        .graphql(
            "{ neighbourhood(key: \"Person:nobody-here\") { nodes { key } } }",
            json!({}),
        )
        .await;
    assert!(missing["data"]["neighbourhood"].is_null(), "{missing}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn centrality_and_communities_match_networkx_on_real_networks() {
    let python = reference_python();
    let out = std::process::Command::new(&python)
        .arg(repo_root().join("tests/reference/networks.py"))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} cannot run ({e}); run scripts/setup.sh --test",
                python.display()
            )
        });
    assert!(
        out.status.success(),
        "networks.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: HashMap<String, Value> = serde_json::from_slice(&out.stdout).unwrap();

    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    for (name, net) in &reference {
        let run = unique("n");
        let rename = |n: &str| format!("{run}-{n}");
        let mut csv = String::from("from,to,weight\n");
        for e in net["edges"].as_array().unwrap() {
            csv.push_str(&format!(
                "\"{}\",\"{}\",1\n",
                rename(e[0].as_str().unwrap()),
                rename(e[1].as_str().unwrap())
            ));
        }
        let file = write(dir.path(), &format!("{name}.csv"), &csv);
        let op = unique(name);
        let report = app
            .services
            .graph
            .import_file(
                ImportKind::Edges,
                &file,
                &ImportOptions {
                    operation: Some(op.clone()),
                    ..opts("WYP")
                },
                &(),
            )
            .await
            .unwrap();
        assert!(report.rejected.is_empty(), "{name}: {:?}", report.rejected);
        assert_eq!(
            report.aggregates,
            Some(net["edges"].as_array().unwrap().len() as u64),
            "{name}: one ASSOCIATE_OF per listed pair"
        );

        let r = app
            .graphql(
                "query($op: String!) { centrality(selection: {operation: $op}) { nodeCount edgeCount nodes { name degree betweenness betweennessNormalized } } communities(selection: {operation: $op}) { modularity communities { size } } }",
                json!({ "op": op }),
            )
            .await;
        assert!(r["errors"].is_null(), "{name}: {r}");
        let c = &r["data"]["centrality"];
        assert_eq!(
            c["nodeCount"],
            net["degree"].as_object().unwrap().len(),
            "{name}"
        );
        assert_eq!(
            c["edgeCount"],
            net["edges"].as_array().unwrap().len(),
            "{name}"
        );
        for node in c["nodes"].as_array().unwrap() {
            let ours = node["name"].as_str().unwrap();
            let theirs = ours.strip_prefix(&format!("{run}-")).unwrap();
            assert_eq!(
                node["degree"], net["degree"][theirs],
                "{name} {theirs} degree"
            );
            for field in ["betweenness", "betweennessNormalized"] {
                let key = if field == "betweenness" {
                    "betweenness"
                } else {
                    "betweenness_normalized"
                };
                let (a, b) = (
                    node[field].as_f64().unwrap(),
                    net[key][theirs].as_f64().unwrap(),
                );
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "{name} {theirs} {field}: ours {a}, networkx {b}"
                );
            }
        }
        let ours = r["data"]["communities"]["modularity"].as_f64().unwrap();
        let theirs = net["louvain_modularity"].as_f64().unwrap();
        assert!(
            ours >= theirs - 0.03,
            "{name}: Louvain modularity {ours} vs networkx {theirs}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warming_neo4js_plans_runs_every_page_query_and_counts_no_statement_of_a_request() {
    let app = TestApp::spawn().await;
    assert!(
        app.services
            .graph
            .wait_until_up(std::time::Duration::from_secs(60))
            .await
    );
    let before = app.services.graph.statements_run();
    let done = app.services.graph.warm_up().await;
    assert_eq!(done.failed, 0, "{done:?}");
    // Every page's query (15: three neighbourhood depths, two path lengths and ten more)
    // in each of five scope shapes, with scopes that hold nothing; and the expanding ones
    // again on real nodes when the network has some (another test may not have imported
    // any yet).
    assert!(done.planned >= 75, "{done:?}");
    // Its statements are not counted with the server's (a request's N+1 check reads that
    // count); the server's own background work (the names re-linker) may add a few.
    let counted = app.services.graph.statements_run() - before;
    assert!(
        counted < done.planned as u64 / 10,
        "{counted} statements counted during a warm-up of {}",
        done.planned
    );
    app.stop().await;
}
