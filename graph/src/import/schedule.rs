//! Which transaction each concurrent writer runs next, so that no two running at once
//! lock the same nodes.

use std::collections::VecDeque;

use super::split_owned;

/// Rows to write in order, one transaction after another. Rows of groups whose
/// `buckets` (a bit set) overlap are never written at the same time; with `buckets`
/// covering every node a group's rows lock, concurrent writers neither wait on each
/// other's locks nor deadlock.
#[derive(Debug)]
pub struct Group<T> {
    pub buckets: u64,
    pub rows: Vec<T>,
}

/// Hands out transactions (chunks of a group's rows): the next chunk of the group with
/// the most left among those that share no bucket with a running one. A group runs one
/// transaction at a time, in row order. Taking whichever group is free, not a fixed
/// round of groups, keeps every writer busy when groups differ in size (a call hub makes
/// its buckets' groups larger).
#[derive(Debug)]
pub struct Schedule<T> {
    groups: Vec<Pending<T>>,
    busy: u64,
}

#[derive(Debug)]
struct Pending<T> {
    buckets: u64,
    running: bool,
    chunks: VecDeque<Vec<T>>,
}

/// What a writer does next.
#[derive(Debug, PartialEq)]
pub enum Next<T> {
    /// Write these rows as one transaction, then [`Schedule::finish`] the group.
    Run { group: usize, rows: Vec<T> },
    /// Every free chunk shares a bucket with a running transaction: wait for one to
    /// finish.
    Wait,
    /// Nothing is left to hand out.
    Done,
}

impl<T> Schedule<T> {
    /// Splits each group into transactions of at most `rows_per_transaction` rows.
    pub fn new(groups: Vec<Group<T>>, rows_per_transaction: usize) -> Self {
        let groups = groups
            .into_iter()
            .filter(|g| !g.rows.is_empty())
            .map(|g| Pending {
                buckets: g.buckets,
                running: false,
                chunks: split_owned(g.rows, rows_per_transaction).into(),
            })
            .collect();
        Self { groups, busy: 0 }
    }

    /// The next transaction a free writer should run.
    pub fn next(&mut self) -> Next<T> {
        let mut best: Option<usize> = None;
        let mut left = false;
        for (i, g) in self.groups.iter().enumerate() {
            if g.chunks.is_empty() {
                continue;
            }
            left = true;
            if g.running || g.buckets & self.busy != 0 {
                continue;
            }
            if best.is_none_or(|b| self.groups[b].chunks.len() < g.chunks.len()) {
                best = Some(i);
            }
        }
        match best {
            Some(group) => {
                let g = &mut self.groups[group];
                g.running = true;
                self.busy |= g.buckets;
                let rows = g.chunks.pop_front().unwrap_or_default();
                Next::Run { group, rows }
            }
            None if left => Next::Wait,
            None => Next::Done,
        }
    }

    /// Marks the running transaction of `group` as finished (committed or not).
    pub fn finish(&mut self, group: usize) {
        if let Some(g) = self.groups.get_mut(group) {
            g.running = false;
            self.busy &= !g.buckets;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(buckets: &[u32], rows: std::ops::Range<u32>) -> Group<u32> {
        Group {
            buckets: buckets.iter().map(|b| 1u64 << b).sum(),
            rows: rows.collect(),
        }
    }

    #[test]
    fn running_transactions_never_share_a_bucket_and_each_group_keeps_its_order() {
        // The ten bucket pairs of four buckets, of uneven sizes (bucket 0 holds a hub).
        let mut groups = Vec::new();
        let mut start = 0;
        for i in 0..4u32 {
            for j in i..4 {
                let n = if i == 0 { 23 } else { 7 + i + j };
                groups.push(group(&[i, j], start..start + n));
                start += n;
            }
        }
        let total = start as usize;
        let mut schedule = Schedule::new(groups, 5);
        let (mut running, mut seen): (Vec<(usize, u64)>, Vec<u32>) = (Vec::new(), Vec::new());
        let mut last_of_group = std::collections::HashMap::new();
        let mut step = 0u64;
        loop {
            // Two writers: fill free slots, then finish the older transaction.
            while running.len() < 2 {
                match schedule.next() {
                    Next::Run { group, rows } => {
                        let buckets = schedule.groups[group].buckets;
                        for &(_, other) in &running {
                            assert_eq!(buckets & other, 0, "overlapping transactions run");
                        }
                        for r in &rows {
                            if let Some(prev) = last_of_group.insert(group, *r) {
                                assert!(prev < *r, "group {group} out of order");
                            }
                        }
                        seen.extend(rows);
                        running.push((group, buckets));
                    }
                    Next::Wait => {
                        assert!(!running.is_empty(), "waiting with nothing running");
                        break;
                    }
                    Next::Done => break,
                }
            }
            if running.is_empty() {
                break;
            }
            let (group, _) = running.remove((step % running.len() as u64) as usize);
            schedule.finish(group);
            step += 1;
        }
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..total as u32).collect::<Vec<_>>(),
            "every row once"
        );
        assert_eq!(schedule.next(), Next::Done);
    }

    #[test]
    fn a_free_writer_takes_the_largest_group_it_may() {
        let mut schedule = Schedule::new(
            vec![
                group(&[0, 1], 0..10),
                group(&[2, 3], 10..40),
                group(&[0, 2], 40..70),
            ],
            10,
        );
        let Next::Run { group: first, .. } = schedule.next() else {
            panic!("nothing to run")
        };
        assert_eq!(first, 1, "three chunks left: the largest (ties: the first)");
        let Next::Run { group: second, .. } = schedule.next() else {
            panic!("a disjoint group is free")
        };
        assert_eq!(second, 0, "the only group sharing no bucket with the first");
        assert_eq!(schedule.next(), Next::Wait);
        schedule.finish(0);
        assert_eq!(
            schedule.next(),
            Next::Wait,
            "group 2 shares bucket 2 with group 1"
        );
        schedule.finish(1);
        assert!(
            matches!(schedule.next(), Next::Run { group: 2, .. }),
            "three chunks left against two"
        );
    }

    #[test]
    fn no_rows_means_nothing_to_do() {
        let mut schedule = Schedule::<u32>::new(vec![group(&[0], 0..0)], 10);
        assert_eq!(schedule.next(), Next::Done);
    }
}
