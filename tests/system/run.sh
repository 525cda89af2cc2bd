#!/usr/bin/env bash
# System runs against a real Neo4j and toex on loopback, with synthetic data and four
# analysts' API tokens:
#   load         tests/system/load_fault.py: 100 clients for 60 s of mixed search, graph,
#                profile and ingest requests, Neo4j stopped and restarted a third of the
#                way in (zero 5xx, clear errors while down, recovery, bounded memory,
#                no acknowledged ingest lost)
#   schemathesis GraphQL fuzzing of every root field of the schema (no 5xx)
#   abuse        tests/system/abuse.py: a valid analyst's latency while 20 clients send
#                bad secrets, and the time and memory to refuse a 4 MiB search text and a
#                26-level fragment query (figures for bench/RESULTS.md; not run by default)
# Usage: tests/system/run.sh [load] [schemathesis] [abuse]   (load and schemathesis when
# none are named)
# CLIENTS, SECONDS, OUTAGE, MAX_RSS_MIB pass through to the load run; FUZZ_EXAMPLES sets
# schemathesis' examples per field; SYSTEM_BIN picks the binary (default target/debug/toex,
# built when missing). Python tools come from .toex/venv (scripts/setup.sh --test).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=../serve.sh
source "$root/tests/serve.sh"
runs=("$@"); [[ ${#runs[@]} -gt 0 ]] || runs=(load schemathesis)
for r in "${runs[@]}"; do
  [[ "$r" == load || "$r" == schemathesis || "$r" == abuse ]] \
    || { echo "system: unknown run $r" >&2; exit 2; }
done
py="$root/.toex/venv/bin/python"
[[ -x "$py" ]] || { echo "system: run scripts/setup.sh --test first (.toex/venv)" >&2; exit 1; }
bin="${SYSTEM_BIN:-$root/target/debug/toex}"
[[ -x "$bin" ]] || cargo build --locked -p toex

work="$(mktemp -d)"
export NEO4J_DEV_HOME="$work/neo4j"
serve_pid=""
cleanup() {
  [[ -n "$serve_pid" ]] && kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  scripts/neo4j.sh stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

scripts/neo4j.sh start --port 0 >&2
port="$(cat "$NEO4J_DEV_HOME/bolt.port")"
export TOEX_NEO4J_URI="bolt://127.0.0.1:$port"
export TOEX_INDEX_PATH="$work/index" TOEX_INDEX_JOBS="$work/jobs"
export TOEX_AUTH_USERS="$work/users.json"
export TOEX_AUDIT_PATH="$work/audit/audit.log" TOEX_AUDIT_KEY_FILE="$work/audit/audit.key"
# Four analysts share the clients; the per-user limit would otherwise refuse 25 busy
# clients each (it is tested on its own in server/tests/api/security.rs).
export TOEX_AUTH_RATE_PER_MINUTE=0

echo "== synthetic data" >&2
"$bin" generate "$work/data" --persons 5000 --calls 50000 --seed 7
for kind in persons identifiers incidents missing calls; do
  "$bin" import "$kind" "$work/data/$kind.csv" >/dev/null 2>"$work/import.log" \
    || { cat "$work/import.log" >&2; exit 1; }
done

echo "== users and tokens" >&2
: >"$work/tokens"
for i in 1 2 3 4; do
  "$bin" user add "load$i" --role analyst --forces WYP,GMP,MPS,WMP 2>/dev/null
  "$bin" token create "load$i" --label load 2>/dev/null >>"$work/tokens"
done

echo "== toex serve" >&2
serve_toex "$bin" "$work/serve.log"

status=0
for r in "${runs[@]}"; do
  case "$r" in
    load)
      echo "== load and fault against $url" >&2
      TOEX_PID="$serve_pid" "$py" tests/system/load_fault.py "$url" "$work/tokens" \
        "NEO4J_DEV_HOME='$NEO4J_DEV_HOME' '$root/scripts/neo4j.sh' stop" \
        "NEO4J_DEV_HOME='$NEO4J_DEV_HOME' '$root/scripts/neo4j.sh' start --port $port" \
        || status=1
      ;;
    abuse)
      echo "== abuse figures against $url" >&2
      TOEX_PID="$serve_pid" "$py" tests/system/abuse.py "$url" "$work/tokens" || status=1
      ;;
    schemathesis)
      echo "== schemathesis (GraphQL) against $url" >&2
      # Every field of schema/schema.graphql, positive and negative inputs, checked by
      # tests/system/st_hooks.py: never a 5xx, never an INTERNAL or uncoded error.
      SCHEMATHESIS_HOOKS=st_hooks PYTHONPATH="$root/tests/system" \
      "$root/.toex/venv/bin/schemathesis" run schema/schema.graphql --url "$url" \
        -H "Authorization: Bearer $(head -n1 "$work/tokens")" \
        -H "X-Toex-Purpose: FUZZ schemathesis run" \
        --checks no_server_fault --max-examples "${FUZZ_EXAMPLES:-100}" --seed 1 \
        --request-timeout 60 --generation-database none --workers 2 \
        --no-color --max-failures 20 || status=1
      ;;
  esac
done
if ! kill -0 "$serve_pid" 2>/dev/null; then
  echo "system: toex died during the runs" >&2
  tail -n 30 "$work/serve.log" >&2
  status=1
fi
exit "$status"
