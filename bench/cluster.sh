#!/usr/bin/env bash
# Replicated toex on a 3-node NATS JetStream cluster on loopback (Debian's nats-server):
# write-to-searchable latency across replicas, the write rate through the index log, a
# new replica's catch-up rate, and transcription and OCR throughput with 1 and 2 workers.
# Prints figures; asserts nothing. Neo4j runs (embedded, a free port): a job's files are
# done only once the graph holds them.
#
#   bench/cluster.sh [DOCS] [RECORDINGS]   defaults: 5000 8
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
docs="${1:-5000}"; recordings="${2:-8}"

scripts/setup.sh --release >/dev/null
command -v nats-server >/dev/null || { echo "nats-server is missing: scripts/setup.sh --test installs it" >&2; exit 1; }
work="$root/target/bench-cluster"
rm -rf "$work"; mkdir -p "$work"
source bench/auth.sh "$work" target/release/toex
export NEO4J_DEV_HOME="$work/neo4j"
trap 'scripts/neo4j.sh stop >/dev/null 2>&1 || true' EXIT
neo4j="$(scripts/neo4j.sh start --port 0 | grep -o 'bolt://[0-9.:]*')"
python3 bench/cluster.py "$root/target/release/toex" "$work" "$docs" "$recordings" "$neo4j"
