#!/usr/bin/env bash
# The main job: set up, start Neo4j, load the demo data, serve toex and print the URL.
# Idempotent: re-running reuses the build, the running Neo4j and the loaded data.
# Environment: TOEX_SERVER_LISTEN (default 127.0.0.1:8080), NEO4J_PORT (default 7687).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/setup.sh --release

neo4j_port="${NEO4J_PORT:-7687}"
scripts/neo4j.sh start --port "$neo4j_port"
bolt="bolt://127.0.0.1:$(cat .toex/neo4j/bolt.port)"

export TOEX_NEO4J_URI="$bolt"
export TOEX_INDEX_PATH="${TOEX_INDEX_PATH:-$root/.toex/index}"
export TOEX_SERVER_WEB_DIR="$root/web-client/dist"
listen="${TOEX_SERVER_LISTEN:-127.0.0.1:8080}"

echo "== demo data (seeded synthetic; imported idempotently)" >&2
target/release/toex demo --dir "$root/.toex/demo"
echo "== demo documents (chat exports; an interview transcript with its recording)" >&2
target/release/toex ingest "$root/.toex/demo/documents" --force WYP --operation "Operation Aurora" >/dev/null
echo "== demo seized material (chats, email, PDFs and a scan, Word, call records, photos with GPS, voicemails, a phone download; OCR and transcription)" >&2
if [[ ! -f "$root/.toex/demo/seized/download.zip" || ! -d "$root/.toex/demo/seized/recordings" ]]; then
  rm -rf "$root/.toex/demo/seized"
  .toex/demo-venv/bin/python scripts/demo_files.py "$root/.toex/demo" "$root/.toex/demo/seized" >/dev/null
fi
target/release/toex ingest "$root/.toex/demo/seized" --force WYP --operation "Operation Aurora" >/dev/null

echo "== demo users (API tokens in .toex/demo-tokens, readable by you only)" >&2
tokens="$root/.toex/demo-tokens"
if [[ ! -s "$tokens" ]]; then
  umask 077
  : >"$tokens.new"
  for spec in "demo.analyst analyst" "demo.supervisor supervisor"; do
    read -r name role <<<"$spec"
    target/release/toex user list 2>/dev/null | cut -f1 | grep -qx "$name" \
      || target/release/toex user add "$name" --role "$role" \
           --forces WYP,GMP,MPS,WMP,NYP,SYP,HUM,LAN,MER 2>/dev/null
    echo "$name $(target/release/toex token create "$name" --label demo 2>/dev/null)" >>"$tokens.new"
  done
  mv "$tokens.new" "$tokens"
fi

echo
echo "toex: GraphiQL at http://$listen/graphql  (health: http://$listen/health, web client: http://$listen/)"
echo "      In GraphiQL's Headers tab send \"Authorization\": \"Bearer TOKEN\" and an \"X-Toex-Purpose\"."
while read -r name token; do
  echo "      $name: $token"
done <"$tokens"
echo "      Neo4j at $bolt; stop it with scripts/neo4j.sh stop"
echo
exec target/release/toex serve --listen "$listen"
