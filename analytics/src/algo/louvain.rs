//! Louvain community detection (Blondel et al. 2008) on the weighted simple graph:
//! local moving by modularity gain, then aggregation, until modularity stops rising.
//! Louvain depends on the order nodes are visited in, so it runs from several seeded
//! orders (the identity first) and keeps the partition of highest modularity: the
//! result is deterministic and does not hinge on the order the graph was loaded in.

use std::collections::HashMap;

use super::SimpleGraph;

/// A community id per node (in the graph's node order) and the partition's modularity.
#[derive(Debug, Clone)]
pub struct Communities {
    pub membership: Vec<usize>,
    pub count: usize,
    pub modularity: f64,
}

/// Weighted adjacency with self-loops, for the aggregated levels.
struct Level {
    /// `adj[u]` = `(v, w)`; a self-loop `(u, w)` holds twice the internal weight.
    adj: Vec<Vec<(usize, f64)>>,
}

impl Level {
    fn degree(&self, u: usize) -> f64 {
        self.adj[u].iter().map(|&(_, w)| w).sum()
    }
}

/// Visit orders tried: many for small selections, one for very large ones.
fn restarts(n: usize) -> u64 {
    match n {
        0..=5_000 => 16,
        5_001..=50_000 => 4,
        _ => 1,
    }
}

pub fn louvain(g: &SimpleGraph) -> Communities {
    let mut best: Option<Communities> = None;
    for seed in 0..restarts(g.len()) {
        let found = louvain_from(g, seed);
        if best
            .as_ref()
            .is_none_or(|b| found.modularity > b.modularity + 1e-12)
        {
            best = Some(found);
        }
    }
    best.unwrap_or(Communities {
        membership: Vec::new(),
        count: 0,
        modularity: 0.0,
    })
}

/// A permutation of `0..n` from `seed` (the identity for seed 0).
fn visit_order(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if seed == 0 {
        return order;
    }
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

fn louvain_from(g: &SimpleGraph, seed: u64) -> Communities {
    let n = g.len();
    let mut membership: Vec<usize> = (0..n).collect();
    if n == 0 || g.edge_count() == 0 {
        return Communities {
            count: n,
            modularity: 0.0,
            membership,
        };
    }
    let mut level = Level {
        adj: (0..n).map(|u| g.neighbours(u).to_vec()).collect(),
    };
    let two_m: f64 = (0..n).map(|u| level.degree(u)).sum();
    loop {
        let order = visit_order(level.adj.len(), seed);
        let (community, moved) = local_moving(&level, two_m, &order);
        if !moved {
            break;
        }
        let (renumbered, count) = renumber(&community);
        for m in &mut membership {
            *m = renumbered[*m];
        }
        level = aggregate(&level, &renumbered, count);
        if count == level.adj.len() && count == renumbered.len() {
            break;
        }
    }
    let (membership, count) = renumber(&membership);
    let modularity = modularity(g, &membership);
    Communities {
        membership,
        count,
        modularity,
    }
}

/// One pass of local moves until none improves modularity; returns community per node.
fn local_moving(level: &Level, two_m: f64, order: &[usize]) -> (Vec<usize>, bool) {
    let n = level.adj.len();
    let mut community: Vec<usize> = (0..n).collect();
    let degree: Vec<f64> = (0..n).map(|u| level.degree(u)).collect();
    let mut total: Vec<f64> = degree.clone();
    let mut moved_any = false;
    let mut links: HashMap<usize, f64> = HashMap::new();
    loop {
        let mut moved = false;
        for &u in order {
            let current = community[u];
            links.clear();
            for &(v, w) in &level.adj[u] {
                if v != u {
                    *links.entry(community[v]).or_insert(0.0) += w;
                }
            }
            total[current] -= degree[u];
            let gain = |c: usize, k_in: f64| k_in - total[c] * degree[u] / two_m;
            let mut best = current;
            let mut best_gain = gain(current, links.get(&current).copied().unwrap_or(0.0));
            let mut candidates: Vec<(usize, f64)> = links.iter().map(|(&c, &k)| (c, k)).collect();
            candidates.sort_by_key(|&(c, _)| c);
            for (c, k_in) in candidates {
                let g = gain(c, k_in);
                if g > best_gain + 1e-12 {
                    best = c;
                    best_gain = g;
                }
            }
            total[best] += degree[u];
            if best != current {
                community[u] = best;
                moved = true;
                moved_any = true;
            }
        }
        if !moved {
            break;
        }
    }
    (community, moved_any)
}

fn renumber(community: &[usize]) -> (Vec<usize>, usize) {
    let mut map: HashMap<usize, usize> = HashMap::new();
    let out = community
        .iter()
        .map(|c| {
            let next = map.len();
            *map.entry(*c).or_insert(next)
        })
        .collect();
    (out, map.len())
}

fn aggregate(level: &Level, community: &[usize], count: usize) -> Level {
    let mut weights: Vec<HashMap<usize, f64>> = vec![HashMap::new(); count];
    for (u, list) in level.adj.iter().enumerate() {
        for &(v, w) in list {
            *weights[community[u]].entry(community[v]).or_insert(0.0) += w;
        }
    }
    Level {
        adj: weights
            .into_iter()
            .map(|m| {
                let mut v: Vec<(usize, f64)> = m.into_iter().collect();
                v.sort_by_key(|&(c, _)| c);
                v
            })
            .collect(),
    }
}

/// Newman's modularity of a partition of the weighted simple graph.
pub fn modularity(g: &SimpleGraph, membership: &[usize]) -> f64 {
    let count = membership.iter().copied().max().map_or(0, |m| m + 1);
    let mut inside = vec![0.0; count];
    let mut total = vec![0.0; count];
    let mut two_m = 0.0;
    for u in 0..g.len() {
        for &(v, w) in g.neighbours(u) {
            two_m += w;
            total[membership[u]] += w;
            if membership[u] == membership[v] {
                inside[membership[u]] += w;
            }
        }
    }
    if two_m == 0.0 {
        return 0.0;
    }
    (0..count)
        .map(|c| inside[c] / two_m - (total[c] / two_m).powi(2))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cliques_joined_by_a_bridge_split_in_two() {
        let mut links = Vec::new();
        let a = ["a1", "a2", "a3", "a4"];
        let b = ["b1", "b2", "b3", "b4"];
        for group in [&a, &b] {
            for i in 0..4 {
                for j in i + 1..4 {
                    links.push((group[i], group[j], 1.0));
                }
            }
        }
        links.push(("a1", "b1", 1.0));
        let g = SimpleGraph::from_links(links);
        let c = louvain(&g);
        assert_eq!(c.count, 2);
        let of = |k: &str| c.membership[(0..g.len()).find(|&i| g.key(i) == k).unwrap()];
        assert_eq!(of("a2"), of("a4"));
        assert_ne!(of("a2"), of("b2"));
        assert!((c.modularity - super::modularity(&g, &c.membership)).abs() < 1e-12);
        assert!(c.modularity > 0.4, "{}", c.modularity);
    }
}
