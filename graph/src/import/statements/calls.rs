//! Call records as `CALLED` aggregates: phones numbered once, calls aggregated per
//! phone pair by sorting, and rows grouped by phone bucket for concurrent writers.

use super::*;

/// The `CALLED` aggregates of call records, one per (caller, callee, force), grouped
/// for concurrent writers; each becomes the row
/// `[caller, callee, force, count, totalDuration, firstSeen, lastSeen]` once its phones'
/// element ids are known ([`CallRows::new`], after [`KNOWN_PHONES`] and [`PHONES`]).
/// Needing nothing from Neo4j, this runs while the phones are looked up. `calls` come
/// numbered by [`number_calls`], whose phones number `0..phones`.
///
/// Pairs stay compact ([`CallPair`]) until a writer turns a transaction's worth into
/// rows ([`CallRows::row`]): building all the rows at once cost toex seconds of page
/// faults while Neo4j idled. Calls are aggregated by sorting them by number, not through
/// a map keyed by phone text: no string is hashed again, and the pairs come out in
/// (caller, callee) order.
///
/// Rows come grouped for concurrent writers: each phone falls in one of `buckets`
/// buckets (at most 64), and a row goes to the group of its ends' unordered bucket pair,
/// whose [`Group::buckets`] are those two. Groups that share no bucket share no phone,
/// so writers running them at once never wait on each other's node locks (nor
/// deadlock). Within a group rows are in (caller, callee) order.
///
/// Groups sharing a bucket run one after another, so a bucket whose groups hold more
/// than a writer's share of the rows leaves the other writers idle at the end. Phones
/// therefore fill the buckets by degree ([`balanced_buckets`]), not by number: a call
/// hub's bucket gets fewer other phones.
pub fn aggregate_calls(
    mut calls: Vec<Call>,
    phones: usize,
    buckets: usize,
) -> Vec<Group<CallPair>> {
    let key = |c: &Call| (c.caller, c.callee, c.force);
    calls.sort_unstable_by_key(key);
    let mut pairs: Vec<CallPair> = Vec::with_capacity(calls.len());
    let mut degrees = vec![0u64; phones];
    for run in calls.chunk_by(|a, b| key(a) == key(b)) {
        let (first, last) = run.iter().fold((run[0].start, run[0].start), |(f, l), c| {
            (f.min(c.start), l.max(c.start))
        });
        let c = &run[0];
        degrees[c.caller as usize] += 1;
        degrees[c.callee as usize] += 1;
        pairs.push(CallPair {
            caller: c.caller,
            callee: c.callee,
            force: c.force,
            count: run.len() as i64,
            duration: run.iter().map(|c| c.duration).sum(),
            // An offset of zero, as Neo4j has stored call times since the first import.
            first: first.fixed_offset(),
            last: last.fixed_offset(),
        });
    }
    drop(calls);
    let buckets = buckets.clamp(1, 64);
    let pair_group = |i: usize, j: usize| {
        let (i, j) = (i.min(j), i.max(j));
        // Pairs (i, j), i <= j, numbered row by row.
        i * buckets - i * (i + 1) / 2 + j
    };
    let mut grouped: Vec<Group<CallPair>> = Vec::with_capacity(buckets * (buckets + 1) / 2);
    for i in 0..buckets {
        for j in i..buckets {
            debug_assert_eq!(pair_group(i, j), grouped.len());
            grouped.push(Group {
                buckets: (1 << i) | (1 << j),
                rows: Vec::new(),
            });
        }
    }
    let bucket_of = balanced_buckets(&degrees, buckets);
    for pair in pairs {
        let g = pair_group(
            bucket_of[pair.caller as usize] as usize,
            bucket_of[pair.callee as usize] as usize,
        );
        grouped[g].rows.push(pair);
    }
    grouped
}

/// One `CALLED` aggregate: phones and force as numbers into [`CallRows`].
#[derive(Debug, Clone)]
pub struct CallPair {
    caller: u32,
    callee: u32,
    force: u32,
    count: i64,
    duration: i64,
    first: chrono::DateTime<chrono::FixedOffset>,
    last: chrono::DateTime<chrono::FixedOffset>,
}

/// A bucket for each phone, given its number of distinct `CALLED` pairs: the phones in
/// falling degree each go to the bucket with the fewest links so far (the longest
/// processing time rule), so every bucket ends up with about the same number of rows.
pub fn balanced_buckets(degrees: &[u64], buckets: usize) -> Vec<u8> {
    let buckets = buckets.clamp(1, 64);
    let mut order: Vec<u32> = (0..degrees.len() as u32).collect();
    order.sort_unstable_by_key(|&p| (std::cmp::Reverse(degrees[p as usize]), p));
    let mut load = vec![0u64; buckets];
    let mut bucket_of = vec![0u8; degrees.len()];
    for p in order {
        let (b, _) = load
            .iter()
            .enumerate()
            .min_by_key(|&(b, &l)| (l, b))
            .unwrap_or((0, &0));
        load[b] += degrees[p as usize];
        bucket_of[p as usize] = b as u8;
    }
    bucket_of
}

