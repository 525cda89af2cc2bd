//! Past one machine: two `toex serve` replicas, each with its own index, following the
//! index log on a three-node NATS JetStream cluster (Debian's `nats-server`), with one
//! replica and one NATS node killed (`kill -9`) while documents are written, then
//! restarted; afterwards every document is searchable exactly once on both.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use toex_access::{Role, UserStore};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{
    all_forces, free_port, reference_python, repo_root, shared_neo4j_uri, toex_command, unique,
    user_client,
};
use crate::jobs::{file_of, upload};
use crate::transcribe::espeak;
use crate::websocket::{connect_to, subscribe};

/// One `nats-server` of the cluster.
struct NatsNode {
    config: PathBuf,
    child: Option<Child>,
    port: u16,
}

impl NatsNode {
    fn start(&mut self) {
        let child = Command::new("nats-server")
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server (scripts/setup.sh --test installs it)");
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Three JetStream servers routed to each other on loopback, each with its own store.
fn nats_cluster(dir: &Path) -> Vec<NatsNode> {
    let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
    let mut nodes = Vec::new();
    for (i, (port, route)) in ports.iter().enumerate() {
        let routes: Vec<String> = ports
            .iter()
            .filter(|(_, r)| r != route)
            .map(|(_, r)| format!("\"nats-route://127.0.0.1:{r}\""))
            .collect();
        let store = dir.join(format!("n{i}"));
        let config = dir.join(format!("n{i}.conf"));
        std::fs::write(
            &config,
            format!(
                "server_name: n{i}\nlisten: 127.0.0.1:{port}\nmax_payload: 8MB\n\
                 jetstream {{ store_dir: \"{}\", max_memory_store: 64MB, max_file_store: 1GB }}\n\
                 cluster {{ name: toex, listen: 127.0.0.1:{route}, routes: [{}] }}\n",
                store.display(),
                routes.join(", ")
            ),
        )
        .unwrap();
        let mut node = NatsNode {
            config,
            child: None,
            port: *port,
        };
        node.start();
        nodes.push(node);
    }
    nodes
}

/// A `toex serve` process: one API replica with its own index.
struct Replica {
    command: Command,
    child: Option<Child>,
    port: u16,
    client: reqwest::Client,
}

impl Replica {
    fn new(
        name: &str,
        dir: &Path,
        neo4j: &str,
        nats: &str,
        users: &Path,
        client: reqwest::Client,
    ) -> Self {
        let port = free_port();
        let mut command = toex_command();
        command
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--neo4j-uri", neo4j])
            .arg("--index-path")
            .arg(dir.join("index"))
            .args(["--nats", nats])
            .env("TOEX_NATS_REPLICA", name)
            .env("TOEX_NATS_STREAM_REPLICAS", "3")
            // A replica gone 3 s loses its jobs to the other (the default is 30 s).
            .env("TOEX_NATS_LEASE_MS", "3000")
            .env("TOEX_INDEX_JOBS", dir.join("jobs"))
            .env("TOEX_AUTH_USERS", users)
            .env("TOEX_AUDIT_PATH", dir.join("audit/audit.log"))
            .env("TOEX_AUDIT_KEY_FILE", dir.join("audit/audit.key"))
            .env("TOEX_MODELS_EMBEDDING", dir.join("no-embedding-model"))
            .env("TOEX_MODELS_DIR", dir.join("models"))
            .env("TOEX_NEO4J_WARM_PLANS", "false")
            .env("TOEX_SERVER_WEB_DIR", repo_root().join("web-client/dist"))
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("TEST_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        Self {
            command,
            child: None,
            port,
            client,
        }
    }

    fn start(&mut self) {
        self.child = Some(self.command.spawn().expect("starting toex serve"));
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn health(&self) -> Option<Value> {
        let response = self.client.get(self.url("/health")).send().await.ok()?;
        response.json().await.ok()
    }

    /// Waits until the replica answers and has applied everything in the log.
    async fn caught_up(&self, documents: u64, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let health = self.health().await;
            if let Some(h) = &health
                && h["replication"]["lag"] == 0
                && h["replication"]["connected"] == true
                && h["index"]["documents"].as_u64() >= Some(documents)
            {
                return h.clone();
            }
            assert!(
                Instant::now() < deadline,
                "replica on {} did not catch up with {documents} documents: {health:?}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn graph_up(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self
            .health()
            .await
            .is_none_or(|h| h["neo4j"]["reachable"] != true)
        {
            assert!(
                Instant::now() < deadline,
                "Neo4j never came up for {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until job `id` is done, through restarts of whichever replica runs it.
    async fn finished(&self, id: &str, runner: &Replica, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        let query = "query($id: String!) { ingestJob(id: $id) { state files { name status documentId reason } } }";
        loop {
            let state = self
                .client
                .post(self.url("/graphql"))
                .json(&json!({ "query": query, "variables": { "id": id } }))
                .send()
                .await;
            let state: Option<Value> = match state {
                Ok(response) => response.json().await.ok(),
                Err(_) => None,
            };
            let job = state.as_ref().map(|s| &s["data"]["ingestJob"]);
            if job.is_some_and(|j| j["state"] == "DONE") {
                return job.unwrap().clone();
            }
            if Instant::now() >= deadline {
                // The short account first (a long one is cut where CI shows it).
                let files = job.map(|j| j["files"].as_array().cloned().unwrap_or_default());
                let waiting: Vec<String> = files
                    .unwrap_or_default()
                    .iter()
                    .filter(|f| f["status"] != "DONE")
                    .map(|f| format!("{} {}", f["name"], f["status"]))
                    .collect();
                let (here, there) = (self.health().await, runner.health().await);
                panic!(
                    "job {id} did not finish: state {}, not done {waiting:?}; \
                     replication here {:?}, on its runner {:?}",
                    job.map(|j| j["state"].clone()).unwrap_or_default(),
                    here.map(|h| h["replication"].clone()),
                    there.map(|h| h["replication"].clone())
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql")
            .json()
            .await
            .unwrap()
    }

    /// Ingests `text`, retrying while the cluster moves its leader (the write is
    /// idempotent: the same text is the same document).
    async fn ingest(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = self
                .graphql(
                    "mutation($t: String!) { ingestText(input: {title: \"replicated\", text: $t, force: \"TESTA\"}) { id } }",
                    json!({ "t": text }),
                )
                .await;
            if let Some(id) = answer["data"]["ingestText"]["id"].as_str() {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "ingest kept failing: {answer}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    async fn hits(&self, word: &str) -> Vec<String> {
        let answer = self
            .graphql(
                "query($q: String!) { search(queryText: $q, first: 10) { total edges { node { id } } } }",
                json!({ "q": word }),
            )
            .await;
        answer["data"]["search"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("search failed: {answer}"))
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `toex worker --tasks transcribe` process with Whisper tiny.en, and the port of its
/// `/health`.
fn worker(nats: &str) -> Worker {
    let whisper = repo_root().join(".toex/models/whisper-tiny.en");
    spawn_worker(
        nats,
        "transcribe",
        &[("TOEX_TRANSCRIPTION_MODEL", &whisper)],
    )
}

/// A `toex worker --tasks translate` process with the Arabic model at `model`.
fn translator(nats: &str, model: &Path) -> Worker {
    spawn_worker(nats, "translate", &[("TOEX_TRANSLATION_MODELS_AR", model)])
}

/// A `toex worker` taking `task`, its models set by the variables `models`.
fn spawn_worker(nats: &str, task: &str, models: &[(&str, &Path)]) -> Worker {
    let port = free_port();
    let child = toex_command()
        .args(["worker", "--tasks", task, "--nats", nats])
        .args(["--health", &format!("127.0.0.1:{port}")])
        .envs(models.iter().copied())
        .env("TOEX_TRANSCRIPTION_BEAM", "1")
        .env("TOEX_NATS_STREAM_REPLICAS", "3")
        .env("TOEX_NATS_STALL_MS", "5000")
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("TEST_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("starting toex worker");
    Worker { child, port }
}

/// A worker process, stopped when dropped (a failed assertion leaves none behind).
struct Worker {
    child: Child,
    port: u16,
}

impl Worker {
    async fn health(&self) -> Option<Value> {
        let url = format!("http://127.0.0.1:{}/health", self.port);
        reqwest::get(url).await.ok()?.json().await.ok()
    }

    /// Waits until the worker has reached the queue (and said it takes its task).
    async fn taking(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(health) = self.health().await
                && health["waiting"].is_u64()
            {
                return;
            }
            assert!(Instant::now() < deadline, "the worker never took work");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Subscribes to job `id` on the replica at `ws` once it knows the job, and collects
/// each event's state and files done until the job is done.
async fn follow_live(
    client: &reqwest::Client,
    url: &str,
    ws: &str,
    token: &str,
    id: &str,
) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(300);
    let known = "query($id: String!) { ingestJob(id: $id) { state } }";
    loop {
        let answer: Option<Value> = match client
            .post(url)
            .json(&json!({ "query": known, "variables": { "id": id } }))
            .send()
            .await
        {
            Ok(response) => response.json().await.ok(),
            Err(_) => None,
        };
        if answer.is_some_and(|a| a["data"]["ingestJob"].is_object()) {
            break;
        }
        assert!(Instant::now() < deadline, "job {id} never shared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut socket = connect_to(ws, token).await;
    let query = format!("subscription {{ ingestJob(id: \"{id}\") {{ state done }} }}");
    subscribe(&mut socket, "live", &query).await;
    let mut states = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(left, socket.next())
            .await
            .unwrap_or_else(|_| panic!("job {id} not done live: {states:?}"))
            .expect("the socket is open")
            .unwrap();
        let Message::Text(text) = message else {
            continue;
        };
        let event: Value = serde_json::from_str(text.as_str()).unwrap();
        match event["type"].as_str() {
            Some("next") => {
                let job = &event["payload"]["data"]["ingestJob"];
                assert!(job.is_object(), "{event}");
                states.push(format!(
                    "{} {}",
                    job["state"].as_str().unwrap(),
                    job["done"]
                ));
            }
            Some("complete") => return states,
            Some("ping") => {}
            _ => panic!("{event}"),
        }
    }
}

/// A word no other test writes: letters only, so every analyser keeps it whole.
fn word(i: usize) -> String {
    let tag: String = unique("")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(10)
        .map(|c| (b'a' + c.to_digit(16).unwrap() as u8) as char)
        .collect();
    format!("replicated{tag}{}", (b'a' + i as u8 % 26) as char)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_a_jetstream_cluster_survive_kill_9_and_index_each_document_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut nats = nats_cluster(dir.path());
    let urls: Vec<String> = nats.iter().map(NatsNode::url).collect();
    let urls = urls.join(",");
    let users = dir.path().join("users.json");
    let forces = all_forces();
    let forces: Vec<&str> = forces.iter().map(String::as_str).collect();
    let client = user_client(&users, "replicas", Role::Supervisor, &forces);
    let neo4j = tokio::task::spawn_blocking(shared_neo4j_uri).await.unwrap();
    let mut a = Replica::new(
        "a",
        &dir.path().join("a"),
        &neo4j,
        &urls,
        &users,
        client.clone(),
    );
    let mut b = Replica::new("b", &dir.path().join("b"), &neo4j, &urls, &users, client);
    // A searches by meaning (it has the embedding model for queries); B has none.
    let minilm = repo_root().join(".toex/models/all-MiniLM-L6-v2");
    a.command.env("TOEX_MODELS_EMBEDDING", &minilm);
    a.start();
    b.start();
    let started = Instant::now();
    for replica in [&a, &b] {
        let health = replica.caught_up(0, Duration::from_secs(120)).await;
        assert_eq!(health["role"], "REPLICA", "{health}");
        replica.graph_up(Duration::from_secs(60)).await;
    }
    eprintln!("cluster up in {:.1} s", started.elapsed().as_secs_f64());

    let words: Vec<String> = (0..30).map(word).collect();
    let mut ids = Vec::new();
    for (i, w) in words.iter().enumerate() {
        match i {
            10 => b.kill(),
            15 => nats[2].kill(),
            20 => {
                nats[2].start();
                b.start();
                b.caught_up(0, Duration::from_secs(120)).await;
            }
            _ => {}
        }
        // Before B's loss and after its return, writes go to either replica.
        let writer = if i % 2 == 1 && !(10..20).contains(&i) {
            &b
        } else {
            &a
        };
        ids.push(writer.ingest(&format!("statement {i}: {w} was seen")).await);
    }
    // The same content again, through the other replica: the same document.
    assert_eq!(
        b.ingest(&format!("statement 3: {} was seen", words[3]))
            .await,
        ids[3]
    );

    for replica in [&a, &b] {
        replica
            .caught_up(words.len() as u64, Duration::from_secs(120))
            .await;
    }
    for (w, id) in words.iter().zip(&ids) {
        for (name, replica) in [("a", &a), ("b", &b)] {
            let hits = replica.hits(w).await;
            assert_eq!(hits, vec![id.clone()], "`{w}` on replica {name}");
        }
    }
    let (ha, hb) = (a.health().await.unwrap(), b.health().await.unwrap());
    assert_eq!(
        ha["index"]["documents"], hb["index"]["documents"],
        "both replicas hold the same documents: {ha} {hb}"
    );
    assert_eq!(ha["replication"]["applied"], hb["replication"]["applied"]);

    // The fault run: 1,000 files (recordings, scans, Arabic and Arabizi among them) in two
    // jobs, one on each replica; recordings, scans and Arabic go to the workers (the
    // replicas load no speech or translation model, and run no OCR while a worker takes
    // it). While the jobs run, a worker, a NATS node and the replica running a job are
    // killed, then started again.
    let model = dir.path().join("opus-mt-test-ar-en");
    toex_inference::translate::random::RandomModel::tiny()
        .write(&model)
        .unwrap();
    let translating = translator(&urls, &model);
    translating.taking().await;
    let scanner = spawn_worker(&urls, "ocr", &[]);
    scanner.taking().await;
    let embedding = spawn_worker(&urls, "embed", &[("TOEX_MODELS_EMBEDDING", &minilm)]);
    embedding.taking().await;
    let fixtures = tempfile::tempdir().unwrap();
    let made = Command::new(reference_python())
        .arg(repo_root().join("tests/reference/documents.py"))
        .arg(fixtures.path())
        .status()
        .expect("the reference venv: scripts/setup.sh --test");
    assert!(made.success(), "documents.py failed");
    // A scan and a PDF in each job: a photo and the scanned letter, a PDF with a text
    // layer and a blank page, and one with a scanned page.
    let scans = [
        ["letter.png", "photo.jpg"],
        ["exhibit.pdf", "statement.pdf"],
    ];
    let mut workers = vec![worker(&urls), worker(&urls)];
    let mut arabic = Vec::new();
    let run = word(26);
    let mut jobs = Vec::new();
    let mut operations = Vec::new();
    let mut recordings = Vec::new();
    for (j, replica) in [&a, &b].into_iter().enumerate() {
        let mut files: Vec<(String, Vec<u8>)> = (0..489)
            .map(|i| {
                let text = format!("Statement {j}-{i} of {run}: {} was seen.", word(i % 26));
                (format!("statement {i}.txt"), text.into_bytes())
            })
            .collect();
        for name in scans[j] {
            let bytes = std::fs::read(fixtures.path().join(name)).unwrap();
            files.push((name.to_owned(), bytes));
        }
        for i in 0..3 {
            let text = format!("السيارة بالكراج يم الشقة {j}{i} ورقمي الجديد عند الجيران");
            files.push((format!("chat {i}.txt"), text.into_bytes()));
            arabic.push((j, format!("chat {i}.txt")));
        }
        // English with an Arabizi line: only that line goes into English, by the worker.
        let which = ["first", "second"][j];
        let text = format!(
            "Note from the garage, the {which} job.\nes-sayyara bil-garaj yam esh-shuqqa, wain inta hassa?\n\
             I will be at the garage at nine tonight."
        );
        files.push(("note.txt".to_owned(), text.into_bytes()));
        for i in 0..5 {
            let said = format!("Call {j} {i}. The blue van was parked behind the chip shop.");
            files.push((format!("call {i}.wav"), espeak(&said, "en")));
            recordings.push((j, format!("call {i}.wav")));
        }
        let operation = unique("OP-CLUSTER");
        let submitted = upload(
            &replica.client,
            &replica.url("/graphql"),
            "TESTA",
            &operation,
            files,
        )
        .await;
        let id = submitted["data"]["ingestFiles"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{submitted}"))
            .to_owned();
        jobs.push(id);
        operations.push(operation);
    }
    // Job 0 (on A) followed live from B, through the kill of A: B relays what A shares.
    let live = {
        let token = {
            let mut store = UserStore::open(&users).unwrap();
            let (_, token) = store.create_token("replicas", "live", None).unwrap();
            store.save().unwrap();
            token
        };
        let (url, ws, id) = (b.url("/graphql"), b.url("/graphql/ws"), jobs[0].clone());
        let client = b.client.clone();
        tokio::spawn(async move { follow_live(&client, &url, &ws, &token, &id).await })
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    workers[0].kill();
    nats[1].kill();
    a.kill();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    nats[1].start();
    a.start();
    workers.push(worker(&urls));
    // Each job is followed from the other replica (its state is shared through NATS).
    let mut done = Vec::new();
    for (id, (runner, other)) in jobs.iter().zip([(&a, &b), (&b, &a)]) {
        done.push(other.finished(id, runner, Duration::from_secs(300)).await);
    }
    let states = live.await.unwrap();
    assert_eq!(
        states.last().map(String::as_str),
        Some("DONE 500"),
        "{states:?}"
    );
    // The workers that lived say what they did: together, every recording the killed
    // one did not finish; nothing waits.
    let mut heard = 0;
    for Worker { port, .. } in &workers[1..] {
        let health: Value = reqwest::get(format!("http://127.0.0.1:{port}/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["role"], "WORKER", "{health}");
        assert_eq!(health["waiting"], 0, "{health}");
        heard += health["done"].as_u64().unwrap();
    }
    assert!(heard >= 1, "the surviving workers heard nothing");
    // A worker stops on SIGTERM (its /health server must not swallow the signal).
    let last = workers.last_mut().unwrap();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &last.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while last.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "a worker ignored SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(workers);
    for (j, job) in done.iter().enumerate() {
        for file in job["files"].as_array().unwrap() {
            assert_eq!(file["status"], "DONE", "job {j}: {file}");
        }
    }
    let expected = words.len() as u64 + 1_000;
    for replica in [&a, &b] {
        replica.caught_up(expected, Duration::from_secs(120)).await;
        // Every statement once (their ids differ): 978 hits for the run's word.
        let found = replica
            .graphql(
                "query($q: String!) { search(queryText: $q, first: 1) { total } }",
                json!({ "q": run }),
            )
            .await;
        assert_eq!(found["data"]["search"]["total"], 978, "{found}");
    }
    // The scans were read by the OCR worker, the same on both replicas: the letter's
    // lines each with its box, the PDF's scanned page with the frame OCR read it in.
    let scanned = scanner.health().await.unwrap();
    assert!(scanned["done"].as_u64() >= Some(4), "{scanned}");
    assert!(
        scanned["model"].as_str().unwrap().starts_with("tesseract "),
        "{scanned}"
    );
    drop(scanner);
    let letter = file_of(&done[0], "letter.png")["documentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let exhibit = file_of(&done[1], "exhibit.pdf")["documentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = "query($l: String!, $e: String!) { letter: document(id: $l) { text segments { region { width } } provenance { tool } } exhibit: document(id: $e) { text scannedPages { page width } } }";
    let on_a = a.graphql(query, json!({ "l": letter, "e": exhibit })).await;
    let read = &on_a["data"];
    assert!(
        read["letter"]["text"]
            .as_str()
            .unwrap()
            .contains("Kirkgate"),
        "{on_a}"
    );
    assert!(
        read["letter"]["segments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["region"]["width"].as_u64() > Some(0)),
        "{on_a}"
    );
    assert!(
        read["letter"]["provenance"]["tool"]
            .as_str()
            .unwrap()
            .starts_with("tesseract "),
        "{on_a}"
    );
    assert_eq!(
        read["exhibit"]["scannedPages"],
        json!([{ "page": 2, "width": 2481 }]),
        "{on_a}"
    );
    assert!(
        read["exhibit"]["text"]
            .as_str()
            .unwrap()
            .contains("Kirkgate"),
        "{on_a}"
    );
    assert_eq!(
        on_a,
        b.graphql(query, json!({ "l": letter, "e": exhibit })).await,
        "the same reading on both replicas"
    );
    // Originals are shared, and so is the key that signs their links: the letter's link
    // from B holds on A, and A renders the exhibit's scanned page from the original B read.
    let links = "query($l: String!, $e: String!) { letter: document(id: $l) { media { url } } exhibit: document(id: $e) { scannedPages { url } } }";
    let from_b = b.graphql(links, json!({ "l": letter, "e": exhibit })).await;
    let from_a = a.graphql(links, json!({ "l": letter, "e": exhibit })).await;
    for (url, magic) in [
        (&from_b["data"]["letter"]["media"]["url"], &b"\x89PNG"[..]),
        (
            &from_a["data"]["exhibit"]["scannedPages"][0]["url"],
            &[0xFF, 0xD8, 0xFF][..],
        ),
    ] {
        let url = url.as_str().unwrap_or_else(|| panic!("{from_a} {from_b}"));
        let got = a.client.get(a.url(url)).send().await.unwrap();
        assert_eq!(got.status(), 200, "{url}");
        assert!(got.bytes().await.unwrap().starts_with(magic), "{url}");
    }
    // Each batch's vectors were made once, by the embedding worker, and A stores those
    // of the job B ran: the exhibit is found by meaning there.
    let embedded = embedding.health().await.unwrap();
    // It stays up to the end: the later writes are embedded by it too (a worker killed
    // here would hold the next write for the 20 s its last word stays fresh).
    assert!(embedded["done"].as_u64() >= Some(2), "{embedded}");
    let found = a
        .graphql(
            "query($op: String!) { search(queryText: \"a white van seen at a garage\", mode: SEMANTIC, first: 5, filter: {operations: [$op]}) { edges { node { id } } } }",
            json!({ "op": operations[1] }),
        )
        .await;
    let edges = found["data"]["search"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"));
    assert!(
        edges.iter().any(|e| e["node"]["id"] == exhibit.as_str()),
        "{found}"
    );
    // Each Arabic file and each note's Arabizi line translated once, by the translation
    // worker, the same on both.
    let translated = translating.health().await.unwrap();
    assert!(translated["done"].as_u64() >= Some(8), "{translated}");
    for job in &done {
        let id = file_of(job, "note.txt")["documentId"]
            .as_str()
            .unwrap()
            .to_owned();
        let query = "query($id: String!) { document(id: $id) { language translation translationProvenance { lines { first last language } } } }";
        let on_a = a.graphql(query, json!({ "id": id })).await;
        let document = &on_a["data"]["document"];
        assert_eq!(document["language"], "en", "{on_a}");
        assert_eq!(
            document["translationProvenance"]["lines"],
            json!([{ "first": 1, "last": 1, "language": "ar-Latn" }]),
            "{on_a}"
        );
        let english = document["translation"].as_str().unwrap();
        assert!(english.ends_with("at nine tonight."), "{on_a}");
        assert_eq!(on_a, b.graphql(query, json!({ "id": id })).await);
    }
    for (j, name) in &arabic {
        let id = file_of(&done[*j], name)["documentId"]
            .as_str()
            .unwrap()
            .to_owned();
        let query = "query($id: String!) { document(id: $id) { language translation translationProvenance { model } } }";
        let on_a = a.graphql(query, json!({ "id": id })).await;
        let on_b = b.graphql(query, json!({ "id": id })).await;
        let document = &on_a["data"]["document"];
        assert_eq!(document["language"], "ar", "{on_a}");
        assert!(document["translation"].is_string(), "{on_a}");
        assert!(
            document["translationProvenance"]["model"]
                .as_str()
                .is_some_and(|m| m.contains("opus-mt-test-ar-en")),
            "{on_a}"
        );
        assert_eq!(on_a, on_b, "the same translation on both replicas");
    }
    // A translation job over job 0's Arabic chats, asked of B and followed from A: B has
    // no model, so its documents go to the translation worker too, and are indexed again
    // in their places.
    let asked = b
        .graphql(
            "mutation($op: String!) { translateDocuments(force: \"TESTA\", operation: $op, language: \"ar\", retranslate: true) { id total } }",
            json!({ "op": operations[0] }),
        )
        .await;
    let job = &asked["data"]["translateDocuments"];
    assert_eq!(job["total"], 3, "{asked}");
    let id = job["id"].as_str().unwrap();
    let retranslated = a.finished(id, &b, Duration::from_secs(120)).await;
    for file in retranslated["files"].as_array().unwrap() {
        assert_eq!(file["status"], "DONE", "{retranslated}");
    }
    let after = translating.health().await.unwrap();
    assert!(
        after["done"].as_u64() >= translated["done"].as_u64().map(|n| n + 3),
        "{translated} then {after}"
    );
    for (j, name) in &recordings {
        let id = file_of(&done[*j], name)["documentId"]
            .as_str()
            .unwrap()
            .to_owned();
        let query = "query($id: String!) { document(id: $id) { sourceType text } }";
        let on_a = a.graphql(query, json!({ "id": id })).await;
        let on_b = b.graphql(query, json!({ "id": id })).await;
        assert_eq!(
            on_a["data"]["document"]["sourceType"], "transcript",
            "{on_a}"
        );
        let heard = on_a["data"]["document"]["text"]
            .as_str()
            .unwrap()
            .to_lowercase();
        assert!(heard.contains("shop") || heard.contains("van"), "{on_a}");
        assert_eq!(on_a, on_b, "the same transcript on both replicas");
    }
    // Neo4j holds each job's documents once: 500 nodes in each operation, whichever
    // replica wrote them and however often a batch was written again after a fault.
    for operation in &operations {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let case = b
                .graphql(
                    "query($op: String!) { case(operation: $op) { documents } }",
                    json!({ "op": operation }),
                )
                .await;
            let documents = case["data"]["case"]["documents"].as_i64();
            assert!(documents <= Some(500), "more nodes than documents: {case}");
            if documents == Some(500) {
                break;
            }
            assert!(Instant::now() < deadline, "graph nodes missing: {case}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let (ha, hb) = (a.health().await.unwrap(), b.health().await.unwrap());
    assert_eq!(ha["index"]["documents"], hb["index"]["documents"]);
    assert_eq!(ha["index"]["documents"], expected);

    // A replica lost for good: a job it acknowledged is taken over by the other once its
    // lease goes unrenewed, each file it had not indexed fetched from the shared spool.
    let lost = word(27);
    let files: Vec<(String, Vec<u8>)> = (0..120)
        .map(|i| {
            let text = format!("Record {i} of {lost}: {} was seen.", word(i % 26));
            (format!("record {i}.txt"), text.into_bytes())
        })
        .collect();
    let operation = unique("OP-LOST");
    let submitted = upload(&a.client, &a.url("/graphql"), "TESTA", &operation, files).await;
    let id = submitted["data"]["ingestFiles"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{submitted}"))
        .to_owned();
    a.kill();
    let job = b.finished(&id, &a, Duration::from_secs(120)).await;
    for file in job["files"].as_array().unwrap() {
        assert_eq!(file["status"], "DONE", "{file}");
    }
    b.caught_up(expected + 120, Duration::from_secs(60)).await;
    let found = b
        .graphql(
            "query($q: String!) { search(queryText: $q, first: 1) { total } }",
            json!({ "q": lost }),
        )
        .await;
    assert_eq!(found["data"]["search"]["total"], 120, "{found}");

    let health = b.health().await.unwrap();
    eprintln!(
        "{} documents on each replica, log applied to {} ({:.1} s in all)",
        health["index"]["documents"],
        health["replication"]["applied"],
        started.elapsed().as_secs_f64()
    );
}
