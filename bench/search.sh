#!/usr/bin/env bash
# Search benchmark: (1) ingest throughput of the toex index against plain tantivy on the
# same schema and documents, per core; (2) search latency through GraphQL with SEGMENTS
# indexed segments and CLIENTS concurrent clients. Prints figures; asserts nothing.
#
#   bench/search.sh [MEGABYTES] [SEGMENTS] [CLIENTS] [SECONDS]   defaults: 64 1000000 16 30
#   PROFILE=N samples the server with perf for N seconds of the unique load and prints
#   where its CPU went.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
megabytes="${1:-64}"; segments="${2:-1000000}"; clients="${3:-16}"; seconds="${4:-30}"

scripts/setup.sh --release >/dev/null
cargo build --release --locked -p toex-bench 2>/dev/null
work="$root/target/bench-search"
rm -rf "$work"; mkdir -p "$work"

echo "== ingest, inference excluded: $megabytes MB of synthetic transcripts"
target/release/search_ingest "$megabytes"

echo
echo "== $segments segments indexed, searched through GraphQL by $clients clients"
target/release/search_corpus "$work/index" "$segments"
source bench/auth.sh "$work" target/release/toex
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null' EXIT
TOEX_LOG_LEVEL="warn,toex=info" TOEX_INDEX_THREADS=2 target/release/toex serve --listen 127.0.0.1:0 \
  --index-path "$work/index" --neo4j-uri bolt://127.0.0.1:1 --log-format json 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do grep -q '"url"' "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
url="$(grep -o '"url":"[^"]*"' "$work/serve.log" | head -n1 | cut -d'"' -f4)"
[[ -n "$url" ]] || { echo "toex did not start; see $work/serve.log" >&2; exit 1; }
echo "-- repeated searches (15 shapes × 3 filters: a repeat may be answered from the cache)"
python3 bench/search_load.py "$url" "$clients" "$seconds" repeat
echo "-- unique searches (every one worked out in full)"
profile="${PROFILE:-0}"
if [[ "$profile" -gt 0 ]] && command -v perf >/dev/null; then
  # Where the server's CPU goes under the unique load: perf samples for PROFILE seconds.
  (sleep 5; perf record -q -e cpu-clock -F 499 -p "$server" -o "$work/perf.data" -- sleep "$profile" \
    >/dev/null 2>&1) &
fi
python3 bench/search_load.py "$url" "$clients" "$seconds" unique
if [[ -f "$work/perf.data" ]]; then
  echo "-- where the server's CPU went (perf, self time, top 30)"
  perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | head -n 30
fi
