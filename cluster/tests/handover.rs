//! Job leases and the shared spool against a real `nats-server`: a lease is one replica's
//! at a time, its holder takes it back after a restart, a stale one is taken over by
//! exactly one of the replicas racing for it and its old holder learns so on renewal;
//! a job's files come back byte for byte from the spool, and originals from theirs with
//! their extension; replicas agree on one signing key.

mod support;

use std::sync::Arc;

use support::Server;
use toex_cluster::{Claim, Leases, NatsSettings, Original, Originals, Spool, agreed_key};

async fn leases(server: &Server, holder: &str) -> Leases {
    let settings = NatsSettings {
        lease_ms: 1_000,
        ..server.settings()
    };
    Leases::open(&server.connect(&settings).await, holder)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_lease_is_taken_over_by_one_replica_and_its_holder_learns_so() {
    let server = Server::start();
    let a = leases(&server, "replica-a").await;
    let b = Arc::new(leases(&server, "replica-b").await);
    let c = Arc::new(leases(&server, "replica-c").await);

    let Claim::Held(first) = a.claim("job-1").await.unwrap() else {
        panic!("a new job's lease is free");
    };
    assert_eq!(
        b.claim("job-1").await.unwrap(),
        Claim::Other("replica-a".to_owned())
    );
    // Renewed, the lease moves on; a restarted holder claims it back.
    let renewed = a.renew("job-1", first).await.unwrap().expect("still held");
    assert!(renewed > first);
    let Claim::Held(back) = a.claim("job-1").await.unwrap() else {
        panic!("the holder claims its own lease back");
    };

    // B and C both find it stale and race: one wins.
    let seen = b.all().await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].job.as_str(), seen[0].holder.as_str()),
        ("job-1", "replica-a")
    );
    assert_eq!(seen[0].sequence, back);
    let (won_b, won_c) = tokio::join!(
        {
            let (b, lease) = (b.clone(), seen[0].clone());
            async move { b.take_over(&lease).await.unwrap() }
        },
        {
            let (c, lease) = (c.clone(), seen[0].clone());
            async move { c.take_over(&lease).await.unwrap() }
        }
    );
    assert!(
        won_b.is_some() != won_c.is_some(),
        "exactly one winner: {won_b:?} {won_c:?}"
    );
    let winner = if won_b.is_some() {
        "replica-b"
    } else {
        "replica-c"
    };
    // The old holder's next renewal fails, and a claim names the new holder.
    assert_eq!(a.renew("job-1", back).await.unwrap(), None);
    assert_eq!(
        a.claim("job-1").await.unwrap(),
        Claim::Other(winner.to_owned())
    );

    // Released, the job has no lease, and a take-over of the old one wins nothing.
    b.release("job-1").await.unwrap();
    assert!(b.all().await.unwrap().is_empty());
    assert_eq!(c.take_over(&seen[0]).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_files_come_back_from_the_spool_byte_for_byte() {
    let server = Server::start();
    let nats = server.connect(&server.settings()).await;
    let spool = Spool::open(&nats).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Over one object-store chunk, with every byte value.
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let path = dir.path().join("statement.pdf");
    std::fs::write(&path, &bytes).unwrap();
    spool.put("job-2", 3, &path).await.unwrap();

    let back = dir.path().join("fetched");
    spool.fetch("job-2", 3, &back).await.unwrap();
    assert_eq!(std::fs::read(&back).unwrap(), bytes);
    let missing = spool.fetch("job-2", 4, &dir.path().join("none")).await;
    assert!(missing.is_err(), "a file never stored is an error");

    spool.remove("job-2", 4).await;
    assert!(spool.fetch("job-2", 3, &back).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_original_comes_back_with_its_extension_and_replicas_starting_together_agree_one_key() {
    let server = Server::start();
    let nats = server.connect(&server.settings()).await;
    let originals = Originals::open(&nats).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 256) as u8).collect();
    let path = dir.path().join("scan.PNG");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(originals.info("doc-1").await.unwrap(), None);
    originals.put("doc-1", &path).await.unwrap();
    assert_eq!(
        originals.info("doc-1").await.unwrap(),
        Some(Original {
            extension: "png".to_owned(),
            bytes: bytes.len() as u64,
        })
    );
    let fetched = tempfile::tempdir().unwrap();
    let back = originals.fetch("doc-1", fetched.path()).await.unwrap();
    assert_eq!(back, Some(fetched.path().join("doc-1.png")));
    assert_eq!(std::fs::read(back.unwrap()).unwrap(), bytes);
    assert_eq!(
        originals.fetch("doc-2", fetched.path()).await.unwrap(),
        None
    );

    // Two replicas offer their keys at once on a stream neither has made yet (the start-up
    // that once failed reading it before its leader was elected): both use the winner's.
    let (one, two) = (nats.clone(), server.connect(&server.settings()).await);
    let (a, b) = tokio::join!(
        agreed_key(&one, "media", [1; 32]),
        agreed_key(&two, "media", [2; 32])
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert!(a == [1; 32] || a == [2; 32]);
    // A replica starting later takes the same key, whatever it offers.
    assert_eq!(agreed_key(&nats, "media", [3; 32]).await.unwrap(), a);
}
