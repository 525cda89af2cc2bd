//! Security against the real Neo4j and index: authentication (API tokens, JWT), force
//! compartments on every root field, victim redaction, the hash-chained audit log, and
//! the hardened surface (aliases, purpose, rate limits, CORS, introspection).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use toex_access::{Role, UserStore};
use toex_graph::import::ImportKind;

use crate::helpers::{
    TestApp, client_with_token, error_code, gql, import_all, unique, user_client,
};

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

/// Two forces' worth of parallel data: persons (one protected victim each), a phone
/// both suspects use, a phone only B's uses, incidents, missing episodes, documents.
struct World {
    u: String,
    op_a: String,
    /// A second operation of force A: what a user confined to `op_a` must never see.
    op_a2: String,
    op_b: String,
    doc_a: String,
    doc_a2: String,
    doc_b: String,
    job_a2: String,
    job_b: String,
    /// A chart of force A's team holding A's and B's nodes, and one of B's team.
    chart_a: String,
    chart_b: String,
}

async fn seed(app: &TestApp) -> World {
    let u = unique("sec");
    let (op_a, op_a2, op_b) = (
        format!("Op {u} A"),
        format!("Op {u} A2"),
        format!("Op {u} B"),
    );
    let dir = tempfile::tempdir().unwrap();
    let persons = write(
        dir.path(),
        "persons.csv",
        &format!(
            "id,name,aliases,dob,gender,force,operation,rso,visor_category,mappa_level,vulnerabilities,protected\n\
             {u}-B-S1,Zebedee Quartermain,Zeb Q,1979-01-01,male,TESTB,{op_b},true,1,2,,false\n\
             {u}-B-V1,Bathsheba Vexillary,,2010-05-05,female,TESTB,{op_b},false,,,,true\n\
             {u}-A-S1,Alaric Testasuspect,,1980-01-01,male,TESTA,{op_a},true,1,2,,false\n\
             {u}-A-V1,Philippa Protectedname,,2010-01-01,female,TESTA,{op_a},false,,,,true\n\
             {u}-A-S2,Ignatius Secondop,,1981-01-01,male,TESTA,{op_a2},true,1,2,,false\n\
             {u}-A-V2,Euphemia Otherop,,2011-01-01,female,TESTA,{op_a2},false,,,,false\n"
        ),
    );
    // B first, so the shared phone's node is owned by TESTB.
    let identifiers = write(
        dir.path(),
        "identifiers.csv",
        &format!(
            "person_id,kind,value,platform,postcode,lat,lon,first_seen,last_seen,force\n\
             {u}-B-S1,phone,+447700900888,,,,,2024-01-01,2024-06-01,TESTB\n\
             {u}-B-S1,phone,+447700900777,,,,,2024-01-01,2024-06-01,TESTB\n\
             {u}-B-S1,address,LS2 7BB,,LS2 7BB,53.8030,-1.5500,2024-01-01,2024-06-01,TESTB\n\
             {u}-A-S1,phone,+447700900888,,,,,2024-02-01,2024-05-01,TESTA\n\
             {u}-A-S1,address,LS1 4AA,,LS1 4AA,53.7960,-1.5480,2024-01-01,2024-06-01,TESTA\n\
             {u}-A-S2,phone,+447700900888,,,,,2024-02-01,2024-05-01,TESTA\n\
             {u}-A-S2,phone,+447700900555,,,,,2024-02-01,2024-05-01,TESTA\n\
             {u}-A-S2,address,LS3 9CC,,LS3 9CC,53.8200,-1.6000,2024-01-01,2024-06-01,TESTA\n"
        ),
    );
    let incidents = write(
        dir.path(),
        "incidents.csv",
        &format!(
            "id,crime_type,offence_code,occurred_at,harm,postcode,lat,lon,force,operation,people\n\
             {u}-B-I1,Rape of a female aged 16 and over,19C,2024-03-02T21:00:00Z,,LS2 7BB,53.8030,-1.5500,TESTB,{op_b},{u}-B-S1:suspect;{u}-B-V1:victim\n\
             {u}-B-I2,Rape of a female aged 16 and over,19C,2024-04-02T21:00:00Z,,LS2 7BB,53.8030,-1.5500,TESTB,{op_b},{u}-B-S1:suspect;{u}-B-V1:victim\n\
             {u}-A-I1,Rape of a female aged 16 and over,19C,2024-03-01T21:00:00Z,,LS1 4AA,53.7960,-1.5480,TESTA,{op_a},{u}-A-S1:suspect;{u}-A-V1:victim\n\
             {u}-A-I2,Rape of a female aged 16 and over,19C,2024-04-01T21:00:00Z,,LS1 4AA,53.7960,-1.5480,TESTA,{op_a},{u}-A-S1:suspect;{u}-A-V1:victim\n\
             {u}-A-I3,Rape of a female aged 16 and over,19C,2024-03-05T21:00:00Z,,LS3 9CC,53.8200,-1.6000,TESTA,{op_a2},{u}-A-S2:suspect;{u}-A-V2:victim\n\
             {u}-A-I4,Rape of a female aged 16 and over,19C,2024-04-05T21:00:00Z,,LS3 9CC,53.8200,-1.6000,TESTA,{op_a2},{u}-A-S2:suspect;{u}-A-V2:victim\n"
        ),
    );
    let missing = write(
        dir.path(),
        "missing.csv",
        &format!(
            "id,person_id,reported_at,returned_at,risk_grade,from_postcode,from_lat,from_lon,found_postcode,found_lat,found_lon,force\n\
             {u}-B-M1,{u}-B-V1,2024-05-01T18:00:00Z,2024-05-02T09:00:00Z,high,LS2 7BB,53.8030,-1.5500,LS2 7BB,53.8030,-1.5500,TESTB\n\
             {u}-A-M1,{u}-A-V1,2024-05-01T18:00:00Z,2024-05-02T09:00:00Z,high,LS1 4AA,53.7960,-1.5480,LS1 4AA,53.7960,-1.5480,TESTA\n\
             {u}-A-M2,{u}-A-V2,2024-05-03T18:00:00Z,2024-05-04T09:00:00Z,high,LS3 9CC,53.8200,-1.6000,LS3 9CC,53.8200,-1.6000,TESTA\n"
        ),
    );
    import_all(
        app,
        &[
            (ImportKind::Persons, &persons),
            (ImportKind::Identifiers, &identifiers),
            (ImportKind::Incidents, &incidents),
            (ImportKind::Missing, &missing),
        ],
    )
    .await;
    let ingest = |force: &str, op: &str, text: String| json!({ "input": { "title": format!("statement {force}"), "text": text, "force": force, "operation": op, "sourceType": "statement" } });
    let mut ids = Vec::new();
    for vars in [
        ingest(
            "TESTA",
            &op_a,
            format!(
                "Alaric Testasuspect told Philippa Protectedname to ring +447700900888 kumquatmarker {u}"
            ),
        ),
        ingest(
            "TESTA",
            &op_a2,
            format!(
                "Ignatius Secondop rang +447700900555 and +447700900888 about quincemarker kumquatmarker {u}"
            ),
        ),
        ingest(
            "TESTB",
            &op_b,
            format!("Zebedee Quartermain rang 07700900777 about zanzibarquokka kumquatmarker {u}"),
        ),
    ] {
        let r = app
            .graphql(
                "mutation($input: IngestTextInput!) { ingestText(input: $input) { id graphLinked } }",
                vars,
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
        ids.push(r["data"]["ingestText"]["id"].as_str().unwrap().to_owned());
    }
    // A job of force B and one of A's second operation, uploaded by the all-forces tester.
    let job_b = upload_job(app, "TESTB", &op_b, "zanzibarquokka note").await;
    let job_a2 = upload_job(app, "TESTA", &op_a2, "quincemarker note").await;
    // Notes and tags on B's and on A's second operation's material, one on A's own.
    for (on, kind, text) in [
        (
            format!("Document:{}", ids[2]),
            "NOTE",
            format!("zanzibarquokka with Quartermain {u}"),
        ),
        (
            format!("Person:{u}-B-S1"),
            "TAG",
            "zanzibarquokka".to_owned(),
        ),
        (
            format!("Document:{}", ids[1]),
            "NOTE",
            format!("quincemarker lead {u}"),
        ),
        (format!("Person:{u}-A-S2"), "TAG", "quincemarker".to_owned()),
        (
            format!("Document:{}", ids[0]),
            "NOTE",
            format!("kumquatmarker lead {u}"),
        ),
    ] {
        let r = app
            .graphql(
                "mutation($on: String!, $k: AnnotationKind!, $t: String!) { annotate(on: $on, kind: $k, text: $t) { id } }",
                json!({"on": on, "k": kind, "t": text}),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    // Charts: A's team's holds B's suspect too (pinned, the root); B's team's is B's.
    let mut charts = Vec::new();
    for (force, name, keys) in [
        (
            "TESTA",
            format!("chart {u}"),
            vec![
                format!("Person:{u}-A-S1"),
                "Phone:+447700900888".to_owned(),
                format!("Person:{u}-B-S1"),
                format!("Person:{u}-A-S2"),
            ],
        ),
        (
            "TESTB",
            "zanzibarquokka chart".to_owned(),
            vec![format!("Person:{u}-B-S1"), "Phone:+447700900777".to_owned()],
        ),
    ] {
        let r = app
            .graphql(
                "mutation($f: String!, $n: String!, $k: [String!]!, $root: String!) { saveChart(name: $n, force: $f, keys: $k, pinned: $k, hidden: [$root], root: $root) { id graph { nodes { key } } } }",
                json!({"f": force, "n": name, "k": keys, "root": format!("Person:{u}-B-S1")}),
            )
            .await;
        assert_eq!(
            r["data"]["saveChart"]["graph"]["nodes"]
                .as_array()
                .map(Vec::len),
            Some(keys.len()),
            "{r}"
        );
        charts.push(r["data"]["saveChart"]["id"].as_str().unwrap().to_owned());
    }
    // Cross-case matches of A's operation with B's suspect and A's second operation's.
    for person in [format!("{u}-B-S1"), format!("{u}-A-S2")] {
        let r = app
            .graphql(
                "mutation($op: String!, $p: String!) { reviewCrossLink(operation: $op, key: \"Phone:+447700900888\", personId: $p, decision: CONFIRMED, reason: \"same handset\") { decision } }",
                json!({"op": op_a, "p": person}),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    World {
        chart_a: charts[0].clone(),
        chart_b: charts[1].clone(),
        doc_a: ids[0].clone(),
        doc_a2: ids[1].clone(),
        doc_b: ids[2].clone(),
        job_a2,
        job_b,
        u,
        op_a,
        op_a2,
        op_b,
    }
}

/// Uploads one text file for `force` and `op` as the all-forces tester; the job's id.
async fn upload_job(app: &TestApp, force: &str, op: &str, body: &str) -> String {
    let operations = json!({
        "query": "mutation($files: [Upload!]!, $force: String!, $op: String) { ingestFiles(files: $files, force: $force, operation: $op) { id } }",
        "variables": { "files": [null], "force": force, "op": op },
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({"0": ["variables.files.0"]}).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(body.as_bytes().to_vec()).file_name("note.txt"),
        );
    let r: Value = app
        .client
        .post(app.url("/graphql"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["ingestFiles"]["id"].as_str().unwrap().to_owned()
}

impl World {
    /// Strings that only force B's data contains.
    fn b_markers(&self) -> Vec<String> {
        vec![
            "Quartermain".into(),
            "Vexillary".into(),
            "zanzibarquokka".into(),
            "TESTB".into(),
            "+447700900777".into(),
            "LS2 7BB".into(),
            format!("{}-B-", self.u),
            self.op_b.clone(),
            self.doc_b.clone(),
            self.job_b.clone(),
        ]
    }

    /// Strings that only force A's second operation holds (and B's): what a user
    /// confined to `op_a` must never see.
    fn outside_op_a(&self) -> Vec<String> {
        let mut m = self.b_markers();
        m.extend([
            "Secondop".into(),
            "Otherop".into(),
            "quincemarker".into(),
            "+447700900555".into(),
            "LS3 9CC".into(),
            format!("{}-A-S2", self.u),
            format!("{}-A-V2", self.u),
            format!("{}-A-I3", self.u),
            format!("{}-A-I4", self.u),
            format!("{}-A-M2", self.u),
            self.op_a2.clone(),
            self.doc_a2.clone(),
            self.job_a2.clone(),
        ]);
        m
    }

    /// Everything of A's and B's: what a user confined to an empty operation must
    /// never see.
    fn everything(&self) -> Vec<String> {
        let mut m = self.outside_op_a();
        m.extend([
            "Testasuspect".into(),
            "Protectedname".into(),
            "kumquatmarker".into(),
            // As a node key: `linkage` echoes the number it was asked about.
            "Phone:+447700900888".into(),
            "LS1 4AA".into(),
            format!("{}-A-", self.u),
            self.op_a.clone(),
            self.doc_a.clone(),
        ]);
        m
    }
}

/// Every root field of Query, each with nested paths, as a user of force A.
fn leakage_queries(w: &World) -> Vec<(&'static str, String, Value)> {
    let u = &w.u;
    let a_s1 = format!("Person:{u}-A-S1");
    let b_s1 = format!("Person:{u}-B-S1");
    vec![
        ("health", "{ health { status version neo4j { reachable } index { documents } } }".into(), json!({})),
        // No force's material is involved; English passes through without a model.
        ("translate", "{ translate(text: \"The van left at nine.\\n\\nSee you there\") { text lines engine models } }".into(), json!({})),
        ("search", "query($q: String!) { search(queryText: $q) { total facets { forces { value count } languages { value count } sourceTypes { value count } operations { value count } } edges { node { id title force snippet translationSnippet inGraph segments { highlighted speaker } } } } }".into(), json!({"q": "kumquatmarker"})),
        ("search", "query($q: String!) { search(queryText: $q, mode: HYBRID) { total edges { node { id force snippet } } } }".into(), json!({"q": "kumquatmarker quokka Quartermain"})),
        ("document", "query($a: String!, $b: String!) { a: document(id: $a) { id text force segments { text } inGraph entities { kind value text key } contents { documentId title path } } b: document(id: $b) { id text entities { value } } }".into(), json!({"a": w.doc_a, "b": w.doc_b})),
        ("moreLikeThis", "query($a: String!) { moreLikeThis(id: $a) { id force snippet } }".into(), json!({"a": w.doc_a})),
        ("moreLikeThis", "query($b: String!) { moreLikeThis(id: $b) { id } }".into(), json!({"b": w.doc_b})),
        ("person", "query($a: String!, $b: String!) { a: person(id: $a) { id name aliases force protected mentions { documentId title force text } details { dateOfBirth operations vulnerabilities } } b: person(id: $b) { id name mentions { documentId } details { dateOfBirth operations } } }".into(), json!({"a": format!("{u}-A-S1"), "b": format!("{u}-B-S1")})),
        ("people", "{ q: people(name: \"Quartermain\") { edges { node { person { id name } } } } z: people(name: \"Zebedee\") { edges { node { person { id } } } } a: people(name: \"Testasuspect\") { edges { node { person { id name force } score } } } }".into(), json!({})),
        ("neighbourhood", "query($k: String!) { neighbourhood(key: $k, hops: 3) { nodes { key label caption force protected } edges { from to type role count firstSeen lastSeen source } } }".into(), json!({"k": "Phone:+447700900888"})),
        ("neighbourhood", "query($k: String!) { neighbourhood(key: $k, hops: 2) { nodes { key caption } edges { from to } } }".into(), json!({"k": a_s1})),
        ("neighbourhood", "query($k: String!, $p: String!) { b: neighbourhood(key: $k) { nodes { key } } p: neighbourhood(key: $p) { nodes { key } } }".into(), json!({"k": b_s1, "p": "Phone:+447700900777"})),
        ("shortestPaths", "query($a: String!, $b: String!, $p: String!) { ab: shortestPaths(from: $a, to: $b, maxHops: 6) { nodes { key } edges { from to } } ap: shortestPaths(from: $a, to: $p) { nodes { key } } }".into(), json!({"a": a_s1, "b": b_s1, "p": "Phone:+447700900888"})),
        ("commonAssociates", "query($a: String!, $b: String!) { commonAssociates(a: $a, b: $b) { node { key caption force } viaA viaB } }".into(), json!({"a": a_s1, "b": b_s1})),
        ("timeline", "query($k: String!, $p: String!) { phone: timeline(key: $k) { at kind key caption detail } person: timeline(key: $p) { at kind key caption detail } }".into(), json!({"k": "Phone:+447700900888", "p": a_s1})),
        ("centrality", "query($k: String!, $op: String!) { around: centrality(selection: {around: $k, hops: 3}) { nodeCount nodes { key name degree } } op: centrality(selection: {operation: $op}) { nodes { key name } } }".into(), json!({"k": "Phone:+447700900888", "op": w.op_a})),
        ("communities", "query($k: String!) { communities(selection: {around: $k, hops: 3}) { modularity communities { size members } } }".into(), json!({"k": "Phone:+447700900888"})),
        ("hotspots", "{ i: hotspots(method: KDE, cellSize: 200, from: \"2024-01-01T00:00:00Z\", to: \"2025-01-01T00:00:00Z\") { records cells { id count harm z class } geojson places(first: 100) { cell place area records total } } v: hotspots(kind: VAWG, method: KDE, cellSize: 200) { cells { id count density } } m: hotspots(kind: MISSING, method: KDE, cellSize: 200) { cells { id count } } }".into(), json!({})),
        ("hotspotIncidents", "query($c: String!) { i: hotspotIncidents(cell: $c) { total edges { node { key caption crimeType force place } } } m: hotspotIncidents(cell: $c, kind: MISSING) { total edges { node { key force } } } }".into(), json!({"c": "CELL"})),
        ("threatProfile", "{ v: threatProfile(kind: VAWG, force: \"TESTA\", asOf: \"2025-01-01T00:00:00Z\") { total edges { node { key name force score flags explanation contributors { key description } person { name protected } } } } m: threatProfile(kind: MISSING, force: \"TESTA\", asOf: \"2025-01-01T00:00:00Z\") { edges { node { key name explanation contributors { key description } } } } r: threatProfile(kind: REGISTERED_OFFENDER, force: \"TESTA\", asOf: \"2025-01-01T00:00:00Z\") { edges { node { key name explanation contributors { key description } } } } }".into(), json!({})),
        ("forceProfile", "{ forceProfile(force: \"TESTA\", from: \"2024-01-01T00:00:00Z\", to: \"2025-01-01T00:00:00Z\") { totalIncidents categories { category count } topPerpetrators { key name explanation } repeatVictims { key name incidentKeys } repeatMissing { key name } hotspots { id count } } }".into(), json!({})),
        ("linkage", "{ a: linkage(identifier: \"+447700900888\") { kind value key unresolved operations graphDocumentCount persons { id name force via operations incidents { id crimeType } } mentions { documentId title force operation snippet entity { kind value text } segment { text } } } b: linkage(identifier: \"Zebedee Quartermain\") { value persons { id } mentions { documentId } } }".into(), json!({})),
        ("crossLinks", "query($op: String!) { o: crossLinks(operation: $op) { key kind caption documents otherDocuments documentCount person { id name force operations } explanation decision decidedBy } f: crossLinks(force: \"TESTA\") { key documents otherDocuments person { id name force } explanation } }".into(), json!({"op": w.op_a})),
        ("ingestJob", "query($j: String!) { ingestJob(id: $j) { id state files { name } } }".into(), json!({"j": w.job_b})),
        ("ingestJobs", "{ ingestJobs(first: 100) { id force operation files { name } } }".into(), json!({})),
        ("savedSearches", "{ savedSearches { id name queryText operation } }".into(), json!({})),
        ("watches", "{ watches { id key label operation } }".into(), json!({})),
        ("alerts", "{ alerts { unread items { id kind subject documentId title force operation why relationship related source } } }".into(), json!({})),
        ("annotations", "query($b: String!) { all: annotations(first: 100) { id kind on { key label caption } segment text author force operation } b: annotations(on: $b) { id text } q: annotations(query: \"zanzibarquokka\") { id text on { key caption } } q2: annotations(query: \"quincemarker\") { id text } t: annotations(tag: \"zanzibarquokka\") { id on { key caption } } t2: annotations(tag: \"quincemarker\") { id on { key } } }".into(), json!({"b": format!("Document:{}", w.doc_b)})),
        ("tags", "{ tags(first: 100) { tag count } }".into(), json!({})),
        ("charts", "{ charts(first: 100) { id name force operation owner updatedBy root pinned hidden relationshipTypes graph { nodes { key caption force } edges { from to type } } } }".into(), json!({})),
        ("chart", "query($a: String!, $b: String!) { a: chart(id: $a) { id name root pinned hidden graph { nodes { key caption } edges { from to } } } b: chart(id: $b) { id name root graph { nodes { key } } } }".into(), json!({"a": w.chart_a, "b": w.chart_b})),
        ("case", "query($op: String!) { case(operation: $op) { operation force documents persons incidents missingEpisodes savedSearches { name text owner } watches { name text } notes { text on { key caption } } bookmarks { text } charts { name graph { nodes { key } } } decisions { key personId } team } }".into(), json!({"op": w.op_a})),
        ("crossLinkDecisions", "query($op: String!) { crossLinkDecisions(operation: $op) { operation key personId decision reason decidedBy decidedAt } }".into(), json!({"op": w.op_a})),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_of_one_force_sees_nothing_of_another_on_any_root_field() {
    let app = TestApp::spawn().await;
    let w = seed(&app).await;
    let analyst = user_client(&app.users, &format!("{}-a", w.u), Role::Analyst, &["TESTA"]);

    // Sanity: force B's data is there for someone who may see it.
    let all = app
        .graphql(
            "query($q: String!) { search(queryText: $q) { total } }",
            json!({"q": "zanzibarquokka"}),
        )
        .await;
    assert!(
        all["data"]["search"]["total"].as_u64().unwrap() >= 1,
        "{all}"
    );

    let wide = app
        .graphql(
            "{ neighbourhood(key: \"Phone:+447700900888\", hops: 2) { nodes { caption } } }",
            json!({}),
        )
        .await;
    assert!(
        wide.to_string().contains("Quartermain"),
        "B's suspect is one hop from the phone: {wide}"
    );

    // The cell around A's incidents, from A's own map.
    let map = gql(
        &analyst,
        &app,
        "{ hotspots(method: KDE, cellSize: 200) { cells { id count } } }",
        json!({}),
    )
    .await;
    let cells = map["data"]["hotspots"]["cells"]
        .as_array()
        .unwrap_or_else(|| panic!("{map}"))
        .clone();
    assert!(!cells.is_empty(), "{map}");

    let cells: Vec<Value> = cells.iter().map(|c| c["id"].clone()).collect();
    let covered = walk(&analyst, &app, &w, &cells, &w.b_markers(), Errors::None).await;
    // A's own data does come back (the filters are not simply empty).
    let own = gql(
        &analyst,
        &app,
        "query($q: String!) { search(queryText: $q) { total facets { forces { value } } } }",
        json!({"q": "kumquatmarker"}),
    )
    .await;
    assert_eq!(
        own["data"]["search"]["facets"]["forces"],
        json!([{"value": "TESTA"}]),
        "{own}"
    );
    let n = gql(&analyst, &app, "{ neighbourhood(key: \"Phone:+447700900888\", hops: 1) { nodes { key force } edges { from } } }", json!({})).await;
    let nodes = n["data"]["neighbourhood"]["nodes"].as_array().unwrap();
    let a_s1 = format!("Person:{}-A-S1", w.u);
    assert!(
        nodes.iter().any(|x| x["key"] == a_s1.as_str()),
        "A's suspect uses the phone: {n}"
    );
    assert!(
        nodes
            .iter()
            .any(|x| x["key"] == "Phone:+447700900888" && x["force"].is_null()),
        "the phone is owned by B, so A sees it without an owner: {n}"
    );
    assert!(
        nodes
            .iter()
            .all(|x| x["force"].is_null() || x["force"] == "TESTA"),
        "{n}"
    );

    // Asking for force B outright is FORBIDDEN, and the error names nothing of B's data.
    for q in [
        "{ search(queryText: \"kumquatmarker\", filter: {forces: [\"TESTB\"]}) { total } }",
        "{ hotspots(force: \"TESTB\") { records } }",
        "{ threatProfile(kind: VAWG, force: \"TESTB\") { total } }",
        "{ forceProfile(force: \"TESTB\", from: \"2024-01-01T00:00:00Z\", to: \"2025-01-01T00:00:00Z\") { totalIncidents } }",
        "{ auditLog { seq } }",
    ] {
        let r = gql(&analyst, &app, q, json!({})).await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{q}: {r}");
        assert!(
            r["data"].is_null() || !r.to_string().contains("Quartermain"),
            "{r}"
        );
    }
    let r = gql(
        &analyst,
        &app,
        "query($op: String!) { centrality(selection: {operation: $op}) { nodeCount } }",
        json!({"op": w.op_b}),
    )
    .await;
    assert_eq!(
        error_code(&r),
        Some("NOT_FOUND"),
        "another force's operation looks like none: {r}"
    );
    let r = gql(&analyst, &app, "mutation { ingestText(input: {title: \"x\", text: \"y\", force: \"TESTB\", sourceType: \"note\"}) { id } }", json!({})).await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let r = gql(
        &analyst,
        &app,
        "mutation { translateDocuments(force: \"TESTB\") { id total } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");

    // A supervisor of force A exports A's case: nothing of B's is in the bundle; an
    // analyst may not export at all.
    let r = gql(
        &analyst,
        &app,
        "mutation($op: String!) { exportCase(operation: $op) { url } }",
        json!({"op": w.op_a}),
    )
    .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let supervisor = user_client(
        &app.users,
        &format!("{}-sup", w.u),
        Role::Supervisor,
        &["TESTA"],
    );
    let r = gql(
        &supervisor,
        &app,
        "mutation($op: String!) { exportCase(operation: $op) { url manifest } }",
        json!({"op": w.op_a}),
    )
    .await;
    let url = r["data"]["exportCase"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"));
    let bytes = reqwest::get(app.url(url))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        for m in w.b_markers() {
            assert!(
                !text.contains(&m),
                "{} of A's case bundle holds B's `{m}`",
                entry.name().unwrap()
            );
        }
    }
    assert!(
        r.to_string().contains("\"documents\":1"),
        "A's own case is in it: {r}"
    );

    // Every root field of Query was walked.
    let schema = app
        .graphql("{ __schema { queryType { fields { name } } } }", json!({}))
        .await;
    let missing: Vec<String> = schema["data"]["__schema"]["queryType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str())
        .filter(|n| !covered.contains(n) && *n != "auditLog")
        .map(str::to_owned)
        .collect();
    assert!(
        missing.is_empty(),
        "root fields the leakage test does not walk: {missing:?}"
    );
    app.stop().await;
}

/// A client for an analyst of force A confined to `operations`.
fn confined_client(app: &TestApp, name: &str, operations: &[String]) -> reqwest::Client {
    let mut store = UserStore::open(&app.users).unwrap();
    store
        .add_user(name, Role::Analyst, &["TESTA".to_owned()], operations)
        .unwrap();
    let (_, token) = store.create_token(name, "test", None).unwrap();
    store.save().unwrap();
    client_with_token(&token)
}

/// Which errors a walk accepts.
#[derive(Clone, Copy, PartialEq)]
enum Errors {
    /// None at all: the caller holds everything the queries name.
    None,
    /// Only ones that say "not yours" (FORBIDDEN, NOT_FOUND): never INTERNAL.
    NotYours,
}

/// Walks every leakage query as `client`: no marker anywhere in any answer (in its data
/// only, when "not yours" errors may echo what was asked). The root fields walked.
async fn walk(
    client: &reqwest::Client,
    app: &TestApp,
    w: &World,
    cells: &[Value],
    markers: &[String],
    errors: Errors,
) -> std::collections::BTreeSet<&'static str> {
    let mut covered = std::collections::BTreeSet::new();
    for (field, query, mut vars) in leakage_queries(w) {
        covered.insert(field);
        let cell_queries: Vec<Value> = if vars.get("c").is_some() {
            cells.to_vec()
        } else {
            vec![Value::Null]
        };
        for cell in cell_queries {
            if !cell.is_null() {
                vars["c"] = cell;
            }
            let r = gql(client, app, &query, vars.clone()).await;
            let seen = match errors {
                Errors::None => r.to_string(),
                Errors::NotYours => r["data"].to_string(),
            };
            for m in markers {
                assert!(!seen.contains(m.as_str()), "{field} leaked `{m}`: {r}");
            }
            for e in r["errors"].as_array().into_iter().flatten() {
                let code = e["extensions"]["code"].as_str();
                let allowed =
                    errors == Errors::NotYours && matches!(code, Some("FORBIDDEN" | "NOT_FOUND"));
                assert!(allowed, "{field}: {r}");
            }
        }
    }
    covered
}

// Regression: a user confined to an operation that holds nothing got persons, people,
// a 25-node neighbourhood, another operation's centrality, profiles, hot spots, linkage
// and ingest jobs; only search, document and moreLikeThis were confined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_compartments_hold_on_every_root_field() {
    let app = TestApp::spawn().await;
    let w = seed(&app).await;
    let all_a = user_client(
        &app.users,
        &format!("{}-all", w.u),
        Role::Analyst,
        &["TESTA"],
    );
    let map = gql(
        &all_a,
        &app,
        "{ hotspots(method: KDE, cellSize: 200) { cells { id } } }",
        json!({}),
    )
    .await;
    let cells: Vec<Value> = map["data"]["hotspots"]["cells"]
        .as_array()
        .unwrap_or_else(|| panic!("{map}"))
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert!(
        cells.len() >= 2,
        "both operations' places are mapped: {map}"
    );
    // Sanity: the unconfined analyst of A sees the second operation.
    let r = gql(
        &all_a,
        &app,
        "query($id: String!) { person(id: $id) { name } }",
        json!({"id": format!("{}-A-S2", w.u)}),
    )
    .await;
    assert_eq!(r["data"]["person"]["name"], "Ignatius Secondop", "{r}");

    let in_a = confined_client(
        &app,
        &format!("{}-op-a", w.u),
        std::slice::from_ref(&w.op_a),
    );
    walk(&in_a, &app, &w, &cells, &w.outside_op_a(), Errors::NotYours).await;
    let empty = confined_client(
        &app,
        &format!("{}-op-none", w.u),
        &[format!("Op {} empty", w.u)],
    );
    walk(&empty, &app, &w, &cells, &w.everything(), Errors::NotYours).await;

    // Within op A the filters are not simply empty: its own material comes back.
    let a_s1 = format!("Person:{}-A-S1", w.u);
    for (query, vars, expect) in [
        (
            "query($id: String!) { person(id: $id) { name } }",
            json!({"id": format!("{}-A-S1", w.u)}),
            "Testasuspect",
        ),
        (
            "{ search(queryText: \"kumquatmarker\") { edges { node { id } } } }",
            json!({}),
            w.doc_a.as_str(),
        ),
        (
            "{ neighbourhood(key: \"Phone:+447700900888\", hops: 1) { nodes { key } } }",
            json!({}),
            a_s1.as_str(),
        ),
        (
            "{ threatProfile(kind: VAWG, force: \"TESTA\", asOf: \"2025-01-01T00:00:00Z\") { edges { node { key } } } }",
            json!({}),
            a_s1.as_str(),
        ),
        (
            "query($op: String!) { centrality(selection: {operation: $op}) { nodes { key } } }",
            json!({"op": w.op_a}),
            a_s1.as_str(),
        ),
    ] {
        let r = gql(&in_a, &app, query, vars).await;
        assert!(
            r["errors"].is_null() && r["data"].to_string().contains(expect),
            "{query}: {r}"
        );
    }
    // Writes: outside the compartment, or in no operation, are refused; a document of
    // another operation cannot be corrected (nor its text learned).
    for (query, vars) in [
        (
            "mutation($op: String!) { ingestText(input: {title: \"x\", text: \"y\", force: \"TESTA\", operation: $op, sourceType: \"note\"}) { id } }",
            json!({"op": w.op_a2}),
        ),
        (
            "mutation { ingestText(input: {title: \"x\", text: \"y\", force: \"TESTA\", sourceType: \"note\"}) { id } }",
            json!({}),
        ),
        (
            "mutation($op: String!) { translateDocuments(force: \"TESTA\", operation: $op) { id } }",
            json!({"op": w.op_a2}),
        ),
    ] {
        let r = gql(&in_a, &app, query, vars).await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{query}: {r}");
    }
    let r = gql(&in_a, &app, "mutation($d: String!) { correctTranslation(documentId: $d, text: \"overwritten\") { text } }", json!({"d": w.doc_a2})).await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    assert!(!r.to_string().contains("quincemarker"), "{r}");
    let r = app
        .graphql(
            "query($d: String!) { document(id: $d) { correctedTranslation { text } } }",
            json!({"d": w.doc_a2}),
        )
        .await;
    assert!(
        r["data"]["document"]["correctedTranslation"].is_null(),
        "nothing was written: {r}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_victims_are_redacted_for_analysts_everywhere() {
    let app = TestApp::spawn().await;
    let w = seed(&app).await;
    let analyst = user_client(
        &app.users,
        &format!("{}-an", w.u),
        Role::Analyst,
        &["TESTA"],
    );
    let supervisor = user_client(
        &app.users,
        &format!("{}-sv", w.u),
        Role::Supervisor,
        &["TESTA"],
    );
    let hidden = ["Philippa", "Protectedname"];
    let queries = [
        format!("{{ search(queryText: \"kumquatmarker {}\") {{ edges {{ node {{ snippet title }} }} }} }}", w.u),
        format!("{{ document(id: \"{}\") {{ text segments {{ text }} }} }}", w.doc_a),
        format!("{{ person(id: \"{}-A-V1\") {{ name aliases protected }} }}", w.u),
        format!("{{ neighbourhood(key: \"Person:{}-A-S1\", hops: 2) {{ nodes {{ key caption protected }} }} }}", w.u),
        format!("{{ timeline(key: \"Person:{}-A-V1\") {{ caption detail }} }}", w.u),
        "{ threatProfile(kind: MISSING, force: \"TESTA\", asOf: \"2025-01-01T00:00:00Z\", first: 100) { edges { node { name explanation person { name } contributors { description } } } } }".to_owned(),
        "{ forceProfile(force: \"TESTA\", from: \"2024-01-01T00:00:00Z\", to: \"2025-01-01T00:00:00Z\") { repeatVictims { name } } }".to_owned(),
    ];
    for q in &queries {
        let r = gql(&analyst, &app, q, json!({})).await;
        assert!(r["errors"].is_null(), "{q}: {r}");
        let text = r.to_string();
        for h in hidden {
            assert!(!text.contains(h), "an analyst saw `{h}`: {text}");
        }
    }
    let r = gql(&analyst, &app, &queries[0], json!({})).await;
    assert!(r.to_string().contains("[Protected person "), "{r}");
    let r = gql(&analyst, &app, &queries[2], json!({})).await;
    let name = r["data"]["person"]["name"].as_str().unwrap();
    assert!(name.starts_with("[Protected person "), "{r}");
    assert_eq!(r["data"]["person"]["protected"], true);
    // Searching a protected name finds no person for an analyst.
    let r = gql(
        &analyst,
        &app,
        "{ people(name: \"Philippa Protectedname\") { edges { node { person { id } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(r["data"]["people"]["edges"], json!([]), "{r}");

    // A supervisor of the force sees the names.
    let r = gql(&supervisor, &app, &queries[2], json!({})).await;
    assert_eq!(r["data"]["person"]["name"], "Philippa Protectedname", "{r}");
    let r = gql(&supervisor, &app, &queries[0], json!({})).await;
    assert!(r.to_string().contains("Philippa"), "{r}");
    app.stop().await;
}

fn toex(app: &TestApp, args: &[&str], audit: &Path, key: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_toex"))
        .args(args)
        .env("TOEX_AUDIT_PATH", audit)
        .env("TOEX_AUDIT_KEY_FILE", key)
        .env("TOEX_AUTH_USERS", &app.users)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_is_audited_in_a_chain_that_shows_tampering() {
    let app = TestApp::spawn().await;
    let u = unique("aud");
    let analyst = user_client(&app.users, &format!("{u}-an"), Role::Analyst, &["WYP"]);
    let supervisor = user_client(&app.users, &format!("{u}-sv"), Role::Supervisor, &["WYP"]);
    let other = user_client(&app.users, &format!("{u}-gmp"), Role::Supervisor, &["GMP"]);
    let r = analyst
        .post(app.url("/graphql"))
        .json(&json!({"query": "query Find($q: String!) { search(queryText: $q) { total } }", "operationName": "Find", "variables": {"q": "garage"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Refused requests are audited too.
    let anon = reqwest::Client::new();
    let r = anon
        .post(app.url("/graphql"))
        .json(&json!({"query": "{ health { status } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let log = gql(&supervisor, &app, "query($u: String!) { auditLog(user: $u) { seq at user role forces operation queryHash variables resultCount purpose outcome } }", json!({"u": format!("{u}-an")})).await;
    let entries = log["data"]["auditLog"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(entries.len(), 1, "{log}");
    let e = &entries[0];
    assert_eq!(e["operation"], "Find");
    assert_eq!(e["purpose"], crate::helpers::TEST_PURPOSE);
    assert_eq!(e["forces"], json!(["WYP"]));
    assert_eq!(e["variables"]["q"], "garage");
    assert_eq!(e["queryHash"].as_str().unwrap().len(), 64);
    assert_eq!(e["outcome"], "ok");
    // Another force's supervisor does not see this force's entries.
    let log = gql(
        &other,
        &app,
        "query($u: String!) { auditLog(user: $u) { seq } }",
        json!({"u": format!("{u}-an")}),
    )
    .await;
    assert_eq!(log["data"]["auditLog"], json!([]), "{log}");

    // The chain verifies; a copy with one entry edited, removed or reordered does not.
    let (audit, key) = (&app.settings.audit.path, &app.settings.audit.key_file);
    let ok = toex(&app, &["audit", "verify"], audit, key);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("audit.log");
    let original = std::fs::read_to_string(audit).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    assert!(lines.len() >= 3, "{original}");
    let head = std::fs::read(audit.with_extension("log.head")).unwrap();
    std::fs::write(dir.path().join("audit.log.head"), head).unwrap();
    let tampered = [
        lines
            .iter()
            .map(|l| l.replacen("\"result_count\":1", "\"result_count\":0", 1))
            .collect::<Vec<_>>(),
        lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .map(|(_, l)| l.to_string())
            .collect(),
        {
            let mut v: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            v.swap(0, 1);
            v
        },
        lines[..lines.len() - 1]
            .iter()
            .map(|l| l.to_string())
            .collect(),
    ];
    std::fs::write(&copy, &original).unwrap();
    assert!(
        toex(&app, &["audit", "verify"], &copy, key)
            .status
            .success()
    );
    for (i, t) in tampered.iter().enumerate() {
        std::fs::write(&copy, t.join("\n") + "\n").unwrap();
        let out = toex(&app, &["audit", "verify"], &copy, key);
        assert!(
            !out.status.success(),
            "tampering {i} went unnoticed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_need_valid_credentials_and_a_purpose() {
    const SECRET: &str = "a-test-hs256-secret-of-at-least-32-bytes";
    let app = TestApp::spawn_adjusting(|s| s.auth.jwt.hs256_secret = Some(SECRET.to_owned())).await;
    let url = app.url("/graphql");
    let q = json!({"query": "{ search(queryText: \"anything\") { total } }"});
    let anon = reqwest::Client::new();
    let r = anon.post(&url).json(&q).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    for bad in [
        "Bearer toex_0123456789ab_ffff",
        "Bearer not.a.jwt",
        "Basic dXNlcjpwYXNz",
    ] {
        let r = anon
            .post(&url)
            .header("authorization", bad)
            .json(&q)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{bad}");
    }
    // Public: health and the GraphiQL page.
    assert_eq!(
        anon.get(app.url("/health")).send().await.unwrap().status(),
        200
    );
    assert_eq!(anon.get(&url).send().await.unwrap().status(), 200);

    // No purpose: refused, except for introspection.
    let mut store = UserStore::open(&app.users).unwrap();
    store
        .add_user("nopurpose", Role::Analyst, &["WYP".into()], &[])
        .unwrap();
    let (id, token) = store.create_token("nopurpose", "", None).unwrap();
    store.save().unwrap();
    let bare = reqwest::Client::new();
    let r: Value = bare
        .post(&url)
        .bearer_auth(&token)
        .json(&q)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&r), Some("PURPOSE_REQUIRED"), "{r}");
    let r: Value = bare
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"query": "{ __schema { queryType { name } } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["data"]["__schema"]["queryType"]["name"], "QueryRoot",
        "{r}"
    );

    // A revoked token stops working at once.
    let with = client_with_token(&token);
    assert_eq!(with.post(&url).json(&q).send().await.unwrap().status(), 200);
    let mut store = UserStore::open(&app.users).unwrap();
    store.revoke_token(&id).unwrap();
    store.save().unwrap();
    assert_eq!(with.post(&url).json(&q).send().await.unwrap().status(), 401);

    // JWTs: a signed one with forces works; an expired or forged one does not.
    let jwt = |exp: i64, secret: &str| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({"sub": "dc.jones", "role": "analyst", "forces": ["WYP"], "exp": chrono_now() + exp}),
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let r = client_with_token(&jwt(600, SECRET))
        .post(&url)
        .json(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["errors"].is_null(), "{body}");
    for t in [
        jwt(-600, SECRET),
        jwt(600, "another-secret-that-is-32-bytes-long!!"),
    ] {
        assert_eq!(
            client_with_token(&t)
                .post(&url)
                .json(&q)
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
    }
    app.stop().await;
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_surface_is_bounded_aliases_rates_cors_and_introspection() {
    let app = TestApp::spawn_adjusting(|s| {
        s.auth.rate_per_minute = 60;
        s.auth.rate_burst = 4;
        s.server.cors_origins = vec!["https://toex.example".to_owned()];
        s.server.introspection = false;
    })
    .await;
    let url = app.url("/graphql");
    let many = (0..31)
        .map(|i| format!("a{i}: health {{ status }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let r = gql(&app.client, &app, &format!("{{ {many} }}"), json!({})).await;
    assert_eq!(error_code(&r), Some("BAD_INPUT"), "{r}");
    assert!(r.to_string().contains("aliases"), "{r}");
    let r = gql(
        &app.client,
        &app,
        "{ __schema { types { name } } }",
        json!({}),
    )
    .await;
    assert!(r["data"]["__schema"].is_null(), "introspection is off: {r}");

    // CORS: the configured origin is allowed, another is not.
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,x-toex-purpose",
            )
            .send()
    };
    let ok = preflight("https://toex.example").await.unwrap();
    assert_eq!(
        ok.headers().get("access-control-allow-origin").unwrap(),
        "https://toex.example"
    );
    let evil = preflight("https://evil.example").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());

    // Rate limits are per user: after the burst, RATE_LIMITED; another user is unaffected.
    let limited = user_client(&app.users, "limited", Role::Analyst, &["WYP"]);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            limited
                .post(&url)
                .json(&json!({"query": "{ health { status } }"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let r = gql(&limited, &app, "{ health { status } }", json!({})).await;
    assert_eq!(error_code(&r), Some("RATE_LIMITED"), "{r}");
    let fresh = user_client(&app.users, "fresh", Role::Analyst, &["WYP"]);
    assert_eq!(
        fresh
            .post(&url)
            .json(&json!({"query": "{ health { status } }"}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await;
}
