# Sourced by the system and web test runners: starts `toex serve` on a free loopback
# port and waits until it says where it serves.
# serve_toex BIN LOG: sets serve_pid and url (http://127.0.0.1:PORT/graphql); exits the
# caller with the log's tail when toex dies or never starts.
serve_toex() {
  local bin="$1" log="$2"
  "$bin" serve --listen 127.0.0.1:0 --log-format json 2>"$log" >/dev/null &
  serve_pid=$!
  url=""
  for _ in $(seq 1 240); do
    url="$(grep -m1 '"toex is serving"' "$log" 2>/dev/null \
           | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["url"])' 2>/dev/null || true)"
    [[ -n "$url" ]] && return 0
    kill -0 "$serve_pid" 2>/dev/null || { tail -n 20 "$log" >&2; exit 1; }
    sleep 0.5
  done
  echo "toex did not start" >&2
  tail -n 20 "$log" >&2
  exit 1
}
