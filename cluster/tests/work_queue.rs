//! The work queue against a real `nats-server` with JetStream (Debian's, installed by
//! `scripts/setup.sh --test`): an item too large fails at once, an item whose workers
//! all die holding it ends failed with the reason, and which tasks have workers.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use toex_cluster::{MAX_DELIVERIES, Nats, NatsSettings, Outcome, WorkQueue};

/// A one-node JetStream server on a free port, stopped when dropped.
struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
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

    /// The queue as a process with `stall_ms` sees it, once the server answers.
    async fn queue(&self, stall_ms: u64) -> WorkQueue {
        let settings = NatsSettings {
            url: self.url.clone(),
            stall_ms,
            max_entry_bytes: 64 * 1024,
            ..NatsSettings::default()
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let nats = loop {
            match Nats::connect(&settings, "test").await {
                Ok(nats) => break nats,
                Err(e) => assert!(Instant::now() < deadline, "{e}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        WorkQueue::open(&nats).await.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_too_large_for_the_queue_fails_at_once_saying_its_size() {
    let server = Server::start();
    let queue = server.queue(1_000).await;
    let text = "x".repeat(100 * 1024);
    let started = Instant::now();
    let outcome = queue
        .run::<_, String>("translate", "big", &text, None, Duration::from_secs(3600))
        .await
        .unwrap();
    match outcome {
        Outcome::Failed(reason) => assert!(reason.contains("bytes"), "{reason}"),
        Outcome::Done(_) => panic!("a worker was never asked"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        queue.waiting("translate").await.ok(),
        None,
        "nothing queued"
    );
}

// Regression: an item delivered to workers that all died holding it reached the
// consumer's delivery limit and was never delivered again; the job waited six hours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_whose_workers_all_die_ends_failed_with_the_reason() {
    let server = Server::start();
    let submitter = server.queue(1_000).await;
    let submitted = tokio::spawn(async move {
        submitter
            .run::<_, String>("hear", "doomed", &"item", None, Duration::from_secs(600))
            .await
    });
    let scratch = tempfile::tempdir().unwrap();
    // Each worker takes the item and dies holding it (its work never ends; the task
    // is aborted once the item is in hand, so no heartbeat follows).
    let mut taken = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !submitted.is_finished() {
        assert!(
            Instant::now() < deadline,
            "taken {taken} times, never failed"
        );
        let queue = std::sync::Arc::new(server.queue(1_000).await);
        let (held, mut in_hand) = tokio::sync::mpsc::channel::<()>(1);
        let worker = tokio::spawn({
            let (queue, scratch): (_, PathBuf) = (queue.clone(), scratch.path().to_owned());
            async move {
                queue
                    .serve("hear", &scratch, move |_: String, _| {
                        let held = held.clone();
                        async move {
                            let _ = held.send(()).await;
                            std::future::pending::<Result<Outcome<String>, String>>().await
                        }
                    })
                    .await
            }
        });
        let took = tokio::time::timeout(Duration::from_secs(5), in_hand.recv()).await;
        worker.abort();
        if took.is_ok() {
            taken += 1;
        }
    }
    let outcome = submitted.await.unwrap().unwrap();
    match outcome {
        Outcome::Failed(reason) => assert!(reason.contains("never finished"), "{reason}"),
        Outcome::Done(_) => panic!("nobody finished it"),
    }
    assert_eq!(
        taken, MAX_DELIVERIES,
        "every delivery but the last was lost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_counts_as_taken_while_a_worker_serves_it() {
    let server = Server::start();
    let queue = std::sync::Arc::new(server.queue(1_000).await);
    assert!(!queue.has_takers("translate").await, "no worker yet");
    let scratch = tempfile::tempdir().unwrap();
    let worker = tokio::spawn({
        let (queue, scratch) = (queue.clone(), scratch.path().to_owned());
        async move {
            queue
                .serve("translate", &scratch, |text: String, _| async move {
                    Ok(Outcome::Done(text.to_uppercase()))
                })
                .await
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !queue.has_takers("translate").await {
        assert!(
            Instant::now() < deadline,
            "the worker never said it takes the task"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !queue.has_takers("transcribe").await,
        "another task has none"
    );
    let outcome = queue
        .run::<_, String>("translate", "one", &"salam", None, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        matches!(outcome, Outcome::Done(ref t) if t == "SALAM"),
        "{outcome:?}"
    );
    worker.abort();
}
