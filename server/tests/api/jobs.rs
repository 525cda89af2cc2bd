//! Ingest jobs: a multipart upload becomes a durable job with progress (query and
//! subscription), bad files and recordings get their own status; and `kill -9` in the
//! middle of a large ingest loses nothing acknowledged and duplicates nothing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{TestApp, shared_neo4j_uri, unique};

/// A GraphQL multipart request (the multipart request spec) uploading `files`.
pub(crate) async fn upload(
    client: &reqwest::Client,
    url: &str,
    force: &str,
    operation: &str,
    files: Vec<(String, Vec<u8>)>,
) -> Value {
    let n = files.len();
    let operations = json!({
        "query": "mutation($files: [Upload!]!, $force: String!, $op: String) { ingestFiles(files: $files, force: $force, operation: $op) { id state total } }",
        "variables": { "files": vec![Value::Null; n], "force": force, "op": operation },
    });
    let map: serde_json::Map<String, Value> = (0..n)
        .map(|i| (i.to_string(), json!([format!("variables.files.{i}")])))
        .collect();
    let mut form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", Value::Object(map).to_string());
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        form = form.part(
            i.to_string(),
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
    }
    client
        .post(url)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub(crate) async fn job(client: &reqwest::Client, url: &str, id: &str) -> Value {
    let r: Value = client
        .post(url)
        .json(&json!({
            "query": "query($id: String!) { ingestJob(id: $id) { state total waiting done pending failed files { name status documentId reason } } }",
            "variables": { "id": id },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["ingestJob"].clone()
}

/// One file's entry in a job.
pub(crate) fn file_of(job: &Value, name: &str) -> Value {
    job["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no file {name} in {job:#}"))
        .clone()
}

async fn search_total(client: &reqwest::Client, url: &str, q: &str, op: &str) -> u64 {
    let r: Value = client
        .post(url)
        .json(&json!({
            "query": "query($q: String!, $op: String!) { search(queryText: $q, filter: {operations: [$op]}) { total } }",
            "variables": { "q": q, "op": op },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["data"]["search"]["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("{r}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_runs_as_a_job_with_progress_and_per_file_outcomes() {
    let app = TestApp::spawn().await;
    let op = unique("upload");
    let url = app.url("/graphql");
    // Watch progress through the real subscription stream, audited in a log of its own.
    let audit_dir = tempfile::tempdir().unwrap();
    let audit = std::sync::Arc::new(
        toex_access::AuditLog::open(
            audit_dir.path().join("audit.log"),
            &audit_dir.path().join("audit.key"),
        )
        .unwrap(),
    );
    let schema = toex_schema::build_schema(
        app.services.clone(),
        Default::default(),
        Some(audit.clone()),
    );
    let r = upload(
        &app.client,
        &url,
        "WYP",
        &op,
        vec![
            (
                "notes.txt".into(),
                b"The red van was outside the chip shop".to_vec(),
            ),
            (
                "call.srt".into(),
                b"1\n00:00:01,000 --> 00:00:03,000\nbring the package to the canal\n".to_vec(),
            ),
            ("voice-note.wav".into(), b"RIFF....WAVEfmt ".to_vec()),
            (
                "junk.bin".into(),
                (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(),
            ),
        ],
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");
    let id = r["data"]["ingestFiles"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r["data"]["ingestFiles"]["total"], 4);

    let request = crate::helpers::internal_request(format!(
        "subscription {{ ingestJob(id: \"{id}\") {{ state done waiting }} }}"
    ));
    let states: Vec<Value> = tokio::time::timeout(
        Duration::from_secs(60),
        schema
            .execute_stream(request)
            .map(|r| r.data.into_json().unwrap())
            .collect::<Vec<_>>(),
    )
    .await
    .expect("the subscription ends when the job is done");
    assert_eq!(
        states.last().unwrap()["ingestJob"]["state"],
        "DONE",
        "{states:?}"
    );
    // The subscription is audited once, when it starts.
    let entries = audit
        .read(&toex_access::AuditQuery {
            user: None,
            from: None,
            to: None,
            limit: 10,
        })
        .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].record.outcome, "subscribed");
    assert_eq!(entries[0].record.purpose, crate::helpers::TEST_PURPOSE);

    let j = job(&app.client, &url, &id).await;
    assert_eq!(
        (
            j["done"].as_u64(),
            j["pending"].as_u64(),
            j["failed"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{j:#}"
    );
    let status = |name: &str| file_of(&j, name);
    assert!(
        status("junk.bin")["reason"]
            .as_str()
            .unwrap()
            .contains("binary")
    );
    assert!(
        status("voice-note.wav")["reason"]
            .as_str()
            .unwrap()
            .contains("transcription")
    );
    assert_eq!(search_total(&app.client, &url, "canal", &op).await, 1);
    assert_eq!(search_total(&app.client, &url, "van", &op).await, 1);

    // Meaning, not words: no word of the query is in the note, yet semantic search finds it.
    let q = "a vehicle parked near a takeaway";
    assert_eq!(search_total(&app.client, &url, q, &op).await, 0);
    let r = app
        .graphql(
            "query($q: String!, $op: String!) { search(queryText: $q, mode: SEMANTIC, filter: {operations: [$op]}) { total edges { node { title score } } } }",
            json!({ "q": q, "op": op }),
        )
        .await;
    assert_eq!(
        r["data"]["search"]["edges"][0]["node"]["title"], "notes.txt",
        "{r}"
    );
    // Each semantic hit reaches the threshold the answer states; a stricter one leaves out
    // what is only loosely related, and a threshold outside 0–1 is refused.
    let threshold = |m: Option<f64>| {
        let q = q.to_owned();
        let op = op.clone();
        let app = &app;
        async move {
            app.graphql(
                "query($q: String!, $op: String!, $m: Float) { search(queryText: $q, mode: SEMANTIC, minSimilarity: $m, filter: {operations: [$op]}) { total minSimilarity edges { node { score } } } }",
                json!({ "q": q, "op": op, "m": m }),
            )
            .await
        }
    };
    let r = threshold(None).await;
    let least = r["data"]["search"]["minSimilarity"].as_f64().unwrap();
    assert!((least - 0.25).abs() < 1e-6, "{r}");
    for e in r["data"]["search"]["edges"].as_array().unwrap() {
        assert!(e["node"]["score"].as_f64().unwrap() >= least, "{r}");
    }
    let strict = threshold(Some(0.99)).await;
    assert_eq!(strict["data"]["search"]["total"], 0, "{strict}");
    let refused = threshold(Some(1.5)).await;
    assert_eq!(
        crate::helpers::error_code(&refused),
        Some("BAD_INPUT"),
        "{refused}"
    );
    let health = app
        .graphql("{ health { models { name task loaded } } }", json!({}))
        .await;
    assert_eq!(
        health["data"]["health"]["models"][0]["loaded"], true,
        "{health}"
    );

    // Unknown jobs and empty uploads are clear errors, not crashes.
    let none = job(&app.client, &url, "job-nope").await;
    assert!(none.is_null());
    let r = upload(
        &app.client,
        &url,
        "W Y P",
        &op,
        vec![("a.txt".into(), b"x".to_vec())],
    )
    .await;
    assert_eq!(crate::helpers::error_code(&r), Some("BAD_INPUT"), "{r}");
    app.stop().await;
}

/// `toex serve` as its own process, so it can be killed with SIGKILL.
struct Server {
    child: Child,
    url: String,
}

fn serve(dir: &std::path::Path, neo4j: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_toex"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("TOEX_INDEX_PATH", dir.join("index"))
        .env("TOEX_INDEX_JOBS", dir.join("jobs"))
        .env("TOEX_NEO4J_URI", neo4j)
        .env("TOEX_LOG_FORMAT", "json")
        .env("TOEX_LOG_LEVEL", "info")
        .env("TOEX_SERVER_MAX_BODY_BYTES", (64 * 1024 * 1024).to_string())
        .env("TOEX_SERVER_WEB_DIR", dir)
        .env("TOEX_AUTH_USERS", dir.join("users.json"))
        .env("TOEX_AUDIT_PATH", dir.join("audit.log"))
        .env("TOEX_AUDIT_KEY_FILE", dir.join("audit.key"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("\"url\":\"") {
                let rest = &line[at + 7..];
                let _ = tx.send(rest[..rest.find('"').unwrap()].to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("toex serve printed its URL");
    Server { child, url }
}

/// Waits until the server at `graphql_url` has reached Neo4j: until then an analyst's
/// responses are withheld (the protected names to redact are not known yet).
async fn graph_up(graphql_url: &str) {
    let health = graphql_url.replace("/graphql", "/health");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let h: Value = reqwest::get(&health).await.unwrap().json().await.unwrap();
        if h["status"] == "OK" {
            return;
        }
        assert!(Instant::now() < deadline, "toex never reached Neo4j: {h}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_large_ingest_loses_and_duplicates_nothing() {
    let uri = tokio::task::spawn_blocking(shared_neo4j_uri).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let op = unique("kill9");
    let client = crate::helpers::user_client(
        &dir.path().join("users.json"),
        "killer",
        toex_access::Role::Analyst,
        &["WYP"],
    );
    const FILES: usize = 1_000;
    let files: Vec<(String, Vec<u8>)> = (0..FILES)
        .map(|i| {
            let body = format!(
                "Statement {i} marker{i} about the meeting at the garage.\n{}",
                "The witness described the car and the people in it. ".repeat(80)
            );
            (format!("statement-{i:04}.txt"), body.into_bytes())
        })
        .collect();

    let mut first = serve(dir.path(), &uri);
    graph_up(&first.url).await;
    let r = upload(&client, &first.url, "WYP", &op, files).await;
    assert!(r["errors"].is_null(), "{r}");
    let id = r["data"]["ingestFiles"]["id"].as_str().unwrap().to_owned();
    // Acknowledged. Kill the server as soon as some, but not all, files are in.
    let started = Instant::now();
    let at_kill = loop {
        let j = job(&client, &first.url, &id).await;
        if j["done"].as_u64().unwrap() > 0 {
            break j;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the job never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let waiting = at_kill["waiting"].as_u64().unwrap();
    assert!(waiting > 0, "killed too late to test anything: {at_kill}");

    // A new process resumes the job from its saved state.
    let mut second = serve(dir.path(), &uri);
    graph_up(&second.url).await;
    let started = Instant::now();
    let done = loop {
        let j = job(&client, &second.url, &id).await;
        if j["state"] == "DONE" {
            break j;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the job never finished: {j}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        done["done"].as_u64(),
        Some(FILES as u64),
        "{}",
        done["failed"]
    );
    assert_eq!(
        search_total(&client, &second.url, "garage", &op).await,
        FILES as u64
    );
    for i in [0, FILES / 2, FILES - 1] {
        assert_eq!(
            search_total(&client, &second.url, &format!("marker{i}"), &op).await,
            1
        );
    }
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_uploaded_with_its_transcript_is_served_behind_a_signed_url() {
    let app = TestApp::spawn().await;
    let op = unique("media");
    let url = app.url("/graphql");
    let wav = toex_synthetic::tone_wav(&[(0, 2), (2, 4)], 8_000);
    let r = upload(
        &app.client,
        &url,
        "WYP",
        &op,
        vec![
            (
                "call 7.srt".into(),
                b"1\n00:00:00,000 --> 00:00:02,000\nmeet at the lock gates\n\n2\n00:00:02,000 --> 00:00:04,000\nbring the bags\n".to_vec(),
            ),
            ("call 7.WAV".into(), wav.clone()),
            ("other.mp3".into(), b"ID3....".to_vec()),
        ],
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");
    let id = r["data"]["ingestFiles"]["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let j = loop {
        let j = job(&app.client, &url, &id).await;
        if j["state"] == "DONE" || Instant::now() > deadline {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        (j["done"].as_u64(), j["pending"].as_u64()),
        (Some(2), Some(1)),
        "the recording is done with its transcript, the unpaired one waits: {j:#}"
    );
    let file = |name: &str| file_of(&j, name);
    let doc = file("call 7.srt")["documentId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(file("call 7.WAV")["documentId"], doc.as_str());

    let r = app
        .graphql(
            "query($id: String!) { document(id: $id) { media { url contentType bytes } segments { startMs } } }",
            json!({ "id": doc }),
        )
        .await;
    let media = &r["data"]["document"]["media"];
    assert_eq!(media["contentType"], "audio/wav", "{r}");
    assert_eq!(media["bytes"].as_u64(), Some(wav.len() as u64));
    let path = media["url"].as_str().unwrap().to_owned();

    // The signed URL streams with ranges and needs no token; a forged one is refused.
    let plain = reqwest::Client::new();
    let whole = plain.get(app.url(&path)).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "audio/wav");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), wav.as_slice());
    let part = plain
        .get(app.url(&path))
        .header("Range", "bytes=44-59")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &wav[44..60]);
    let mut bad = path.clone();
    bad.replace_range(bad.len() - 1.., if path.ends_with('0') { "1" } else { "0" });
    let longer = path.replace("signature=", "signature=0");
    for p in [
        bad,
        longer,
        format!("/media/{doc}"),
        path.replace(&doc, "doc-0000"),
    ] {
        let r = plain.get(app.url(&p)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{p}");
    }
}
