#!/usr/bin/env bash
# Seized-material benchmark: OCR quality and speed, and a mixed archive end to end.
#  1. PAGES pages each of English, Arabic, and the two mixed (runs of English and Arabic
#     lines on one page) (tests/reference/pages.py: seeded synthetic
#     text typeset with DejaVu, rendered at 300 dpi, skewed ±1.5°, noised) read back
#     through toex-formats: the character error rate per language against what was
#     typeset, seconds per page, and pages/s for the same pages as a text PDF and as a
#     scanned PDF (OCR, pages side by side, one Tesseract per core).
#  2. An archive of FILES files in the mix of a phone download (bench/archive.py: chats,
#     PDFs, Word, email, spreadsheets, photos with GPS, scans) through `toex ingest`
#     into a fresh index with Neo4j running: files/s end to end.
# Prints figures; asserts nothing.
#
#   bench/ocr.sh [PAGES] [FILES]     defaults: 10 pages per language, 500 files
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
pages="${1:-10}"
files="${2:-500}"

scripts/setup.sh --release >/dev/null
venv=.toex/venv
req=tests/reference/requirements.txt
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
if ! cmp -s "$req" "$venv/.installed" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$venv/.installed"
fi
CARGO_INCREMENTAL=0 cargo build --release --locked -p toex-bench 2>/dev/null
toex="$root/target/release/toex"
work="$root/target/bench-ocr"
rm -rf "$work"; mkdir -p "$work"
export NEO4J_DEV_HOME="$work/neo4j"
trap 'scripts/neo4j.sh stop >/dev/null 2>&1 || true' EXIT

echo "== OCR: $pages pages per language (en, ar, mix), $(nproc) cores"
"$venv/bin/python" tests/reference/pages.py "$work/pages" "$pages"
target/release/ocr_quality "$work/pages" "$(nproc)"

echo "== ingest: a $files-file archive"
"$venv/bin/python" bench/archive.py "$work/download.zip" "$files"
ls -l "$work/download.zip" | awk '{printf "%.1f MB zipped\n", $5 / 1e6}'
scripts/neo4j.sh start --port 0 >/dev/null
export TOEX_NEO4J_URI="bolt://127.0.0.1:$(cat "$NEO4J_DEV_HOME/bolt.port")"
start=$(date +%s.%N)
TOEX_LOG_LEVEL=warn TOEX_INDEX_PATH="$work/index" TOEX_INDEX_JOBS="$work/jobs" \
  "$toex" ingest "$work/download.zip" --force WYP --operation BENCH 2>&1 | tr '\r' '\n' | tail -n 4 || true
end=$(date +%s.%N)
python3 - "$start" "$end" "$files" <<'PY'
import sys
start, end, files = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"{files} files in {end - start:.1f} s = {files / (end - start):.1f} files/s end to end")
PY
