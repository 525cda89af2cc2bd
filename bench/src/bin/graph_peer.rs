//! The peer of the call-record import: a plain Bolt client that writes `CALLED`
//! relationships between existing phones with nothing else to do (rows built before the
//! clock starts, no parsing, no aggregation, no idempotence), in the statement form and
//! transaction size toex uses, rows in caller order, with writers on disjoint phones so
//! they seldom wait on each other's locks. Prints relationships/s and Neo4j's CPU per 100k relationships, the
//! figure that caps any client on this machine.
//!
//!   graph_peer BOLT_URI NEO4J_PID RELATIONSHIPS [WRITERS] [six|none] [SOURCE]
//!
//! Writes `CALLED {source: SOURCE}` (default `bench:peer`) into the store: run it on a
//! bench store only.

use std::time::Instant;

use chrono::{DateTime, Duration, FixedOffset};
use neo4rs::{BoltList, BoltType, ConfigBuilder, Graph, query};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Rows per transaction and per `UNWIND`, as toex's `CALL_ROWS_PER_TRANSACTION`.
const ROWS_PER_TRANSACTION: usize = 5_000;

const ENDS: &str = "UNWIND $rows AS row \
     MATCH (a:Phone) WHERE elementId(a) = row[0] \
     MATCH (b:Phone) WHERE elementId(b) = row[1] ";
const SIX: &str = "CREATE (a)-[:CALLED {source: $source, force: row[2], count: row[3], \
     totalDuration: row[4], firstSeen: row[5], lastSeen: row[6]}]->(b)";
const NONE: &str = "CREATE (a)-[:CALLED]->(b)";

/// User plus system CPU seconds of a process so far, from `/proc` (clock ticks of 1/100 s,
/// Linux's `USER_HZ` on every architecture toex runs on).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("cannot read /proc/{pid}/stat: {e}"));
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').expect("a /proc stat line") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks = |i: usize| fields[i].parse::<u64>().expect("a tick count");
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

fn usage() -> ! {
    eprintln!("usage: graph_peer BOLT_URI NEO4J_PID RELATIONSHIPS [WRITERS] [six|none] [SOURCE]");
    std::process::exit(2)
}

/// One writer's transactions: rows between phones of its own share only.
fn transactions(
    phones: &[String],
    relationships: usize,
    seed: u64,
    six: bool,
) -> Vec<Vec<BoltType>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2024-01-01T00:00:00+00:00").expect("a valid timestamp");
    let mut pairs: Vec<(usize, usize)> = (0..relationships)
        .map(|_| {
            let a = rng.random_range(0..phones.len());
            let b = rng.random_range(0..phones.len() - 1);
            (a, if b >= a { b + 1 } else { b })
        })
        .collect();
    // In caller order, as toex writes them: a caller's relationships land in one
    // transaction and its records stay in cache.
    pairs.sort_unstable();
    let rows: Vec<BoltType> = pairs
        .into_iter()
        .map(|(a, b)| {
            let mut row: Vec<BoltType> = vec![phones[a].as_str().into(), phones[b].as_str().into()];
            if six {
                let first = start + Duration::seconds(rng.random_range(0..30_000_000));
                let last = first + Duration::seconds(rng.random_range(0..3_000_000));
                row.extend([
                    "WYP".into(),
                    rng.random_range(1i64..6).into(),
                    rng.random_range(1i64..3_600).into(),
                    first.into(),
                    last.into(),
                ]);
            }
            BoltType::List(BoltList::from(row))
        })
        .collect();
    let mut out = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        out.push(rows.by_ref().take(ROWS_PER_TRANSACTION).collect());
    }
    out
}

/// One transaction of one statement.
async fn write(graph: &Graph, q: neo4rs::Query) -> Result<(), neo4rs::Error> {
    let mut txn = graph.start_txn().await?;
    txn.run(q).await?;
    txn.commit().await
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        usage();
    }
    let uri = &args[0];
    let Ok(pid) = args[1].parse::<u32>() else {
        usage()
    };
    let Ok(relationships) = args[2].parse::<usize>() else {
        usage()
    };
    let writers: usize = args
        .get(3)
        .map_or(Ok(2), |w| w.parse())
        .unwrap_or_else(|_| usage());
    let six = match args.get(4).map(String::as_str) {
        None | Some("six") => true,
        Some("none") => false,
        Some(_) => usage(),
    };
    let source = args
        .get(5)
        .cloned()
        .unwrap_or_else(|| "bench:peer".to_owned());
    if writers == 0 || relationships == 0 {
        usage();
    }
    let config = ConfigBuilder::default()
        .uri(uri.as_str())
        .user("neo4j")
        .password("")
        .max_connections(writers + 1)
        .build()
        .expect("a Bolt configuration");
    let graph = Graph::connect(config).expect("a Bolt pool");

    let mut phones = Vec::new();
    let mut found = graph
        .execute(query("MATCH (p:Phone) RETURN elementId(p) AS id"))
        .await
        .expect("phones");
    while let Some(row) = found.next().await.expect("a phone row") {
        phones.push(row.get::<String>("id").expect("an element id"));
    }
    let share = phones.len() / writers;
    if share < 2 {
        eprintln!(
            "graph_peer: {} phones are too few for {writers} writers",
            phones.len()
        );
        std::process::exit(1);
    }
    let statement = format!("{ENDS}{}", if six { SIX } else { NONE });
    let plan: Vec<Vec<Vec<BoltType>>> = (0..writers)
        .map(|w| {
            let mine = &phones[w * share..(w + 1) * share];
            let n = relationships / writers + usize::from(w < relationships % writers);
            transactions(mine, n, 7 + w as u64, six)
        })
        .collect();

    let neo4j_before = cpu_seconds(pid);
    let client_before = cpu_seconds(std::process::id());
    let started = Instant::now();
    let tasks: Vec<_> = plan
        .into_iter()
        .map(|txs| {
            let graph = graph.clone();
            let statement = statement.clone();
            let source = source.clone();
            tokio::spawn(async move {
                let mut retries = 0u32;
                for rows in txs {
                    let q = query(&statement)
                        .param("rows", rows)
                        .param("source", source.as_str());
                    // Writers on disjoint phones still meet on relationship records that
                    // link their phones (a chain's neighbours are locked too): a
                    // transient error runs the transaction again, as toex does.
                    loop {
                        match write(&graph, q.clone()).await {
                            Ok(()) => break,
                            Err(neo4rs::Error::Neo4j(e))
                                if e.kind() == neo4rs::Neo4jErrorKind::Transient
                                    && retries < 100 =>
                            {
                                retries += 1;
                            }
                            Err(e) => panic!("writing rows: {e}"),
                        }
                    }
                }
                retries
            })
        })
        .collect();
    let mut retries = 0;
    for t in tasks {
        retries += t.await.expect("a writer");
    }
    let wall = started.elapsed().as_secs_f64();
    let neo4j = cpu_seconds(pid) - neo4j_before;
    let client = cpu_seconds(std::process::id()) - client_before;
    let per_100k = neo4j / relationships as f64 * 100_000.0;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "peer ({} properties, {writers} writers): {relationships} CALLED in {wall:.1} s = {:.0}/s; \
         Neo4j CPU {neo4j:.1} s ({per_100k:.2} s per 100k: {:.0}/s if Neo4j had all {cores} \
         cores to itself); client CPU {client:.1} s; {retries} transactions run again",
        if six { "six" } else { "no" },
        relationships as f64 / wall,
        cores as f64 * 100_000.0 / per_100k,
    );
}
