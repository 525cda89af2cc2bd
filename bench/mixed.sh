#!/usr/bin/env bash
# Mixed-language speech: espeak-ng recordings that switch language (English running past
# Whisper's first 30 s window into German; English, Spanish, English within one window)
# through `toex transcribe` and faster-whisper (multilingual), both with Whisper base's
# files, greedy. Prints word error rate, reference words lost and (toex) the share of
# segments labelled with their language, per language. Asserts nothing.
#
#   bench/mixed.sh [--precision f32|int8]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --release --test >/dev/null
venv=.toex/venv
if ! "$venv/bin/python" -c 'import faster_whisper' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
fi
command -v espeak-ng >/dev/null || { echo "bench: espeak-ng is missing (scripts/setup.sh --test installs it)" >&2; exit 1; }
echo "== $(nproc) cores, $(date -u +%F)"
"$venv/bin/python" bench/mixed.py target/release/toex .toex/models/whisper-base target/bench-mixed "$@"
