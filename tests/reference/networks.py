"""Reference values from NetworkX on real, published networks, for toex's tests.

Prints one JSON object per network: its edges (as name pairs), degree, betweenness
(unnormalised and normalised, undirected) and a Louvain modularity for comparison.
Networks: Zachary's karate club (1977), the Florentine families (Padgett 1994),
Les Misérables co-appearances (Knuth 1993), Davis' southern women (1941, one-mode).
"""
import json

import networkx as nx


def networks():
    yield "karate", nx.karate_club_graph()
    yield "florentine", nx.florentine_families_graph()
    yield "les_miserables", nx.les_miserables_graph()
    women = nx.bipartite.weighted_projected_graph(
        nx.davis_southern_women_graph(),
        [n for n, d in nx.davis_southern_women_graph().nodes(data=True) if d["bipartite"] == 0],
    )
    yield "southern_women", women


def main():
    out = {}
    for name, g in networks():
        g = nx.Graph(g)
        g.remove_edges_from(nx.selfloop_edges(g))
        label = {n: f"{name}-{n}" for n in g.nodes}
        edges = [[label[a], label[b]] for a, b in g.edges]
        raw = nx.betweenness_centrality(g, normalized=False)
        norm = nx.betweenness_centrality(g, normalized=True)
        communities = nx.community.louvain_communities(g, weight=None, seed=1)
        out[name] = {
            "edges": edges,
            "degree": {label[n]: d for n, d in g.degree},
            "betweenness": {label[n]: raw[n] for n in g.nodes},
            "betweenness_normalized": {label[n]: norm[n] for n in g.nodes},
            "louvain_modularity": nx.community.modularity(g, communities, weight=None),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
