#!/usr/bin/env bash
# Threat-profile benchmark: the seeded synthetic population at PERSONS people (each with
# a phone, so about twice as many nodes; one in forty a VAWG perpetrator), then the time
# of a VAWG profile for one force through GraphQL. Prints figures; asserts nothing.
#
#   bench/profiles.sh [PERSONS]      default 500000 (≈ 1M nodes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
persons="${1:-500000}"

scripts/setup.sh --release >/dev/null
toex="$root/target/release/toex"
work="$root/target/bench-profiles"
rm -rf "$work"; mkdir -p "$work"
export NEO4J_DEV_HOME="$work/neo4j"
scripts/neo4j.sh start --port 0 >/dev/null
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; scripts/neo4j.sh stop >/dev/null; rm -rf "$work"' EXIT
export TOEX_NEO4J_URI="bolt://127.0.0.1:$(cat "$NEO4J_DEV_HOME/bolt.port")"
source bench/auth.sh "$work" "$toex"

echo "== data: $persons persons (seeded synthetic)"
"$toex" generate "$work/data" --persons "$persons" --calls 0 --seed 11 2>/dev/null
for f in persons identifiers incidents missing; do
  "$toex" import "$f" "$work/data/$f.csv" 2>&1 | grep -v '^done' | sed 's|^.*/data/||'
done

TOEX_LOG_LEVEL="warn,toex=info" "$toex" serve --listen 127.0.0.1:0 --index-path "$work/index" \
  --log-format json 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do grep -q '"url"' "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
url="$(grep -o '"url":"[^"]*"' "$work/serve.log" | head -n1 | cut -d'"' -f4)"
python3 - "$url" <<'PY'
import json, statistics, sys, time, urllib.request
url = sys.argv[1]
def run(kind, force):
    q = """query($k: ThreatKind!, $f: String!) { threatProfile(kind: $k, force: $f, asOf: "2025-01-01T00:00:00Z", first: 20) {
      total edges { node { rank personId score flags } } } }"""
    body = json.dumps({"query": q, "variables": {"k": kind, "f": force}}).encode()
    t = time.perf_counter()
    out = json.load(urllib.request.urlopen(urllib.request.Request(url, body, {"content-type": "application/json", "authorization": "Bearer " + __import__("os").environ["BENCH_TOKEN"], "x-toex-purpose": "BENCH threat profiles"})))
    ms = (time.perf_counter() - t) * 1000
    if out.get("errors"):
        sys.exit(out["errors"])
    return ms, out["data"]["threatProfile"]
print(f"{'profile':28} {'rows':>6} {'top':>8} {'p50 ms':>8} {'max ms':>8}")
for kind, force in [("VAWG", "WMP"), ("VAWG", "WYP"), ("MISSING", "WYP"), ("REGISTERED_OFFENDER", "WYP")]:
    times, data = [], None
    for _ in range(5):
        ms, data = run(kind, force)
        times.append(ms)
    top = data["edges"][0]["node"]["personId"] if data["edges"] else "-"
    print(f"{kind + ' ' + force:28} {data['total']:>6} {top:>8} {statistics.median(times):>8.0f} {max(times):>8.0f}")
PY
