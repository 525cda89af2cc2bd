"""Latency of GraphQL neighbourhood queries: p50/p99 over sequential requests, after warm-up."""
import json
import os
import statistics
import sys
import time
import urllib.request


def post(url, query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = {
        "content-type": "application/json",
        "authorization": f"Bearer {os.environ['BENCH_TOKEN']}",
        "x-toex-purpose": "BENCH graph latency",
    }
    req = urllib.request.Request(url, body, headers)
    with urllib.request.urlopen(req) as r:
        out = json.load(r)
    if out.get("errors"):
        raise SystemExit(f"GraphQL error: {out['errors']}")
    return out["data"]


Q = """query($k: String!, $h: Int!) { neighbourhood(key: $k, hops: $h, limit: 500) { nodes { key } edges { type } } }"""


def measure(url, key, hops, n=200):
    for _ in range(20):
        post(url, Q, {"k": key, "h": hops})
    times = []
    size = None
    for _ in range(n):
        t = time.perf_counter()
        d = post(url, Q, {"k": key, "h": hops})
        times.append((time.perf_counter() - t) * 1000)
        size = d["neighbourhood"]
    times.sort()
    p50 = statistics.median(times)
    p99 = times[int(len(times) * 0.99) - 1]
    print(f"{key:32} hops={hops} nodes={len(size['nodes']):4} edges={len(size['edges']):4} p50={p50:7.2f} ms p99={p99:7.2f} ms")


def main():
    url, planted = sys.argv[1], json.load(open(sys.argv[2]))
    hub = planted["call_hubs"][0].replace(" ", "")
    if hub.startswith("0"):
        hub = "+44" + hub[1:]
    for key in ["Person:CSE-S1", "Person:MP-A1", f"Phone:{hub}"]:
        measure(url, key, 2)


if __name__ == "__main__":
    main()
