//! Hierarchical navigable small-world graphs (Malkov & Yashunin 2018) over unit vectors,
//! similarity = dot product. Searches take a filter, applied while collecting results;
//! when a filter leaves too few, an exact scan of the accepted vectors answers instead.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

#[derive(Clone, Copy, PartialEq)]
struct Scored(f32, u32);

impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// An HNSW index of `dim`-dimensional unit vectors; node ids are insertion order.
pub struct Hnsw {
    dim: usize,
    m: usize,
    ef_construction: usize,
    vectors: Vec<f32>,
    /// Per node, per level, its neighbours.
    links: Vec<Vec<Vec<u32>>>,
    entry: Option<u32>,
    rng: u64,
}

impl Hnsw {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            m: 16,
            ef_construction: 100,
            vectors: Vec::new(),
            links: Vec::new(),
            entry: None,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    pub fn len(&self) -> usize {
        self.links.len()
    }

    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    fn vector(&self, id: u32) -> &[f32] {
        let at = id as usize * self.dim;
        &self.vectors[at..at + self.dim]
    }

    fn sim(&self, q: &[f32], id: u32) -> f32 {
        q.iter().zip(self.vector(id)).map(|(a, b)| a * b).sum()
    }

    fn random_level(&mut self) -> usize {
        // xorshift64*, deterministic so builds are reproducible.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let u = (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
        let ml = 1.0 / (self.m as f64).ln();
        ((-(u.max(1e-12)).ln()) * ml).floor().min(16.0) as usize
    }

    fn max_links(&self, level: usize) -> usize {
        if level == 0 { 2 * self.m } else { self.m }
    }

    /// Best `ef` nodes at `level` reachable from `entry`, best first.
    fn search_layer(&self, q: &[f32], entry: &[u32], ef: usize, level: usize) -> Vec<Scored> {
        let mut visited: HashSet<u32> = entry.iter().copied().collect();
        let mut candidates: BinaryHeap<Scored> = BinaryHeap::new();
        let mut best: BinaryHeap<std::cmp::Reverse<Scored>> = BinaryHeap::new();
        for &e in entry {
            let s = Scored(self.sim(q, e), e);
            candidates.push(s);
            best.push(std::cmp::Reverse(s));
        }
        while let Some(c) = candidates.pop() {
            let worst = best.peek().map_or(f32::MIN, |w| w.0.0);
            if c.0 < worst && best.len() >= ef {
                break;
            }
            let Some(neighbours) = self.links[c.1 as usize].get(level) else {
                continue;
            };
            for &n in neighbours {
                if !visited.insert(n) {
                    continue;
                }
                let s = Scored(self.sim(q, n), n);
                let worst = best.peek().map_or(f32::MIN, |w| w.0.0);
                if best.len() < ef || s.0 > worst {
                    candidates.push(s);
                    best.push(std::cmp::Reverse(s));
                    if best.len() > ef {
                        best.pop();
                    }
                }
            }
        }
        let mut out: Vec<Scored> = best.into_iter().map(|r| r.0).collect();
        out.sort_by(|a, b| b.cmp(a));
        out
    }

