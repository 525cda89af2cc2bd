"""Search latency through GraphQL under concurrent clients: p50/p99 and throughput.

Usage: search_load.py URL [CLIENTS] [SECONDS] [repeat|unique]

`repeat` draws from 15 query shapes and 3 filters, as analysts repeat and page through
searches (the server may answer a repeat from its per-scope results cache); `unique`
makes every request new (trailing whitespace in one of 65,536 orders), so every search is
worked out in full.
"""
import json
import random
import statistics
import sys
import threading
import time
import os
import urllib.request

url = sys.argv[1]
HEADERS = {
    "content-type": "application/json",
    "authorization": f"Bearer {os.environ['BENCH_TOKEN']}",
    "x-toex-purpose": "BENCH search latency",
}
clients = int(sys.argv[2]) if len(sys.argv) > 2 else 16
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 30
unique = len(sys.argv) > 4 and sys.argv[4] == "unique"

QUERIES = [
    "garage", "silver car", '"red van"', "phone -police", "takeaway OR hotel",
    "bradford~1", "money tomorrow", "السيارة", "بكرة", "07700", "meet station",
    "cousin party", "title:conversation", "white van night", "حبيبي",
]
Q = """query($q: String!, $f: SearchFilter) { search(queryText: $q, filter: $f, first: 20) {
  total facets { forces { value count } } edges { node { id snippet segments { index startMs } } } } }"""


def post(q, f):
    body = json.dumps({"query": Q, "variables": {"q": q, "f": f}}).encode()
    req = urllib.request.Request(url, body, HEADERS)
    with urllib.request.urlopen(req, timeout=30) as r:
        out = json.load(r)
    if out.get("errors"):
        raise SystemExit(f"GraphQL error: {out['errors']}")
    return out["data"]["search"]["total"]


latencies, errors = [], []
lock = threading.Lock()
stop = time.monotonic() + seconds


def client(seed):
    rng = random.Random(seed)
    mine = []
    while time.monotonic() < stop:
        q = rng.choice(QUERIES)
        f = rng.choice([{}, {"forces": ["WYP"]}, {"languages": ["ar"]}])
        if unique:
            # The same search, followed by 16 spaces and tabs in one of 65,536 orders: a
            # request the server has not seen, and no more work.
            q += "".join(rng.choice(" \t") for _ in range(16))
        t = time.perf_counter()
        try:
            post(q, f)
            mine.append((time.perf_counter() - t) * 1000)
        except Exception as e:  # noqa: BLE001 - counted and reported
            errors.append(str(e))
    with lock:
        latencies.extend(mine)


for q in QUERIES:  # warm-up
    post(q, {})
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
latencies.sort()
p = lambda x: latencies[min(len(latencies) - 1, int(len(latencies) * x))]
print(f"{'unique' if unique else 'repeated'} searches, {clients} clients, {seconds:.0f} s: {len(latencies)} searches ({len(latencies) / seconds:.0f}/s), {len(errors)} errors")
print(f"p50 {p(0.50):.1f} ms   p90 {p(0.90):.1f} ms   p99 {p(0.99):.1f} ms   max {latencies[-1]:.1f} ms")
