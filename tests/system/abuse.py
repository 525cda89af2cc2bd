"""Abuse figures against a real toex on loopback (issue 28's limits, measured).

  * a valid analyst's latency (p50, p99 of a small query), alone and while CLIENTS
    (default 20) clients send API tokens with wrong secrets as fast as they can;
  * the time to refuse a 4 MiB search text and a 26-level fragment query, and toex's
    resident memory before and after 20 of each.

It prints the figures beside the goals (p50 under 20 ms under attack; each refusal under
100 ms; memory growth under 50 MiB) and exits non-zero when one is missed. A measuring
run, not a CI test: run it with `tests/system/run.sh abuse` and copy the figures into
bench/RESULTS.md.

Usage: abuse.py URL TOKENS_FILE      Environment: TOEX_PID, CLIENTS, SECONDS.
"""
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

URL = urllib.parse.urlparse(sys.argv[1])
TOKENS = [t.strip() for t in open(sys.argv[2]) if t.strip()]
TOEX_PID = int(os.environ["TOEX_PID"])
CLIENTS = int(os.environ.get("CLIENTS", "20"))
SECONDS = float(os.environ.get("SECONDS", "10"))
PURPOSE = "SYSTEM abuse figures"


def post(conn, body, token):
    conn.request("POST", URL.path, body=body, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}",
        "X-Toex-Purpose": PURPOSE})
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def rss_mib():
    with open(f"/proc/{TOEX_PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def latencies(token, seconds):
    conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30)
    body = json.dumps({"query": "{ health { status } }"})
    out, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        status, _ = post(conn, body, token)
        out.append((time.perf_counter() - t) * 1000)
        assert status == 200, status
    conn.close()
    return out


def attacker(stop, sent, i):
    conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30)
    # Each attacker guesses secrets for an id of its own and for the valid token's id.
    valid_id = TOKENS[0].split("_")[1]
    body = json.dumps({"query": "{ health { status } }"})
    n = 0
    while not stop.is_set():
        token_id = valid_id if n % 2 else f"{i:012x}"
        try:
            post(conn, body, f"toex_{token_id}_{n:048x}")
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30)
        n += 1
    sent.append(n)
    conn.close()


def summary(ms):
    ms = sorted(ms)
    return statistics.median(ms), ms[int(len(ms) * 0.99) - 1], len(ms)


def refusals(label, body):
    conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=60)
    before = rss_mib()
    times, codes = [], set()
    for _ in range(20):
        t = time.perf_counter()
        status, data = post(conn, body, TOKENS[0])
        times.append((time.perf_counter() - t) * 1000)
        try:
            codes.add(json.loads(data)["errors"][0]["extensions"]["code"])
        except (ValueError, KeyError, IndexError):
            codes.add(f"HTTP {status}")
    conn.close()
    after = rss_mib()
    worst = max(times)
    print(f"{label:<28} refused as {','.join(sorted(codes)):<12} median {statistics.median(times):7.1f} ms"
          f"  worst {worst:7.1f} ms   RSS {before:7.1f} -> {after:7.1f} MiB")
    return worst, after - before


def main():
    failures = []
    alone = summary(latencies(TOKENS[0], SECONDS / 2))
    stop, sent = threading.Event(), []
    threads = [threading.Thread(target=attacker, args=(stop, sent, i)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(1)
    attacked = summary(latencies(TOKENS[0], SECONDS))
    stop.set()
    for t in threads:
        t.join()
    print(f"valid analyst alone           p50 {alone[0]:7.2f} ms  p99 {alone[1]:7.2f} ms  ({alone[2]} requests)")
    print(f"with {CLIENTS} bad-secret clients   p50 {attacked[0]:7.2f} ms  p99 {attacked[1]:7.2f} ms"
          f"  ({attacked[2]} requests; {sum(sent)} bad attempts)   ratio p50 {attacked[0] / alone[0]:.1f}x")
    if attacked[0] >= 20:
        failures.append(f"p50 under attack {attacked[0]:.1f} ms >= 20 ms")

    search = json.dumps({"query": "query($q: String!) { search(queryText: $q) { total } }",
                         "variables": {"q": "word " * (4 * 1024 * 1024 // 5)}})
    fragments = "query { ...F26 } fragment F0 on QueryRoot { health { status } } " + " ".join(
        f"fragment F{i} on QueryRoot {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 27))
    growth = 0.0
    for label, body in [("4 MiB search text", search),
                        ("26-level fragment query", json.dumps({"query": fragments}))]:
        worst, grew = refusals(label, body)
        growth += grew
        if worst >= 100:
            failures.append(f"{label}: a refusal took {worst:.0f} ms >= 100 ms")
    if growth >= 50:
        failures.append(f"memory grew {growth:.0f} MiB >= 50 MiB")
    for f in failures:
        print(f"FAIL: {f}")
    print("abuse: " + ("all goals met" if not failures else f"{len(failures)} goal(s) missed"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