    /// Adds a unit vector; returns its node id.
    pub fn insert(&mut self, v: &[f32]) -> u32 {
        assert_eq!(v.len(), self.dim, "vector dimension");
        let id = self.links.len() as u32;
        let level = self.random_level();
        self.vectors.extend_from_slice(v);
        self.links.push(vec![Vec::new(); level + 1]);
        let Some(mut entry) = self.entry else {
            self.entry = Some(id);
            return id;
        };
        let top = self.links[entry as usize].len() - 1;
        for l in (level + 1..=top).rev() {
            entry = self.search_layer(v, &[entry], 1, l)[0].1;
        }
        let mut entries = vec![entry];
        for l in (0..=level.min(top)).rev() {
            let found = self.search_layer(v, &entries, self.ef_construction, l);
            let chosen: Vec<u32> = found
                .iter()
                .filter(|s| s.1 != id)
                .take(self.m)
                .map(|s| s.1)
                .collect();
            self.links[id as usize][l] = chosen.clone();
            for &n in &chosen {
                self.links[n as usize][l].push(id);
                let cap = self.max_links(l);
                if self.links[n as usize][l].len() > cap {
                    let base: Vec<f32> = self.vector(n).to_vec();
                    let mut scored: Vec<Scored> = self.links[n as usize][l]
                        .iter()
                        .map(|&x| Scored(self.sim(&base, x), x))
                        .collect();
                    scored.sort_by(|a, b| b.cmp(a));
                    self.links[n as usize][l] = scored.into_iter().take(cap).map(|s| s.1).collect();
                }
            }
            entries = found.into_iter().map(|s| s.1).collect();
        }
        if level > top {
            self.entry = Some(id);
        }
        id
    }

    /// The `k` most similar accepted nodes, best first, as `(node, similarity)`.
    pub fn search(
        &self,
        q: &[f32],
        k: usize,
        ef: usize,
        accept: impl Fn(u32) -> bool,
    ) -> Vec<(u32, f32)> {
        let Some(mut entry) = self.entry else {
            return Vec::new();
        };
        let top = self.links[entry as usize].len() - 1;
        for l in (1..=top).rev() {
            entry = self.search_layer(q, &[entry], 1, l)[0].1;
        }
        let found: Vec<(u32, f32)> = self
            .search_layer(q, &[entry], ef.max(k), 0)
            .into_iter()
            .filter(|s| accept(s.1))
            .take(k)
            .map(|s| (s.1, s.0))
            .collect();
        if found.len() >= k || found.len() == self.len() {
            return found;
        }
        // A selective filter: scan the accepted vectors exactly.
        let mut all: Vec<Scored> = (0..self.len() as u32)
            .filter(|&n| accept(n))
            .map(|n| Scored(self.sim(q, n), n))
            .collect();
        all.sort_by(|a, b| b.cmp(a));
        all.into_iter().take(k).map(|s| (s.1, s.0)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u64, dim: usize) -> Vec<f32> {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v: Vec<f32> = (0..dim)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 2000) as f32 / 1000.0 - 1.0
            })
            .collect();
        let n = v.iter().map(|a| a * a).sum::<f32>().sqrt();
        v.into_iter().map(|a| a / n).collect()
    }

    #[test]
    fn recall_against_exact_search_is_high_and_filters_apply() {
        let dim = 32;
        let mut h = Hnsw::new(dim);
        let data: Vec<Vec<f32>> = (0..3000).map(|i| unit(i, dim)).collect();
        for v in &data {
            h.insert(v);
        }
        let mut hits = 0;
        for q in 0..50u64 {
            let query = unit(10_000 + q, dim);
            let mut exact: Vec<(usize, f32)> = data
                .iter()
                .enumerate()
                .map(|(i, v)| (i, v.iter().zip(&query).map(|(a, b)| a * b).sum()))
                .collect();
            exact.sort_by(|a, b| b.1.total_cmp(&a.1));
            let truth: HashSet<u32> = exact.iter().take(10).map(|e| e.0 as u32).collect();
            let got = h.search(&query, 10, 64, |_| true);
            hits += got.iter().filter(|g| truth.contains(&g.0)).count();
        }
        let recall = hits as f64 / 500.0;
        assert!(recall > 0.9, "recall@10 = {recall}");
        // Only even nodes, and a filter so narrow the exact scan answers.
        let q = unit(77, dim);
        assert!(
            h.search(&q, 5, 64, |n| n % 2 == 0)
                .iter()
                .all(|r| r.0 % 2 == 0)
        );
        let rare = h.search(&q, 5, 64, |n| n == 1234);
        assert_eq!(rare.len(), 1);
        assert_eq!(rare[0].0, 1234);
    }
}
