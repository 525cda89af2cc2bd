//! Degree and betweenness centrality on the simple undirected graph, betweenness by
//! Brandes (2001) with unweighted BFS: each unordered pair counted once, so the values
//! equal NetworkX's `betweenness_centrality(G, normalized=False)`; normalised values
//! divide by (n-1)(n-2)/2.

use std::collections::VecDeque;

use super::SimpleGraph;

/// Centrality of one node.
#[derive(Debug, Clone, PartialEq)]
pub struct Centrality {
    pub key: String,
    /// Distinct neighbours.
    pub degree: usize,
    pub betweenness: f64,
    pub betweenness_normalized: f64,
}

/// Degree and betweenness for every node, in the graph's node order.
pub fn centrality(g: &SimpleGraph) -> Vec<Centrality> {
    let n = g.len();
    let mut bc = vec![0.0f64; n];
    let mut stack = Vec::with_capacity(n);
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut sigma = vec![0.0f64; n];
    let mut dist = vec![-1i64; n];
    let mut delta = vec![0.0f64; n];
    let mut queue = VecDeque::with_capacity(n);
    for s in 0..n {
        stack.clear();
        for v in 0..n {
            preds[v].clear();
            sigma[v] = 0.0;
            dist[v] = -1;
            delta[v] = 0.0;
        }
        sigma[s] = 1.0;
        dist[s] = 0;
        queue.push_back(s);
        while let Some(v) = queue.pop_front() {
            stack.push(v);
            for &(w, _) in g.neighbours(v) {
                if dist[w] < 0 {
                    dist[w] = dist[v] + 1;
                    queue.push_back(w);
                }
                if dist[w] == dist[v] + 1 {
                    sigma[w] += sigma[v];
                    preds[w].push(v);
                }
            }
        }
        while let Some(w) = stack.pop() {
            for &v in &preds[w] {
                delta[v] += sigma[v] / sigma[w] * (1.0 + delta[w]);
            }
            if w != s {
                bc[w] += delta[w];
            }
        }
    }
    // Each undirected pair was counted from both ends.
    let scale = if n > 2 {
        2.0 / ((n - 1) * (n - 2)) as f64
    } else {
        0.0
    };
    (0..n)
        .map(|v| {
            let b = bc[v] / 2.0;
            Centrality {
                key: g.key(v).to_owned(),
                degree: g.neighbours(v).len(),
                betweenness: b,
                betweenness_normalized: b * scale,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_key(g: &SimpleGraph) -> std::collections::HashMap<String, Centrality> {
        centrality(g)
            .into_iter()
            .map(|c| (c.key.clone(), c))
            .collect()
    }

    #[test]
    fn a_path_of_three() {
        let g = SimpleGraph::from_links([("a", "b", 1.0), ("b", "c", 1.0)]);
        let c = by_key(&g);
        assert_eq!(c["b"].betweenness, 1.0);
        assert_eq!(c["b"].betweenness_normalized, 1.0);
        assert_eq!(c["a"].betweenness, 0.0);
        assert_eq!(c["b"].degree, 2);
    }

    #[test]
    fn a_star_counts_every_pair_of_leaves_once() {
        let g = SimpleGraph::from_links(
            (1..=5).map(|i| ("hub", ["a", "b", "c", "d", "e"][i - 1], 1.0)),
        );
        let c = by_key(&g);
        assert_eq!(c["hub"].betweenness, 10.0); // C(5,2)
        assert!((c["hub"].betweenness_normalized - 1.0).abs() < 1e-12);
    }

    #[test]
    fn links_both_ways_and_repeats_are_one_edge() {
        let g = SimpleGraph::from_links([
            ("a", "b", 1.0),
            ("b", "a", 1.0),
            ("a", "b", 3.0),
            ("b", "c", 1.0),
        ]);
        assert_eq!(g.edge_count(), 2);
        assert_eq!(by_key(&g)["a"].degree, 1);
    }

    #[test]
    fn split_shortest_paths_share_credit() {
        // A 4-cycle: each pair of opposite nodes has two shortest paths.
        let g = SimpleGraph::from_links([
            ("a", "b", 1.0),
            ("b", "c", 1.0),
            ("c", "d", 1.0),
            ("d", "a", 1.0),
        ]);
        for c in centrality(&g) {
            assert!((c.betweenness - 0.5).abs() < 1e-12, "{c:?}");
        }
    }
}