/// What turns a [`CallPair`] into a row of [`CALLS`] / [`CALLS_FRESH`].
#[derive(Debug)]
pub struct CallRows {
    element_ids: Vec<String>,
    forces: Vec<String>,
}

impl CallRows {
    /// What turns the pairs that `numbers` number ([`number_calls`]) into rows, given
    /// each phone's element id (phone number to element id, from [`KNOWN_PHONES`] and
    /// [`PHONES`]).
    pub fn new(
        numbers: &CallNumbers,
        nodes: &std::collections::HashMap<String, String>,
    ) -> Result<Self, String> {
        let element_ids = numbers
            .phones
            .iter()
            .map(|(p, _)| {
                nodes
                    .get(p)
                    .cloned()
                    .ok_or_else(|| format!("phone `{p}` was not merged"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            element_ids,
            forces: numbers.forces.clone(),
        })
    }

    /// `[caller, callee, force, count, totalDuration, firstSeen, lastSeen]`.
    pub fn row(&self, p: &CallPair) -> BoltType {
        BoltType::List(neo4rs::BoltList::from(vec![
            self.element_ids[p.caller as usize].as_str().into(),
            self.element_ids[p.callee as usize].as_str().into(),
            self.forces[p.force as usize].as_str().into(),
            p.count.into(),
            p.duration.into(),
            p.first.into(),
            p.last.into(),
        ]))
    }
}

/// The phones and forces that [`Call`]s number, in number order.
#[derive(Debug)]
pub struct CallNumbers {
    /// The distinct phones as `(id, force)`, in phone order; each keeps the force of the
    /// first record that names it.
    pub phones: Vec<(String, String)>,
    forces: Vec<String>,
}

/// One call record, by numbers ([`number_calls`]).
#[derive(Debug)]
pub struct Call {
    caller: u32,
    callee: u32,
    force: u32,
    duration: i64,
    start: chrono::DateTime<chrono::Utc>,
}

/// Numbers the phones (in phone order) and forces of call records, and turns each call
/// record into a [`Call`] by those numbers. A phone's text is hashed here once per record
/// that names it, and never again: [`aggregate_calls`] works on the numbers.
pub fn number_calls(records: &[Record]) -> (CallNumbers, Vec<Call>) {
    let mut seen: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
    seen.reserve(records.len() / 8);
    // Numbered as first seen, renumbered in phone order below.
    let mut first_seen: Vec<(&str, &str)> = Vec::new();
    let mut forces: Vec<&str> = Vec::new();
    let mut calls = Vec::with_capacity(records.len());
    for r in records {
        let RecordKind::Call {
            caller,
            callee,
            start,
            duration,
        } = &r.kind
        else {
            continue;
        };
        let mut number = |phone| {
            *seen.entry(phone).or_insert_with(|| {
                first_seen.push((phone, r.force.as_str()));
                (first_seen.len() - 1) as u32
            })
        };
        let (caller, callee) = (number(caller.as_str()), number(callee.as_str()));
        let force = match forces.iter().position(|f| *f == r.force) {
            Some(i) => i,
            None => {
                forces.push(&r.force);
                forces.len() - 1
            }
        } as u32;
        calls.push(Call {
            caller,
            callee,
            force,
            duration: *duration,
            start: *start,
        });
    }
    drop(seen);
    let mut order: Vec<u32> = (0..first_seen.len() as u32).collect();
    order.sort_unstable_by_key(|&i| first_seen[i as usize].0);
    let mut renumber = vec![0u32; order.len()];
    for (number, &i) in order.iter().enumerate() {
        renumber[i as usize] = number as u32;
    }
    for c in &mut calls {
        (c.caller, c.callee) = (renumber[c.caller as usize], renumber[c.callee as usize]);
    }
    let phones = order
        .into_iter()
        .map(|i| {
            let (id, force) = first_seen[i as usize];
            (id.to_owned(), force.to_owned())
        })
        .collect();
    let forces = forces.into_iter().map(str::to_owned).collect();
    (CallNumbers { phones, forces }, calls)
}

/// A row of [`PHONES`].
pub fn phone_row((id, force): (String, String)) -> BoltType {
    bolt_map(vec![("id", id.into()), ("force", force.into())])
}
