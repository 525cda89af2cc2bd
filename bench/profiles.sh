#!/usr/bin/env bash
# Threat profiles, force profiles and network queries at national size: the seeded
# synthetic population at PERSONS people (each with a phone), CALLS call records among
# their phones (the planted call hubs get thousands), the planted cases, then every
# threat profile, the force profile and the network queries from a hub through GraphQL
# for two forces, with the size of the selection each starts from. Prints figures;
# asserts nothing.
#
#   bench/profiles.sh [PERSONS] [CALLS]     defaults 500000 and 1000000 (≈ 1M nodes)
#
# Neo4j keeps the development default (1 GiB heap, 256 MiB page cache) unless
# NEO4J_HEAP / NEO4J_PAGE_CACHE_MIB say otherwise. The server starts as `toex serve`
# does, planning the analysts' queries in the background; the figures are taken once
# that is done (its time is printed), the first answer of each request shown apart.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
persons="${1:-500000}"
calls="${2:-1000000}"

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

echo "== data: $persons persons, $calls call records (seeded synthetic)"
"$toex" generate "$work/data" --persons "$persons" --calls "$calls" --seed 11 2>/dev/null
for f in persons identifiers incidents missing calls; do
  TOEX_LOG_LEVEL=warn "$toex" import "$f" "$work/data/$f.csv" 2>&1 | grep -v '^done' | sed 's|^.*/data/||'
done

TOEX_LOG_LEVEL="warn,toex=info,toex_graph=info" "$toex" serve --listen 127.0.0.1:0 \
  --index-path "$work/index" --log-format json 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do grep -q '"url"' "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
url="$(grep -o '"url":"[^"]*"' "$work/serve.log" | head -n1 | cut -d'"' -f4)"
for _ in $(seq 1 900); do grep -q 'plans for the analysts' "$work/serve.log" && break; sleep 1; done
echo "== plan warm-up: $(grep -o '"planned":[0-9]*,"failed":[0-9]*,"took_ms":[0-9]*' "$work/serve.log" || echo 'not finished in 15 minutes')"
python3 bench/analytics.py "$url" "$work/data"
