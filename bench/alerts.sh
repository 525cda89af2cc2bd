#!/usr/bin/env bash
# Alerts: how long from ingesting a document to its alert on the `alerts` subscription,
# and how much keeping SEARCHES saved searches and WATCHES watched identifiers slows
# ingest (each batch is checked against all of them as it is indexed). Prints figures;
# asserts nothing.
#
#   bench/alerts.sh [DOCS] [SEARCHES] [WATCHES]     defaults 400, 1000, 10000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
docs="${1:-400}"
searches="${2:-1000}"
watches="${3:-10000}"

scripts/setup.sh --release >/dev/null
venv=.toex/venv
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import websockets' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
fi
toex="$root/target/release/toex"
work="$root/target/bench-alerts"
rm -rf "$work"; mkdir -p "$work"
export NEO4J_DEV_HOME="$work/neo4j"
scripts/neo4j.sh start --port 0 >/dev/null
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; scripts/neo4j.sh stop >/dev/null; rm -rf "$work"' EXIT
export TOEX_NEO4J_URI="bolt://127.0.0.1:$(cat "$NEO4J_DEV_HOME/bolt.port")"
source bench/auth.sh "$work" "$toex"

# The analysts who keep the standing orders (200 searches and 2,000 watches each at most).
analysts=$(( (searches + 199) / 200 > (watches + 1999) / 2000 ? (searches + 199) / 200 : (watches + 1999) / 2000 ))
echo "$BENCH_TOKEN" > "$work/tokens"
for i in $(seq 1 "$analysts"); do
  "$toex" user add "bench-analyst-$i" --role analyst --forces WYP 2>/dev/null
  "$toex" token create "bench-analyst-$i" --label bench 2>/dev/null >> "$work/tokens"
done

TOEX_LOG_LEVEL="warn,toex=info" "$toex" serve --listen 127.0.0.1:0 --index-path "$work/index" \
  --log-format json 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do grep -q '"url"' "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
url="$(grep -o '"url":"[^"]*"' "$work/serve.log" | head -n1 | cut -d'"' -f4)"
"$venv/bin/python" bench/alerts.py "$url" "$work/tokens" "$docs" "$searches" "$watches"
