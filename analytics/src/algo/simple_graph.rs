//! A simple undirected graph: distinct neighbours, no self-loops, parallel and opposite
//! links between a pair merged into one edge (summing weights).

use std::collections::HashMap;

/// Adjacency lists over dense node indices, with the original keys.
#[derive(Debug, Clone, Default)]
pub struct SimpleGraph {
    keys: Vec<String>,
    index: HashMap<String, usize>,
    /// `adj[u]` holds `(v, weight)`, sorted by `v`, each neighbour once.
    adj: Vec<Vec<(usize, f64)>>,
}

impl SimpleGraph {
    /// Builds from `(a, b, weight)` links; self-loops are dropped.
    pub fn from_links<'a>(links: impl IntoIterator<Item = (&'a str, &'a str, f64)>) -> Self {
        let mut g = SimpleGraph::default();
        let mut weights: HashMap<(usize, usize), f64> = HashMap::new();
        for (a, b, w) in links {
            let (ia, ib) = (g.intern(a), g.intern(b));
            if ia == ib {
                continue;
            }
            *weights.entry((ia.min(ib), ia.max(ib))).or_insert(0.0) += w;
        }
        g.adj = vec![Vec::new(); g.keys.len()];
        for ((a, b), w) in weights {
            g.adj[a].push((b, w));
            g.adj[b].push((a, w));
        }
        for list in &mut g.adj {
            list.sort_by_key(|&(v, _)| v);
        }
        g
    }

    /// Adds a node with no links (it still counts in normalisation).
    pub fn add_isolated(&mut self, key: &str) {
        let i = self.intern(key);
        if self.adj.len() <= i {
            self.adj.resize(i + 1, Vec::new());
        }
    }

    fn intern(&mut self, key: &str) -> usize {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let i = self.keys.len();
        self.keys.push(key.to_owned());
        self.index.insert(key.to_owned(), i);
        i
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn key(&self, i: usize) -> &str {
        &self.keys[i]
    }

    pub fn neighbours(&self, u: usize) -> &[(usize, f64)] {
        &self.adj[u]
    }

    pub fn edge_count(&self) -> usize {
        self.adj.iter().map(Vec::len).sum::<usize>() / 2
    }
}
