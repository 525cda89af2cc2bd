#!/usr/bin/env bash
# Hot-spot benchmark: Getis-Ord Gi* over N points with a distance band that holds about
# K neighbours each, toex (`toex hotspots`, release build) against PySAL esda on the same
# file, side by side, with a check that the z-scores agree. Prints figures; asserts
# nothing (timings on a shared machine are not tests).
#
#   bench/hotspots.sh [POINTS] [NEIGHBOURS]     defaults: 100000 points, 50 neighbours
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
points="${1:-100000}"
neighbours="${2:-50}"

scripts/setup.sh --release --test >/dev/null
toex="$root/target/release/toex"
python="${REFERENCE_PYTHON:-$root/.toex/venv/bin/python}"
work="$root/target/bench-hotspots"
rm -rf "$work"; mkdir -p "$work"

# Uniform points in a 20 km square with clustered high values; band from the density.
"$python" - "$points" "$neighbours" "$work/points.csv" "$work/band" <<'PY'
import math, random, sys
n, k, out, band_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
side = 20_000.0
band = math.sqrt(k * side * side / (math.pi * n))
rng = random.Random(42)
with open(out, "w") as f:
    f.write("id,x,y,value\n")
    for i in range(n):
        x, y = rng.uniform(0, side), rng.uniform(0, side)
        hot = (x - 5_000) ** 2 + (y - 5_000) ** 2 < 1_500 ** 2
        f.write(f"p{i},{x:.3f},{y:.3f},{rng.randint(3, 9) if hot else rng.randint(0, 3)}\n")
open(band_file, "w").write(f"{band:.6f}")
PY
band="$(cat "$work/band")"
echo "== Gi* over $points points, band $band m (~$neighbours neighbours each)"

start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/toex.mem" "$toex" hotspots "$work/points.csv" --band "$band" \
  > "$work/toex.csv" 2> "$work/toex.err"
toex_s=$(echo "$(date +%s.%N) - $start" | bc -l)
gi_s=$(sed -n 's/.*Gi\* in \([0-9.]*\) s.*/\1/p' "$work/toex.err")

"$python" - "$work/points.csv" "$band" "$work/esda.csv" > "$work/esda.time" <<'PY'
import sys, time, warnings
import numpy as np, libpysal, esda
warnings.filterwarnings("ignore")
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, usecols=(1, 2, 3))
t0 = time.perf_counter()
w = libpysal.weights.DistanceBand(data[:, :2], threshold=float(sys.argv[2]), binary=True, silence_warnings=True)
t1 = time.perf_counter()
g = esda.G_Local(data[:, 2], w, transform="B", star=True, permutations=0)
t2 = time.perf_counter()
np.savetxt(sys.argv[3], g.Zs, fmt="%.17g")
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t2 - t0:.3f}")
PY
read -r esda_w esda_g esda_s < "$work/esda.time"

"$python" - "$work/toex.csv" "$work/esda.csv" <<'PY'
import csv, sys
ours = [float(r["z"]) for r in csv.DictReader(open(sys.argv[1]))]
ref = [float(l) for l in open(sys.argv[2])]
assert len(ours) == len(ref)
print(f"max |z_toex - z_esda| = {max(abs(a - b) for a, b in zip(ours, ref)):.2e}")
PY

printf '%-34s %10s\n' "" "seconds"
printf '%-34s %10.3f\n' "toex Gi* (neighbours + statistic)" "$gi_s"
printf '%-34s %10.3f\n' "toex whole command (read, write)" "$toex_s"
printf '%-34s %10.3f\n' "esda weights (DistanceBand)" "$esda_w"
printf '%-34s %10.3f\n' "esda G_Local" "$esda_g"
printf '%-34s %10.3f\n' "esda total" "$esda_s"
printf 'toex peak memory: %s MiB\n' "$(( $(cat "$work/toex.mem") / 1024 ))"
printf 'speed-up, Gi* vs esda total: %.1fx\n' "$(echo "$esda_s / $gi_s" | bc -l)"

# The same through GraphQL on real data: three months of West Yorkshire street crime
# imported into Neo4j as incidents, then hot-spot maps of one month.
echo
echo "== West Yorkshire street crime through Neo4j and GraphQL"
export NEO4J_DEV_HOME="$work/neo4j"
scripts/neo4j.sh start --port 0 >/dev/null
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; scripts/neo4j.sh stop >/dev/null' EXIT
export TOEX_NEO4J_URI="bolt://127.0.0.1:$(cat "$NEO4J_DEV_HOME/bolt.port")"
export TOEX_LOG_LEVEL=warn
for f in .toex/data/police-uk/*.csv; do
  "$toex" import street-crime "$f" 2>&1 | grep -v '^done' | sed 's|^.*/police-uk/||'
done
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$toex" serve --listen "127.0.0.1:$port" --index-path "$work/index" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
"$python" - "http://127.0.0.1:$port/graphql" <<'PY'
import json, statistics, sys, time, urllib.request
url = sys.argv[1]
window = 'force: "WYP", from: "2018-07-01T00:00:00Z", to: "2018-08-01T00:00:00Z"'
cases = {
    "Gi* 250 m cells, count": f"{{ hotspots({window}, cellSize: 250) {{ records cells {{ id z class }} }} }}",
    "Gi* 250 m cells, harm, FDR": f"{{ hotspots({window}, cellSize: 250, weighting: HARM, fdr: true) {{ records cells {{ id z class }} }} }}",
    "KDE 200 m cells, 600 m bandwidth": f"{{ hotspots(method: KDE, {window}, cellSize: 200, bandwidth: 600) {{ records cells {{ id density }} }} }}",
}
print(f"{'query':36} {'records':>8} {'cells':>7} {'p50 ms':>8} {'min ms':>8}")
for name, q in cases.items():
    times = []
    for _ in range(7):
        req = urllib.request.Request(url, json.dumps({"query": q}).encode(), {"content-type": "application/json"})
        t0 = time.perf_counter()
        body = json.load(urllib.request.urlopen(req))
        times.append((time.perf_counter() - t0) * 1000)
    if body.get("errors"):
        sys.exit(f"{name}: {body['errors']}")
    m = body["data"]["hotspots"]
    print(f"{name:36} {m['records']:>8} {len(m['cells']):>7} {statistics.median(times):>8.0f} {min(times):>8.0f}")
PY
