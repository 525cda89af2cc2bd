# Sourced by the bench scripts: a user store, an audit log and one supervisor's API token
# under WORK, exported for `toex serve` (TOEX_AUTH_*, TOEX_AUDIT_*) and for the Python
# drivers (BENCH_TOKEN). Supervisors see every force listed and need no redaction
# list, so a run without Neo4j still answers; the clients share the user, so the
# per-user rate limit is off.
#   source bench/auth.sh WORK TOEX_BINARY
bench_work="$1"; bench_toex="$2"
export TOEX_AUTH_USERS="$bench_work/users.json" TOEX_AUTH_RATE_PER_MINUTE=0
export TOEX_AUDIT_PATH="$bench_work/audit/audit.log" TOEX_AUDIT_KEY_FILE="$bench_work/audit/audit.key"
"$bench_toex" user add bench --role supervisor \
  --forces WYP,GMP,MPS,WMP,NYP,SYP,HUM,LAN,MER 2>/dev/null
BENCH_TOKEN="$("$bench_toex" token create bench --label bench 2>/dev/null)"
export BENCH_TOKEN
