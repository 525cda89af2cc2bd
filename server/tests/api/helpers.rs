//! Test harness: the embedded Neo4j process, an in-process toex, and GraphQL helpers.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use serde_json::{Value, json};
use tempfile::TempDir;
use toex::settings::Settings;
use toex::startup::Application;
use toex_access::{Role, UserStore};
use toex_schema::Services;

/// The purpose every test request states.
pub const TEST_PURPOSE: &str = "TEST-OP-1 integration test";

/// Every force code a test may write data for, so the default test user sees them all.
pub fn all_forces() -> Vec<String> {
    let mut forces: Vec<String> = toex_graph::vocab::FORCE_NAMES
        .iter()
        .map(|(_, c)| (*c).to_owned())
        .collect();
    forces.extend(["UNASSIGNED", "TESTA", "TESTB"].map(str::to_owned));
    forces
}

/// Adds a user to the store at `users` and returns a client that sends their token and
/// the test purpose with every request.
pub fn user_client(users: &Path, name: &str, role: Role, forces: &[&str]) -> reqwest::Client {
    let mut store = UserStore::open(users).unwrap();
    let forces: Vec<String> = forces.iter().map(|f| (*f).to_owned()).collect();
    store.add_user(name, role, &forces, &[]).unwrap();
    let (_, token) = store.create_token(name, "test", None).unwrap();
    store.save().unwrap();
    client_with_token(&token)
}

/// A client that sends `token` and the test purpose.
/// Posts `query` with `variables` as `client` to `app`'s `/graphql`; the JSON answer.
pub async fn gql(
    client: &reqwest::Client,
    app: &TestApp,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    client
        .post(app.url("/graphql"))
        .json(&serde_json::json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Imports each file as its kind for all forces' tester; every row must be accepted.
pub async fn import_all(app: &TestApp, files: &[(toex_graph::import::ImportKind, &PathBuf)]) {
    for (kind, file) in files {
        let report = app
            .services
            .graph
            .import_file(*kind, file, &Default::default(), &())
            .await
            .unwrap();
        assert!(
            report.rejected.is_empty(),
            "{kind:?}: {:?}",
            report.rejected
        );
    }
}

pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    headers.insert("x-toex-purpose", TEST_PURPOSE.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A GraphQL request for in-process execution, as a supervisor of every force.
pub fn internal_request(query: impl Into<String>) -> async_graphql::Request {
    async_graphql::Request::new(query)
        .data(toex_access::Principal {
            role: Role::Supervisor,
            ..toex_access::Principal::internal(all_forces())
        })
        .data(toex_schema::Purpose(TEST_PURPOSE.to_owned()))
}

/// The `toex` binary as a command, with none of this process's `TOEX_` settings.
pub fn toex_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_toex"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TOEX_") {
            c.env_remove(k);
        }
    }
    c
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The Python with the reference tools (scripts/setup.sh --test creates it).
pub fn reference_python() -> PathBuf {
    std::env::var_os("REFERENCE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".toex/venv/bin/python"))
}

/// A free TCP port on loopback, chosen by the OS.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A unique suffix so tests sharing one Neo4j never see each other's data.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// An embedded Neo4j started through `scripts/neo4j.sh foreground`. It exits by itself
/// when this test process dies (`--watch-pid`), so a killed run leaves nothing behind.
pub struct Neo4jProcess {
    child: Option<Child>,
    pub port: u16,
    data_dir: PathBuf,
}

impl Neo4jProcess {
    pub fn start(data_dir: &Path, port: u16) -> Self {
        std::fs::create_dir_all(data_dir).unwrap();
        let log = std::fs::File::create(data_dir.join("neo4j-stderr.log")).unwrap();
        let mut child = Command::new(repo_root().join("scripts/neo4j.sh"))
            .arg("foreground")
            .args(["--data-dir", data_dir.join("db").to_str().unwrap()])
            .args(["--port", &port.to_string()])
            .args(["--watch-pid", &std::process::id().to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("starting scripts/neo4j.sh (Java 17 and Maven are needed)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(uri) = line.strip_prefix("TOEX_NEO4J_READY ") {
                    let _ = tx.send(uri.to_owned());
                }
            }
        });
        let uri = match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(uri) => uri,
            Err(_) => {
                let _ = child.kill();
                let log =
                    std::fs::read_to_string(data_dir.join("neo4j-stderr.log")).unwrap_or_default();
                panic!("Neo4j did not become ready; its log:\n{log}");
            }
        };
        let port = uri.rsplit(':').next().unwrap().parse().unwrap();
        Self {
            child: Some(child),
            port,
            data_dir: data_dir.to_owned(),
        }
    }

    pub fn uri(&self) -> String {
        format!("bolt://127.0.0.1:{}", self.port)
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        *self = Self::start(&self.data_dir.clone(), self.port);
    }
}

