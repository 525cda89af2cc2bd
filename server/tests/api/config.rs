//! The `toex` binary with bad configuration: one clear line, a non-zero exit, no panic.
//! And a real start without Neo4j: degraded, logged, and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::free_port;

fn toex(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_toex"));
    cmd.env_clear().args(args).envs(env.iter().copied());
    cmd
}

fn assert_config_error(mut cmd: Command, must_mention: &[&str]) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line, got: {stderr}"
    );
    assert!(stderr.starts_with("toex: error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for word in must_mention {
        assert!(stderr.contains(word), "`{word}` missing from: {stderr}");
    }
}

#[test]
fn an_unknown_key_in_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("toex.toml");
    std::fs::write(
        &file,
        "[neo4j]\nuri = \"bolt://127.0.0.1:7687\"\npasword = \"x\"\n",
    )
    .unwrap();
    assert_config_error(
        toex(&["serve", "--config", file.to_str().unwrap()], &[]),
        &["pasword"],
    );
}

#[test]
fn an_unknown_environment_setting() {
    assert_config_error(
        toex(&["serve"], &[("TOEX_SERVER_LISTN", "x")]),
        &["TOEX_SERVER_LISTN"],
    );
}

#[test]
fn a_bad_port() {
    assert_config_error(
        toex(&["serve"], &[("TOEX_SERVER_LISTEN", "127.0.0.1:70000")]),
        &["server.listen", "TOEX_SERVER_LISTEN"],
    );
    assert_config_error(
        toex(&["serve", "--listen", "127.0.0.1:http"], &[]),
        &["server.listen"],
    );
}

#[test]
fn a_malformed_neo4j_uri() {
    assert_config_error(
        toex(&["serve", "--neo4j-uri", "localhost:7687"], &[]),
        &["neo4j.uri"],
    );
    assert_config_error(
        toex(&["serve"], &[("TOEX_NEO4J_URI", "http://localhost:7474")]),
        &["neo4j.uri"],
    );
}

#[test]
fn a_missing_config_file() {
    assert_config_error(
        toex(&["serve", "--config", "/nonexistent/toex.toml"], &[]),
        &["/nonexistent/toex.toml"],
    );
}

#[test]
fn starts_without_neo4j_logs_why_and_stops_cleanly_on_sigterm() {
    let index = tempfile::tempdir().unwrap();
    let dead_port = free_port();
    // Everything the server writes stays in the temporary folder.
    let path = |name: &str| index.path().join(name).to_str().unwrap().to_owned();
    let mut child = toex(
        &["serve", "--listen", "127.0.0.1:0", "--log-format", "json"],
        &[
            ("TOEX_NEO4J_URI", &format!("bolt://127.0.0.1:{dead_port}")),
            ("TOEX_INDEX_PATH", &path("index")),
            ("TOEX_INDEX_JOBS", &path("jobs")),
            ("TOEX_AUTH_USERS", &path("users.json")),
            ("TOEX_AUDIT_PATH", &path("audit.log")),
            ("TOEX_AUDIT_KEY_FILE", &path("audit.key")),
        ],
    )
    .stderr(Stdio::piped())
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut url = None;
    let mut unavailable_logged = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline && (url.is_none() || !unavailable_logged) {
        let Some(Ok(line)) = lines.next() else { break };
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if event["message"] == "toex is serving" {
            url = event["url"].as_str().map(str::to_owned);
        }
        if event["message"]
            .as_str()
            .is_some_and(|m| m.contains("Neo4j is unavailable"))
        {
            assert!(event["reason"].is_string(), "the log says why: {line}");
            unavailable_logged = true;
        }
    }
    let url = url.expect("toex logged the URL it serves");
    assert!(unavailable_logged, "toex logs that Neo4j is unavailable");

    let health: serde_json::Value = blocking_get(&url.replace("/graphql", "/health"));
    assert_eq!(health["status"], "DEGRADED");
    // Regression: the public part told anyone the version, model hashes and counts.
    assert_eq!(
        health,
        serde_json::json!({"status": "DEGRADED"}),
        "up/down only"
    );

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "a graceful stop exits 0, got {status}");
}

/// A GET on a thread of its own, so this synchronous test needs no async runtime.
fn blocking_get(url: &str) -> serde_json::Value {
    let url = url.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async { reqwest::get(&url).await.unwrap().json().await.unwrap() })
    })
    .join()
    .unwrap()
}
