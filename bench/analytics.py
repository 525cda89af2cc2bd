"""Threat profiles, force profiles and network queries through GraphQL at bench size:
each request's first answer and then p50 / max over repeats, with the size of the
selection it started from. Prints figures; asserts nothing.

    python3 bench/analytics.py URL DATA_DIR [REPEATS]

BENCH_TOKEN holds a supervisor's token (bench/auth.sh); DATA_DIR is `toex generate`'s
output, read for the selection sizes and the planted keys.
"""
import csv
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

AS_OF = datetime(2025, 1, 1, tzinfo=timezone.utc)
FORCES = ["WYP", "WMP"]


def post(url, query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = {
        "content-type": "application/json",
        "authorization": f"Bearer {os.environ['BENCH_TOKEN']}",
        "x-toex-purpose": "BENCH analytics at size",
    }
    started = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=120) as r:
        out = json.load(r)
    return (time.perf_counter() - started) * 1000, out


def measure(url, name, query, variables, size, repeats):
    """First answer, then `repeats` more: p50 and max of all."""
    times, out = [], None
    for _ in range(1 + repeats):
        ms, out = post(url, query, variables)
        times.append(ms)
        if out.get("errors"):
            break
    if out.get("errors"):
        err = out["errors"][0]
        answer = f"{err.get('extensions', {}).get('code')}: {err['message'][:90]}"
    else:
        answer = size(out["data"])
    print(
        f"{name:44} {answer:>22} {times[0]:>8.0f} {statistics.median(times):>8.0f} {max(times):>8.0f}",
        flush=True,
    )


def rows(data_dir, name):
    with open(os.path.join(data_dir, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def selections(data_dir):
    """What each force's profiles start from, counted in the generated files."""
    persons, missing, incidents = (rows(data_dir, f) for f in ("persons.csv", "missing.csv", "incidents.csv"))
    out = {}
    for force in FORCES:
        year = [m for m in missing if m["force"] == force and AS_OF - timedelta(days=365) <= when(m["reported_at"]) < AS_OF]
        out[force] = {
            "persons": sum(p["force"] == force for p in persons),
            "missing episodes in the 12 months": len(year),
            "children missing in them": len({m["person_id"] for m in year}),
            "registered offenders": sum(p["force"] == force and p["rso"] == "true" for p in persons),
            "incidents": sum(i["force"] == force for i in incidents),
        }
    return out


PROFILE = """query($k: ThreatKind!, $f: String!) { threatProfile(kind: $k, force: $f,
  asOf: "2025-01-01T00:00:00Z", first: 20) { total edges { node { rank personId score } } } }"""
FORCE = """query($f: String!) { forceProfile(force: $f, from: "2024-01-01T00:00:00Z",
  to: "2025-01-01T00:00:00Z") { totalIncidents categories { category } topPerpetrators { personId }
  repeatVictims { key } repeatMissing { personId } hotspots { __typename } } }"""
HOOD = """query($k: String!, $h: Int!) { neighbourhood(key: $k, hops: $h, limit: 500) {
  nodes { key } edges { type } } }"""
PATHS = """query($a: String!, $b: String!) { shortestPaths(from: $a, to: $b, maxHops: 4, limit: 10) {
  nodes { key } } }"""
COMMON = """query($a: String!, $b: String!) { commonAssociates(a: $a, b: $b, limit: 100) { node { key } } }"""
CENTRALITY = """query($s: Selection!) { centrality(selection: $s) { nodeCount edgeCount nodes { key } } }"""
COMMUNITIES = """query($s: Selection!) { communities(selection: $s) { modularity communities { size } } }"""


def phone_key(number):
    digits = number.replace(" ", "")
    return "Phone:" + ("+44" + digits[1:] if digits.startswith("0") else digits)


def main():
    url, data_dir = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    planted = json.load(open(os.path.join(data_dir, "planted.json")))
    print("== selections each profile starts from (counted in the generated files)")
    for force, sizes in selections(data_dir).items():
        print(f"{force}: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    print(f"\n{'request':44} {'answer':>22} {'first ms':>8} {'p50 ms':>8} {'max ms':>8}")
    for force in FORCES:
        for kind in ["VAWG", "MISSING", "REGISTERED_OFFENDER"]:
            measure(url, f"threatProfile {kind} {force}", PROFILE, {"k": kind, "f": force},
                    lambda d: f"{d['threatProfile']['total']} rows", repeats)
        measure(url, f"forceProfile {force} (2024)", FORCE, {"f": force},
                lambda d: f"{d['forceProfile']['totalIncidents']} incidents", repeats)
    hub, other_hub = (phone_key(h) for h in planted["call_hubs"])
    suspect, second = (f"Person:{p}" for p in planted["cse_suspects"][:2])
    adult = f"Person:{planted['linked_adult']}"
    subgraph = lambda d: f"{len(d['neighbourhood']['nodes'])} nodes"  # noqa: E731
    for key, hops in [(hub, 1), (hub, 2), (suspect, 2)]:
        measure(url, f"neighbourhood {key} {hops} hops", HOOD, {"k": key, "h": hops}, subgraph, repeats)
    for a, b in [(suspect, adult), (hub, suspect), (hub, other_hub)]:
        measure(url, f"shortestPaths {a} → {b}", PATHS, {"a": a, "b": b},
                lambda d: f"{len(d['shortestPaths'])} paths", repeats)
    for a, b in [(suspect, second), (hub, other_hub)]:
        measure(url, f"commonAssociates {a} & {b}", COMMON, {"a": a, "b": b},
                lambda d: f"{len(d['commonAssociates'])} shared", repeats)
    for label, selection in [
        (planted["cse_operation"], {"operation": planted["cse_operation"]}),
        (f"{hub} 2 hops", {"around": hub, "hops": 2}),
    ]:
        measure(url, f"centrality {label}", CENTRALITY, {"s": selection},
                lambda d: f"{d['centrality']['nodeCount']} nodes", repeats)
        measure(url, f"communities {label}", COMMUNITIES, {"s": selection},
                lambda d: f"{len(d['communities']['communities'])} communities", repeats)


if __name__ == "__main__":
    main()
