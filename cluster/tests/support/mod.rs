//! A one-node JetStream server for the crate's tests (Debian's `nats-server`, installed by
//! `scripts/setup.sh --test`), on a free port.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use toex_cluster::{Nats, NatsSettings};

/// The server, stopped when dropped.
pub struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
            .arg("-sd")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server (scripts/setup.sh --test installs it)");
        Self {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// The default settings, pointing at this server.
    pub fn settings(&self) -> NatsSettings {
        NatsSettings {
            url: self.url.clone(),
            ..NatsSettings::default()
        }
    }

    /// A connection with `settings`, once the server answers.
    pub async fn connect(&self, settings: &NatsSettings) -> Nats {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match Nats::connect(settings, "test").await {
                Ok(nats) => return nats,
                Err(e) => assert!(Instant::now() < deadline, "{e}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
