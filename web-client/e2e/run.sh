#!/usr/bin/env bash
# End-to-end tests of the web client in headless Chromium (Debian's package, driven by
# playwright-core) against a real `toex serve` and an embedded Neo4j loaded with the
# demo data (synthetic network, West Yorkshire street crime, the demo documents).
# Screenshots go to test-output/web/. Usage: web-client/e2e/run.sh
# SYSTEM_BIN picks the toex binary (default target/debug/toex); CHROMIUM the browser.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=../../tests/serve.sh
source "$root/tests/serve.sh"
bin="${SYSTEM_BIN:-$root/target/debug/toex}"
[[ -x "$bin" ]] || cargo build --locked -p toex
browser="${CHROMIUM:-$(command -v chromium || true)}"
[[ -x "$browser" ]] || { echo "e2e: Chromium is missing (scripts/setup.sh --test installs it)" >&2; exit 1; }
[[ -f web-client/dist/index.html ]] || { echo "e2e: build the web client first (scripts/setup.sh)" >&2; exit 1; }

work="$(mktemp -d)"
export NEO4J_DEV_HOME="$work/neo4j"
serve_pid=""
cleanup() {
  [[ -n "$serve_pid" ]] && kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  scripts/neo4j.sh stop >/dev/null 2>&1 || true
  # Kept for reading after the run: every request and GraphQL operation with its time.
  [[ -f "$work/serve.log" ]] && cp "$work/serve.log" "$root/test-output/web/serve.log" || true
  rm -rf "$work"
}
trap cleanup EXIT

scripts/neo4j.sh start --port 0 >&2
export TOEX_NEO4J_URI="bolt://127.0.0.1:$(cat "$NEO4J_DEV_HOME/bolt.port")"
export TOEX_INDEX_PATH="$work/index" TOEX_INDEX_JOBS="$work/jobs"
export TOEX_AUTH_USERS="$work/users.json"
export TOEX_AUDIT_PATH="$work/audit/audit.log" TOEX_AUDIT_KEY_FILE="$work/audit/audit.key"
export TOEX_SERVER_WEB_DIR="$root/web-client/dist"

echo "== demo data" >&2
"$bin" demo --dir "$work/demo" --street-crime "$root/.toex/data/police-uk" >/dev/null 2>"$work/demo.log" \
  || { cat "$work/demo.log" >&2; exit 1; }
# The seized material is uploaded by the tests, through the web client.
"$root/.toex/demo-venv/bin/python" scripts/demo_files.py "$work/demo" "$work/demo/seized" >/dev/null
"$bin" ingest "$work/demo/documents" --force WYP --operation "Operation Aurora" >/dev/null 2>"$work/ingest.log" \
  || { cat "$work/ingest.log" >&2; exit 1; }

echo "== an analyst and a token" >&2
"$bin" user add e2e.analyst --role analyst --forces WYP,GMP,MPS,WMP,MER,SYP,NYP,HUM,LAN 2>/dev/null
token="$("$bin" token create e2e.analyst --label e2e 2>/dev/null)"

echo "== toex serve" >&2
mkdir -p "$root/test-output/web"
# Each operation's execution and sealing time and each Neo4j statement's are logged too
# (debug), to explain a slow page.
export RUST_LOG="${RUST_LOG:-info,toex_schema::guard=debug,toex_graph=debug}"
serve_toex "$bin" "$work/serve.log"
url="${url%/graphql}"
# Until Neo4j has been reached once, analysts' answers are withheld (redaction fails
# closed); ready once the analysts' page queries are planned too, as a server in service
# would be before its first analyst (the e2e measures each page's time).
waited=$(date +%s)
for _ in $(seq 1 240); do
  curl -fsS -H "Authorization: Bearer $token" "$url/health" | grep -q '"plansWarmed":true' && break
  sleep 0.5
done
echo "   ready after $(( $(date +%s) - waited )) s (Neo4j plans warmed)" >&2

echo "== e2e tests against $url" >&2
status=0
TOEX_URL="$url" TOEX_TOKEN="$token" TOEX_DEMO="$work/demo" CHROMIUM="$browser" \
TEST_OUTPUT="$root/test-output/web" \
  node --test --test-concurrency=1 --test-reporter=spec web-client/e2e/ || status=1
if [[ $status -ne 0 ]]; then
  echo "== toex log (last 40 lines)" >&2
  tail -n 40 "$work/serve.log" >&2
fi
exit "$status"
