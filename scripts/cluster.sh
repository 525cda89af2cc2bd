#!/usr/bin/env bash
# toex past one machine, on loopback: a 3-node NATS JetStream cluster (Debian's
# nats-server), Neo4j, 2 API replicas (each with its own index, following the index log)
# and 2 workers (transcription and OCR), for trying the replicated mode and for benches.
# Usage: scripts/cluster.sh start | stop | status
# Environment: CLUSTER_DIR (default .toex/cluster), NATS_BASE_PORT (default 14222: clients
# on 14222-14224, routes on 16222-16224), API_BASE_PORT (default 18081: replicas on 18081
# and 18082, workers' /health from 18091), WORKERS (default 2), TOEX_TRANSCRIPTION_MODEL (default .toex/models/whisper-base), TOEX_WORKER_TASKS (default transcribe,ocr).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dir="${CLUSTER_DIR:-$root/.toex/cluster}"
nats_base="${NATS_BASE_PORT:-14222}"
api_base="${API_BASE_PORT:-18081}"
workers="${WORKERS:-2}"
toex="$root/target/release/toex"

nats_urls() {
  local urls=()
  for i in 0 1 2; do urls+=("nats://127.0.0.1:$((nats_base + i))"); done
  (IFS=,; echo "${urls[*]}")
}

running() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_nats() {
  local i=$1 port=$((nats_base + i)) route=$((nats_base + 2000 + i)) routes=()
  for j in 0 1 2; do
    [[ $j -ne $i ]] && routes+=("\"nats-route://127.0.0.1:$((nats_base + 2000 + j))\"")
  done
  mkdir -p "$dir/nats$i"
  cat >"$dir/nats$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:$port
max_payload: 8MB
jetstream { store_dir: "$dir/nats$i", max_memory_store: 256MB, max_file_store: 20GB }
cluster { name: toex, listen: 127.0.0.1:$route, routes: [$(IFS=,; echo "${routes[*]}")] }
CONF
  running "$dir/nats$i.pid" && return
  nohup nats-server -c "$dir/nats$i.conf" >"$dir/nats$i.log" 2>&1 &
  echo $! >"$dir/nats$i.pid"
}

start_replica() {
  local i=$1 port=$((api_base + i))
  running "$dir/replica$i.pid" && return
  mkdir -p "$dir/replica$i"
  TOEX_NATS_REPLICA="replica$i" TOEX_NATS_STREAM_REPLICAS=3 \
  TOEX_INDEX_JOBS="$dir/replica$i/jobs" TOEX_AUDIT_PATH="$dir/replica$i/audit/audit.log" \
  TOEX_AUDIT_KEY_FILE="$dir/replica$i/audit/audit.key" \
    nohup "$toex" serve --listen "127.0.0.1:$port" --neo4j-uri "$bolt" \
      --index-path "$dir/replica$i/index" --nats "$(nats_urls)" \
      --web-dir "$root/web-client/dist" >"$dir/replica$i.log" 2>&1 &
  echo $! >"$dir/replica$i.pid"
}

start_worker() {
  local i=$1
  running "$dir/worker$i.pid" && return
  TOEX_NATS_STREAM_REPLICAS=3 \
  TOEX_TRANSCRIPTION_MODEL="${TOEX_TRANSCRIPTION_MODEL:-$root/.toex/models/whisper-base}" \
    nohup "$toex" worker --tasks "${TOEX_WORKER_TASKS:-transcribe,ocr}" --nats "$(nats_urls)" \
      --health "127.0.0.1:$((api_base + 10 + i))" >"$dir/worker$i.log" 2>&1 &
  echo $! >"$dir/worker$i.pid"
}

wait_health() {
  local url=$1 deadline=$((SECONDS + 120))
  until curl -fsS "$url/health" >/dev/null 2>&1; do
    if (( SECONDS > deadline )); then echo "cluster: $url never answered" >&2; exit 1; fi
    sleep 0.5
  done
}

status() {
  local token="${TOEX_TOKEN:-}"
  for i in 0 1 2; do
    printf 'nats n%d  127.0.0.1:%d  %s\n' "$i" $((nats_base + i)) \
      "$(running "$dir/nats$i.pid" && echo up || echo down)"
  done
  for i in 1 2; do
    local url="http://127.0.0.1:$((api_base + i - 1))" health
    if [[ -n "$token" ]]; then
      health="$(curl -fsS -H "Authorization: Bearer $token" "$url/health" 2>/dev/null || echo down)"
    else
      health="$(curl -fsS "$url/health" 2>/dev/null || echo down)"
    fi
    printf 'replica%d %s  %s\n' "$((i - 1))" "$url" "$health"
  done
  for ((i = 0; i < workers; i++)); do
    printf 'worker%d  http://127.0.0.1:%d  %s\n' "$i" $((api_base + 10 + i)) \
      "$(curl -fsS "http://127.0.0.1:$((api_base + 10 + i))/health" 2>/dev/null || echo down)"
  done
  [[ -n "$token" ]] || echo "(TOEX_TOKEN=... shows each replica's role, lag and queued jobs)"
}

case "${1:-}" in
  start)
    command -v nats-server >/dev/null 2>&1 || {
      sudo=""; [[ $EUID -eq 0 ]] || sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nats-server >/dev/null
    }
    [[ -x "$toex" ]] || scripts/setup.sh --release
    mkdir -p "$dir"
    for i in 0 1 2; do start_nats "$i"; done
    scripts/neo4j.sh start --port "${NEO4J_PORT:-7687}"
    bolt="bolt://127.0.0.1:$(cat .toex/neo4j/bolt.port)"
    for i in 0 1; do start_replica "$i"; done
    for i in 0 1; do wait_health "http://127.0.0.1:$((api_base + i))"; done
    for ((i = 0; i < workers; i++)); do start_worker "$i"; done
    status
    echo "NATS: $(nats_urls)   logs and pids: $dir   stop: scripts/cluster.sh stop"
    ;;
  stop)
    for f in "$dir"/worker*.pid "$dir"/replica*.pid "$dir"/nats*.pid; do
      [[ -f "$f" ]] || continue
      kill "$(cat "$f")" 2>/dev/null || true
      rm -f "$f"
    done
    echo "cluster stopped (Neo4j still runs: scripts/neo4j.sh stop)"
    ;;
  status) status ;;
  *) echo "usage: scripts/cluster.sh start | stop | status" >&2; exit 2 ;;
esac