impl Drop for Neo4jProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The Neo4j shared by the whole run: `NEO4J_TEST_URI` when set (e.g. by scripts/test.sh),
/// otherwise one started here on a free port.
pub fn shared_neo4j_uri() -> String {
    static SHARED: OnceLock<String> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            if let Some(uri) = std::env::var("NEO4J_TEST_URI")
                .ok()
                .filter(|u| !u.is_empty())
            {
                return uri;
            }
            let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
            remove_data_of_ended_runs(tmp);
            let dir = tmp.join(format!("neo4j-{}", std::process::id()));
            let process = Neo4jProcess::start(&dir, 0);
            let uri = process.uri();
            // Lives until the test process exits; --watch-pid then stops it.
            std::mem::forget(process);
            uri
        })
        .clone()
}

/// Removes the Neo4j data folders of earlier test processes that have ended (about
/// 500 MB each; they used to pile up in the target folder run after run).
fn remove_data_of_ended_runs(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("neo4j-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn init_test_log() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            toex::telemetry::init(&toex::settings::LogSettings {
                level: "info,toex=debug".to_owned(),
                ..Default::default()
            });
        }
    });
}

/// A running toex with its own index directory.
pub struct TestApp {
    pub address: SocketAddr,
    /// Sends the token of a supervisor of every force, and the test purpose.
    pub client: reqwest::Client,
    /// The user store this instance reads (add users with [`user_client`]).
    pub users: PathBuf,
    pub settings: Settings,
    pub services: Services,
    handle: ServerHandle,
    _index_dir: TempDir,
}

impl TestApp {
    /// toex against the shared Neo4j, waiting until the graph is up.
    pub async fn spawn() -> Self {
        let uri = tokio::task::spawn_blocking(shared_neo4j_uri).await.unwrap();
        let app = Self::spawn_with_neo4j(&uri).await;
        assert!(
            app.services
                .graph
                .wait_until_up(Duration::from_secs(60))
                .await,
            "toex did not connect to Neo4j at {uri}"
        );
        app
    }

    /// toex against any Bolt URI, reachable or not; does not wait.
    pub async fn spawn_with_neo4j(uri: &str) -> Self {
        let index_dir = tempfile::tempdir().unwrap();
        Self::spawn_with(uri, index_dir).await
    }

    /// The settings a test instance uses, for commands run beside it.
    pub fn settings(uri: &str, index_dir: &Path) -> Settings {
        let mut settings = Settings::default();
        settings.server.listen = "127.0.0.1:0".parse().unwrap();
        settings.server.workers = 2;
        settings.server.web_dir = repo_root().join("web-client/dist");
        settings.server.max_body_bytes = 256 * 1024;
        settings.neo4j.uri = uri.to_owned();
        settings.neo4j.retry_interval_ms = 200;
        // Planning every page's queries in five scope shapes loads the shared Neo4j for
        // most of a minute: only the tests of it turn it on.
        settings.neo4j.warm_plans = false;
        // Thirty test servers share one Neo4j on two cores: a bulk import's statement
        // may wait well past the production default for its turn.
        settings.neo4j.query_timeout_ms = 60_000;
        settings.index.path = index_dir.join("index");
        settings.index.jobs = index_dir.join("jobs");
        settings.models.embedding = repo_root().join(".toex/models/all-MiniLM-L6-v2");
        settings.auth.users = index_dir.join("users.json");
        settings.audit.path = index_dir.join("audit/audit.log");
        settings.audit.key_file = index_dir.join("audit/audit.key");
        settings
    }

    /// toex on an existing index directory.
    pub async fn spawn_with(uri: &str, index_dir: TempDir) -> Self {
        Self::spawn_adjusted(uri, index_dir, |_| {}).await
    }

    /// toex against the shared Neo4j with settings adjusted by `adjust`, waiting for it.
    pub async fn spawn_adjusting(adjust: impl FnOnce(&mut Settings)) -> Self {
        let uri = tokio::task::spawn_blocking(shared_neo4j_uri).await.unwrap();
        let app = Self::spawn_adjusted(&uri, tempfile::tempdir().unwrap(), adjust).await;
        assert!(
            app.services
                .graph
                .wait_until_up(Duration::from_secs(60))
                .await
        );
        app
    }

    async fn spawn_adjusted(
        uri: &str,
        index_dir: TempDir,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        init_test_log();
        let mut settings = Self::settings(uri, index_dir.path());
        adjust(&mut settings);
        let users = settings.auth.users.clone();
        let forces = all_forces();
        let forces: Vec<&str> = forces.iter().map(String::as_str).collect();
        let client = user_client(&users, "tester", Role::Supervisor, &forces);
        let app = Application::build(settings.clone())
            .await
            .expect("building toex");
        let address = app.address();
        let handle = app.handle();
        let services = app.services().clone();
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client,
            users,
            settings,
            services,
            handle,
            _index_dir: index_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// POSTs a GraphQL operation and returns the JSON response (data and errors).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql");
        assert!(
            response.status().is_success(),
            "POST /graphql answered {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    pub async fn health(&self) -> Value {
        let response = self.client.get(self.url("/health")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Polls `/health` until `neo4j.reachable` equals `reachable`.
    pub async fn wait_for_neo4j(&self, reachable: bool, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let health = self.health().await;
            if health["neo4j"]["reachable"] == reachable {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "/health never showed neo4j.reachable = {reachable}: {health}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}
