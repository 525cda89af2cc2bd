#!/usr/bin/env bash
# Start, stop and inspect the embedded Neo4j used for development, demos and tests.
#
#   scripts/neo4j.sh build                 fetch the Neo4j jars (Maven Central) and build the launcher
#   scripts/neo4j.sh start [--port N]      start in the background and wait until Bolt is ready
#   scripts/neo4j.sh stop                  SIGTERM, wait for a clean shutdown
#   scripts/neo4j.sh status                running or not, with the Bolt URI
#   scripts/neo4j.sh foreground [args]     run in the foreground (used by the test harness)
#
# Environment: NEO4J_DEV_HOME (data and pid files, default .toex/neo4j),
# NEO4J_HEAP (default 1g), NEO4J_PAGE_CACHE_MIB (default 256), NEO4J_PASSWORD (empty: auth off),
# NEO4J_GC (garbage collector, default G1GC; ParallelGC for bulk loads),
# NEO4J_JAVA_OPTS (extra JVM options, appended), NEO4J_CONF (a neo4j.conf file of further
# Neo4j settings; port, memory and authentication still come from the variables above).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
launcher="$root/graph/launcher"
home="${NEO4J_DEV_HOME:-$root/.toex/neo4j}"
pidfile="$home/neo4j.pid"
portfile="$home/bolt.port"
logfile="$home/launcher.log"
jar="$launcher/target/toex-neo4j-launcher-0.1.0.jar"

java_opts=(
  "-Xms${NEO4J_HEAP:-1g}" "-Xmx${NEO4J_HEAP:-1g}"
  "-XX:+Use${NEO4J_GC:-G1GC}" -XX:-OmitStackTraceInFastThrow -XX:+ExitOnOutOfMemoryError
  -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports=java.base/sun.nio.ch=ALL-UNNAMED
  --enable-native-access=ALL-UNNAMED
)
# shellcheck disable=SC2206 # word splitting is the point: several options in one variable
java_opts+=(${NEO4J_JAVA_OPTS:-})

build() {
  if [[ -f "$jar" && -d "$launcher/target/lib" && "$jar" -nt "$launcher/pom.xml" \
        && -z "$(find "$launcher/src" -newer "$jar" -print -quit)" ]]; then
    return 0
  fi
  echo "neo4j: building the launcher (Maven Central: org.neo4j:neo4j)" >&2
  (cd "$launcher" && mvn -B -q package -DskipTests)
}

running_pid() {
  [[ -f "$pidfile" ]] || return 1
  local pid; pid="$(cat "$pidfile")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

foreground() {
  build
  mkdir -p "$home"
  local conf=()
  [[ -n "${NEO4J_CONF:-}" ]] && conf=(--config "$NEO4J_CONF")
  exec java "${java_opts[@]}" -cp "$jar:$launcher/target/lib/*" uk.toex.launcher.Launcher \
    --page-cache-mib "${NEO4J_PAGE_CACHE_MIB:-256}" --password "${NEO4J_PASSWORD:-}" "${conf[@]}" "$@"
}

start() {
  local port=7687
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      *) echo "neo4j: unknown option $1" >&2; exit 2 ;;
    esac
  done
  if pid="$(running_pid)"; then
    echo "neo4j: already running (pid $pid) at bolt://127.0.0.1:$(cat "$portfile")"
    return 0
  fi
  build
  mkdir -p "$home"
  rm -f "$portfile"
  nohup "$0" foreground --data-dir "$home/data" --port "$port" --port-file "$portfile" \
    >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 240); do
    if [[ -s "$portfile" ]]; then
      echo "neo4j: ready at bolt://127.0.0.1:$(cat "$portfile") (pid $(cat "$pidfile"), log $logfile)"
      return 0
    fi
    if ! running_pid >/dev/null; then
      echo "neo4j: failed to start; last lines of $logfile:" >&2
      tail -n 30 "$logfile" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "neo4j: not ready after 120 s; see $logfile" >&2
  exit 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    echo "neo4j: not running"
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile" "$portfile"; echo "neo4j: stopped"; return 0; }
    sleep 0.5
  done
  echo "neo4j: did not stop within 60 s, killing" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile" "$portfile"
}

status() {
  if pid="$(running_pid)"; then
    echo "neo4j: running (pid $pid) at bolt://127.0.0.1:$(cat "$portfile" 2>/dev/null || echo '?')"
  else
    echo "neo4j: not running"
    return 3
  fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  build) build ;;
  start) start "$@" ;;
  stop) stop ;;
  status) status ;;
  foreground) foreground "$@" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
