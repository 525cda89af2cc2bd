//! The work queue against a real `nats-server` with JetStream (Debian's, installed by
//! `scripts/setup.sh --test`): an item too large fails at once, an item whose workers
//! all die holding it ends failed with the reason, which tasks have workers, and work
//! that can do without them stops waiting once they are gone.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use toex_cluster::{MAX_DELIVERIES, NatsSettings, Outcome, WorkQueue};

mod support;

use support::Server;

/// The queue as a process with `stall_ms` sees it, once the server answers.
async fn queue(server: &Server, stall_ms: u64) -> WorkQueue {
    let settings = NatsSettings {
        stall_ms,
        max_entry_bytes: 64 * 1024,
        ..server.settings()
    };
    WorkQueue::open(&server.connect(&settings).await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_too_large_for_the_queue_fails_at_once_saying_its_size() {
    let server = Server::start();
    let queue = queue(&server, 1_000).await;
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
    let submitter = queue(&server, 1_000).await;
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
        let queue = std::sync::Arc::new(queue(&server, 1_000).await);
        let (held, mut in_hand) = tokio::sync::mpsc::channel::<()>(1);
        let worker = tokio::spawn({
            let (queue, scratch): (_, PathBuf) = (queue.clone(), scratch.path().to_owned());
            async move {
                queue
                    .serve("hear", &scratch, 1, move |_: String, _| {
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
async fn a_task_counts_as_taken_while_a_worker_serves_it_and_waits_end_once_none_does() {
    let server = Server::start();
    let queue = std::sync::Arc::new(queue(&server, 1_000).await);
    assert!(
        !queue.has_takers("translate").await.unwrap(),
        "no worker yet"
    );
    let scratch = tempfile::tempdir().unwrap();
    let worker = tokio::spawn({
        let (queue, scratch) = (queue.clone(), scratch.path().to_owned());
        async move {
            queue
                .serve("translate", &scratch, 1, |text: String, _| async move {
                    Ok(Outcome::Done(text.to_uppercase()))
                })
                .await
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !queue.has_takers("translate").await.unwrap() {
        assert!(
            Instant::now() < deadline,
            "the worker never said it takes the task"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !queue.has_takers("transcribe").await.unwrap(),
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
    let _ = worker.await;

    // The worker is gone: work that can do without it stops waiting once no worker has
    // said it takes the task for a while, instead of for the whole patience (six hours
    // at ingest; a job used to stall on a translation worker that had died).
    let started = Instant::now();
    let outcome = queue
        .run_while_taken::<_, String>(
            "translate",
            "two",
            &"shlonak",
            None,
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    match outcome {
        Outcome::Failed(reason) => assert!(reason.contains("no worker takes"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}
