#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, and the integration tests against a
# real embedded Neo4j (started here on a free port, stopped on exit).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# One-shot builds: incremental artefacts only cost disk and time here.
export CARGO_INCREMENTAL=0

scripts/setup.sh --test

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "== Neo4j for the integration tests" >&2
export NEO4J_DEV_HOME="$root/target/test-neo4j"
rm -rf "$NEO4J_DEV_HOME"
scripts/neo4j.sh start --port 0
trap 'scripts/neo4j.sh stop >/dev/null 2>&1 || true' EXIT
export NEO4J_TEST_URI="bolt://127.0.0.1:$(cat "$NEO4J_DEV_HOME/bolt.port")"

echo "== cargo test" >&2
cargo test --locked --workspace --all-targets

echo "== system runs: load and fault, schemathesis (tests/system/run.sh)" >&2
SYSTEM_BIN="$root/target/debug/toex" tests/system/run.sh

echo "== web client: unit tests (vitest)" >&2
(cd web-client && npx vitest run)
echo "== web client: end to end in Chromium (web-client/e2e/run.sh)" >&2
SYSTEM_BIN="$root/target/debug/toex" web-client/e2e/run.sh

# Fuzzing needs a second, instrumented build of the whole stack (~20 min on 2 cores), so
# it runs here only when asked; scripts/fuzz.sh runs it on its own (see bench/RESULTS.md).
if [[ "${FUZZ_SECONDS:-0}" -gt 0 ]]; then
  echo "== cargo fuzz (scripts/fuzz.sh, ${FUZZ_SECONDS}s per target)" >&2
  scripts/fuzz.sh "$FUZZ_SECONDS"
else
  echo "== cargo fuzz: not part of this run (FUZZ_SECONDS=N scripts/test.sh, or scripts/fuzz.sh)" >&2
fi
