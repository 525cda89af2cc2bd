//! A case exported as a bundle and read back into an empty database (its own Neo4j and
//! index): the same persons, identifiers, incidents, missing episodes, calls (as their
//! aggregates), documents, notes, charts, nodes and relationships; a bundle altered
//! after export is refused whole.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::json;
use toex_graph::import::ImportKind;

use toex_access::Role;

use crate::helpers::{Neo4jProcess, TestApp, error_code, gql, import_all, unique, user_client};

fn write(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

/// Every entry of a ZIP, by name.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut body = Vec::new();
            f.read_to_end(&mut body).unwrap();
            (f.name().unwrap().to_string(), body)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_export_re_imports_into_an_empty_database_with_the_same_counts() {
    let app = TestApp::spawn().await;
    let u = unique("case");
    let op = format!("Op {u}");
    let digits = u
        .bytes()
        .fold(11u32, |h, b| h.wrapping_mul(37).wrapping_add(b.into()))
        % 1000;
    let phone = format!("+447700902{digits:03}");
    // A surname of this run only: a namesake left by an earlier run would make the
    // name ambiguous, and an ambiguous name is linked to nobody.
    let surname: String = u
        .chars()
        .rev()
        .filter(char::is_ascii_hexdigit)
        .take(6)
        .map(|c| char::from(b'a' + c.to_digit(16).unwrap() as u8))
        .collect();
    let surname = format!("Quill{surname}");
    let dir = tempfile::tempdir().unwrap();
    let persons = write(
        dir.path(),
        "persons.csv",
        &format!(
            "id,name,aliases,dob,gender,force,operation,rso,visor_category,mappa_level,vulnerabilities,protected\n\
             {u}-S,Barnaby {surname},Barney Q,1979-01-01,male,WYP,{op},true,1,2,,false\n\
             {u}-V,Clementine Ashgrove,,2009-05-05,female,WYP,{op},false,,,child;missing,true\n"
        ),
    );
    let identifiers = write(
        dir.path(),
        "identifiers.csv",
        &format!(
            "person_id,kind,value,platform,postcode,lat,lon,first_seen,last_seen,force\n\
             {u}-S,phone,{phone},,,,,2024-01-01,2024-06-01,WYP\n\
             {u}-S,account,quill_{digits},snapchat,,,,2024-02-01,,WYP\n\
             {u}-S,address,LS6 3AB,,LS6 3AB,53.8190,-1.5710,2024-01-01,2024-06-01,WYP\n\
             {u}-V,phone,+447700903{digits:03},,,,,2024-03-01,,WYP\n"
        ),
    );
    let incidents = write(
        dir.path(),
        "incidents.csv",
        &format!(
            "id,crime_type,offence_code,occurred_at,harm,postcode,lat,lon,force,operation,people\n\
             {u}-I1,Sexual activity with a child,22A,2024-03-02T21:00:00Z,,LS6 3AB,53.8190,-1.5710,WYP,{op},{u}-S:suspect;{u}-V:victim\n"
        ),
    );
    let missing = write(
        dir.path(),
        "missing.csv",
        &format!(
            "id,person_id,reported_at,returned_at,risk_grade,from_postcode,from_lat,from_lon,found_postcode,found_lat,found_lon,force\n\
             {u}-M1,{u}-V,2024-05-01T18:00:00Z,2024-05-02T09:00:00Z,high,LS6 3AB,53.8190,-1.5710,LS2 7EE,53.8000,-1.5500,WYP\n"
        ),
    );
    let calls = write(
        dir.path(),
        "calls.csv",
        &format!(
            "caller,callee,start,duration,force\n\
             {phone},+447700903{digits:03},2024-03-01T20:00:00Z,60,WYP\n\
             {phone},+447700903{digits:03},2024-03-02T20:00:00Z,45,WYP\n\
             {phone},+447700903{digits:03},2024-03-09T21:30:00Z,400,WYP\n"
        ),
    );
    import_all(
        &app,
        &[
            (ImportKind::Persons, &persons),
            (ImportKind::Identifiers, &identifiers),
            (ImportKind::Incidents, &incidents),
            (ImportKind::Missing, &missing),
            (ImportKind::Calls, &calls),
        ],
    )
    .await;
    let mut docs = Vec::new();
    for text in [
        format!("Barnaby {surname} said to ring {phone} after the party at LS6 3AB."),
        format!("Clementine was collected in a silver car, the driver used {phone}."),
    ] {
        let r = app
            .graphql(
                "mutation($x: String!, $op: String!) { ingestText(input: {title: \"statement\", text: $x, force: \"WYP\", operation: $op, sourceType: \"statement\"}) { id } }",
                json!({"x": text, "op": op}),
            )
            .await;
        docs.push(
            r["data"]["ingestText"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_owned(),
        );
    }
    // The names re-linker has run (as it does in the background): the documents name
    // the persons imported before them.
    app.services.refresh_names().await.unwrap();
    for (on, kind, text) in [
        (
            format!("Document:{}", docs[0]),
            "NOTE",
            "the party was on a Friday",
        ),
        (format!("Person:{u}-S"), "TAG", "priority"),
        (format!("Document:{}", docs[1]), "BOOKMARK", ""),
    ] {
        let r = app
            .graphql(
                "mutation($on: String!, $k: AnnotationKind!, $t: String!, $op: String!) { annotate(on: $on, kind: $k, text: $t, force: \"WYP\", operation: $op) { id } }",
                json!({"on": on, "k": kind, "t": text, "op": op}),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let r = app
        .graphql(
            "mutation($op: String!, $k: [String!]!) { saveChart(name: \"the handset\", force: \"WYP\", operation: $op, keys: $k) { id } }",
            json!({"op": op, "k": [format!("Person:{u}-S"), format!("Phone:{phone}")]}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");

    // Exported through the API: a link to the ZIP, which streams.
    let r = app
        .graphql(
            "mutation($op: String!) { exportCase(operation: $op) { url bytes manifest } }",
            json!({"op": op}),
        )
        .await;
    let export = &r["data"]["exportCase"];
    let url = export["url"].as_str().unwrap_or_else(|| panic!("{r}"));
    let manifest = export["manifest"].clone();
    let counts = manifest["counts"].clone();
    for (what, n) in [
        ("persons", 2),
        ("identifiers", 4),
        ("incidents", 1),
        ("missing", 1),
        ("documents", 2),
        ("annotations", 3),
        ("charts", 1),
    ] {
        assert_eq!(counts[what], n, "{what}: {manifest}");
    }
    assert!(counts["relationships"].as_u64() >= Some(10), "{manifest}");
    let response = reqwest::get(app.url(url)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.unwrap().to_vec();
    assert_eq!(bytes.len() as i64, export["bytes"].as_i64().unwrap());
    let files = entries(&bytes);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for name in [
        "MANIFEST.json",
        "MARKING.txt",
        "persons.csv",
        "identifiers.csv",
        "incidents.csv",
        "missing.csv",
        "documents.jsonl",
        "annotations.jsonl",
        "charts.jsonl",
        "nodes.csv",
        "relationships.csv",
        "case.graphml",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let marking = &files.iter().find(|(n, _)| n == "MARKING.txt").unwrap().1;
    assert_eq!(
        String::from_utf8_lossy(marking).trim(),
        manifest["marking"].as_str().unwrap()
    );
    // The link is the download's only key: a wrong signature is refused.
    let forged = url.replace("signature=", "signature=0");
    assert_eq!(reqwest::get(app.url(&forged)).await.unwrap().status(), 403);
    let bundle = dir.path().join("case.zip");
    std::fs::write(&bundle, &bytes).unwrap();

    // Read back into an empty database and index.
    let empty_dir = tempfile::tempdir().unwrap();
    let mut empty = tokio::task::spawn_blocking({
        let d = empty_dir.path().to_owned();
        move || Neo4jProcess::start(&d, 0)
    })
    .await
    .unwrap();
    let other = TestApp::spawn_with(&empty.uri(), tempfile::tempdir().unwrap()).await;
    assert!(
        other
            .services
            .graph
            .wait_until_up(Duration::from_secs(60))
            .await
    );
    let imported = other.services.import_case(&bundle).await.unwrap();
    assert_eq!(
        imported.counts,
        serde_json::from_value(counts.clone()).unwrap()
    );
    let scope = toex_graph::Scope::new(&["WYP".to_owned()], &[], true).unwrap();
    let again_path = dir.path().join("again.zip");
    let again = other
        .services
        .export_case(
            &scope,
            &op,
            "test",
            "OFFICIAL-SENSITIVE",
            std::fs::File::create(&again_path).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&again.counts).unwrap(),
        counts,
        "exported again from the database it was read into"
    );
    // The records themselves read back the same (relationships name the import that
    // made them, so only their number is compared).
    for file in [
        "persons.csv",
        "identifiers.csv",
        "incidents.csv",
        "missing.csv",
        "annotations.jsonl",
        "charts.jsonl",
        "nodes.csv",
    ] {
        assert_eq!(
            again.files.get(file),
            manifest["files"][file].as_str().map(str::to_owned).as_ref(),
            "{file} reads back the same"
        );
    }
    let called = "query($k: String!) { neighbourhood(key: $k, relationshipTypes: [\"CALLED\"]) { edges { from to count firstSeen lastSeen } } }";
    let before = app
        .graphql(called, json!({"k": format!("Phone:{phone}")}))
        .await;
    let after = other
        .graphql(called, json!({"k": format!("Phone:{phone}")}))
        .await;
    assert_eq!(
        before["data"]["neighbourhood"]["edges"][0]["count"], 3,
        "{before}"
    );
    assert_eq!(after, before, "the calls' aggregate, before and after");
    let case = "query($op: String!) { case(operation: $op) { documents persons incidents missingEpisodes notes { text } bookmarks { on { key } } charts { name graph { nodes { key } edges { type } } } } }";
    let before = app.graphql(case, json!({"op": op})).await;
    let after = other.graphql(case, json!({"op": op})).await;
    assert_eq!(before["data"]["case"]["documents"], 2, "{before}");
    assert_eq!(
        after, before,
        "the case as its team sees it, before and after"
    );

    // A bundle altered after export is refused whole, naming the file.
    let tampered = dir.path().join("tampered.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&tampered).unwrap());
        for (name, body) in &files {
            zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            let body = if name == "persons.csv" {
                String::from_utf8_lossy(body)
                    .replace("Barnaby", "Bernard")
                    .into_bytes()
            } else {
                body.clone()
            };
            zip.write_all(&body).unwrap();
        }
        zip.finish().unwrap();
    }
    let err = other.services.import_case(&tampered).await.unwrap_err();
    assert!(err.to_string().contains("persons.csv"), "{err}");

    // Exporting is a supervisor's act, and only of a case in their forces.
    let export = "mutation($op: String!) { exportCase(operation: $op) { url } }";
    let analyst = user_client(&app.users, &unique("analyst"), Role::Analyst, &["WYP"]);
    let r = gql(&analyst, &app, export, json!({"op": op})).await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let outsider = user_client(&app.users, &unique("gmp"), Role::Supervisor, &["GMP"]);
    let r = gql(&outsider, &app, export, json!({"op": op})).await;
    assert_eq!(error_code(&r), Some("BAD_INPUT"), "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no operation"),
        "{r}"
    );
    other.stop().await;
    tokio::task::spawn_blocking(move || empty.stop())
        .await
        .unwrap();
    app.stop().await;
}
