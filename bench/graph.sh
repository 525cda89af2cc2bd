#!/usr/bin/env bash
# Graph benchmark: call-data-record import throughput and 2-hop neighbourhood latency
# through GraphQL, against the embedded Neo4j on this machine. Prints figures; asserts
# nothing (timings on a shared machine are not tests). The peer (bench/src/bin/graph_peer.rs)
# is a plain Bolt client writing as many CALLED relationships with nothing else to do:
# the most any client gets from this Neo4j on this machine.
#
#   bench/graph.sh [PERSONS] [CALLS]      defaults: 200000 persons, 1000000 call records
#
# Neo4j gets a 3 GiB heap and a 1 GiB page cache (NEO4J_HEAP, NEO4J_PAGE_CACHE_MIB), about
# the store's size at 1M nodes, as Neo4j's own sizing advice has it; the development
# default (1 GiB, 256 MiB) is for a laptop.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
persons="${1:-200000}"
calls="${2:-1000000}"

scripts/setup.sh --release >/dev/null
cargo build --release --locked -p toex-bench --bin graph_peer 2>/dev/null
toex="$root/target/release/toex"
work="$root/target/bench-graph"
rm -rf "$work"; mkdir -p "$work"
export NEO4J_DEV_HOME="$work/neo4j"
export NEO4J_HEAP="${NEO4J_HEAP:-3g}" NEO4J_PAGE_CACHE_MIB="${NEO4J_PAGE_CACHE_MIB:-1024}"
scripts/neo4j.sh start --port 0 >/dev/null
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; scripts/neo4j.sh stop >/dev/null' EXIT
export TOEX_NEO4J_URI="bolt://127.0.0.1:$(cat "$NEO4J_DEV_HOME/bolt.port")"
neo4j_pid="$(cat "$NEO4J_DEV_HOME/neo4j.pid")"
source bench/auth.sh "$work" "$toex"
export TOEX_LOG_LEVEL=warn

echo "== data: $persons persons, $calls call records (seeded synthetic)"
"$toex" generate "$work/data" --persons "$persons" --calls "$calls" --seed 11 2>/dev/null
for f in persons identifiers incidents missing; do
  "$toex" import "${f}" "$work/data/$f.csv" 2>&1 | grep -v '^done' | sed 's|^.*/data/||'
done
# A call import, with the CPU seconds toex and Neo4j spent on it.
import_calls() {
  local before TIMEFORMAT="toex CPU %U s user, %S s system"
  before="$(ps -o times= -p "$neo4j_pid")"
  { time "$toex" import calls "$work/data/calls.csv" 2>&1 | grep -v '^done' | sed 's|^.*/data/||' \
      | tee "$work/calls.out"; } 2>&1
  echo "Neo4j CPU $(( $(ps -o times= -p "$neo4j_pid") - before )) s"
}
echo "== call data records (first import: creates phones and CALLED aggregates)"
import_calls
first="$(cat "$work/calls.out")"
echo "== the same file again (idempotent: sets the same aggregates)"
import_calls

echo "== 2-hop neighbourhood through GraphQL"
TOEX_LOG_LEVEL=info "$toex" serve --listen 127.0.0.1:0 --index-path "$work/index" --log-format json 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do grep -q '"toex is serving"' "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
[[ -n "$(grep -o "toex is serving" "$work/serve.log")" ]] || { echo "toex did not start; see $work/serve.log" >&2; exit 1; }
url="$(grep -o '"url":"[^"]*"' "$work/serve.log" | head -n1 | cut -d'"' -f4)"
python3 "$root/bench/latency.py" "$url" "$work/data/planted.json"

# The peer writes as many CALLED as the first import made, after it, on a warmer JVM
# and a store that the imports have grown.
called="$(grep -o '([0-9]* distinct aggregate' <<<"$first" | tr -dc '0-9')"
toex_rate="$(grep -o 'aggregate relationships, [0-9]*/s' <<<"$first" | tr -dc '0-9')"
echo "== peer: a plain Bolt client writing $called CALLED with nothing else to do"
peer="$(target/release/graph_peer "$TOEX_NEO4J_URI" "$neo4j_pid" "$called" 2 six)"
echo "$peer"
peer_rate="$(grep -o '= [0-9]*/s' <<<"$peer" | tr -dc '0-9')"
awk -v t="$toex_rate" -v p="$peer_rate" \
  'BEGIN { printf "toex first import / peer: %d / %d CALLED/s = %.2f\n", t, p, t / p }'
