"""Alert latency and what standing orders cost ingest: documents ingested one at a time
through `ingestText` with no saved search or watch, then again once SEARCHES saved
searches and WATCHES watched phones are kept (spread over the analysts whose tokens are
given, within each one's limits), while one analyst listens on the `alerts`
subscription. Prints ingest p50 / p99 and rate before and after, their ratio, and the
time from sending an ingest to its alert arriving on the subscription. Asserts nothing.

    python3 bench/alerts.py URL TOKENS_FILE DOCS SEARCHES WATCHES

The first token is a supervisor's (it ingests); the others are analysts of WYP.
"""
import asyncio
import json
import random
import statistics
import sys
import threading
import time
import urllib.request

import websockets

PURPOSE = "BENCH alerts"
WORDS = ("garage cash van hotel taxi flat party money station keys phone car club park "
         "school shop bus friday monday night late meet drop parcel bag card").split()
PER_SEARCHER, PER_WATCHER, ALIASES = 200, 2000, 25


def post(url, token, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}",
               "x-toex-purpose": PURPOSE}
    with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=120) as r:
        out = json.load(r)
    if out.get("errors"):
        raise SystemExit(f"GraphQL error: {out['errors'][:2]}")
    return out["data"]


def phone(i):
    return f"07700 {100000 + i:06d}"


def text(rng, i, watched):
    words = " ".join(rng.choice(WORDS) for _ in range(12))
    return f"[01/03/2024, 10:00:{i % 60:02d}] Ali: {words}. Call {phone(watched)} about it"


def ingest_all(url, token, rng, start, count, watched_of):
    """Ingests `count` documents; (latencies in ms, sent-at per document id)."""
    times, sent = [], {}
    for i in range(start, start + count):
        t = time.time()
        data = post(url, token,
                    "mutation($t: String!, $x: String!) { ingestText(input: {title: $t, "
                    "text: $x, force: \"WYP\", sourceType: \"chat\"}) { id } }",
                    {"t": f"bench chat {i}", "x": text(rng, i, watched_of(i))})
        times.append((time.time() - t) * 1000)
        sent[data["ingestText"]["id"]] = t
    return times, sent


def keep(url, tokens, searches, watches, rng):
    """Saves `searches` searches and `watches` watches over the analysts, 25 a request."""
    jobs = []
    for n in range(searches):
        q = f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"'
        jobs.append((n // PER_SEARCHER, f'saveSearch(name: "s{n}", queryText: {json.dumps(q)}) {{ id }}'))
    for n in range(watches):
        jobs.append((n // PER_WATCHER, f'watch(identifier: "{phone(n)}") {{ id }}'))
    by_user = {}
    for user, field in jobs:
        by_user.setdefault(user, []).append(field)
    needed = max(by_user) + 1
    if needed > len(tokens):
        raise SystemExit(f"{needed} analysts needed, {len(tokens)} given")
    for user, fields in by_user.items():
        for at in range(0, len(fields), ALIASES):
            chunk = fields[at:at + ALIASES]
            post(url, tokens[user], "mutation { " + " ".join(f"a{i}: {f}" for i, f in enumerate(chunk)) + " }")


async def listen(ws_url, token, arrived, ready, stop):
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}", "purpose": PURPOSE}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": "subscription { alerts { documentId } }"}}))
        ready.set()
        while not stop.is_set():
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            except asyncio.TimeoutError:
                continue
            if msg.get("type") == "next":
                doc = msg["payload"]["data"]["alerts"]["documentId"]
                arrived.setdefault(doc, time.time())


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def main():
    url, tokens_file = sys.argv[1], sys.argv[2]
    docs, searches, watches = (int(a) for a in sys.argv[3:6])
    tokens = [t.strip() for t in open(tokens_file) if t.strip()]
    ingester, analysts = tokens[0], tokens[1:]
    rng = random.Random(5)
    half = docs // 2

    before, _ = ingest_all(url, ingester, rng, 0, half, lambda i: 50_000 + i)
    started = time.time()
    keep(url, analysts, searches, watches, rng)
    print(f"kept {searches} saved searches and {watches} watches in {time.time() - started:.0f} s")

    arrived, ready, stop = {}, threading.Event(), threading.Event()
    ws_url = url.replace("http://", "ws://").replace("/graphql", "/graphql/ws")
    listener = threading.Thread(target=lambda: asyncio.run(listen(ws_url, analysts[0], arrived, ready, stop)))
    listener.start()
    ready.wait(30)
    time.sleep(0.5)
    # Each document mentions a phone the listening analyst watches.
    after, sent = ingest_all(url, ingester, rng, half, half, lambda i: i % min(watches, PER_WATCHER))
    time.sleep(2)
    stop.set()
    listener.join()

    latency = [(arrived[d] - t) * 1000 for d, t in sent.items() if d in arrived]
    rate = lambda ts: 1000 / statistics.mean(ts)  # noqa: E731
    print(f"{'ingestText, one at a time':40} {'p50 ms':>8} {'p99 ms':>8} {'docs/s':>8}")
    print(f"{'no saved search or watch':40} {statistics.median(before):>8.1f} {pct(before, 0.99):>8.1f} {rate(before):>8.1f}")
    print(f"{f'{searches} searches, {watches} watches':40} {statistics.median(after):>8.1f} {pct(after, 0.99):>8.1f} {rate(after):>8.1f}")
    print(f"ingest slowdown (mean time, after / before): {statistics.mean(after) / statistics.mean(before):.2f}")
    print(f"alerts on the subscription: {len(latency)} of {len(sent)} documents; from sending the ingest "
          f"to the alert: p50 {statistics.median(latency):.1f} ms, p99 {pct(latency, 0.99):.1f} ms")


if __name__ == "__main__":
    main()
