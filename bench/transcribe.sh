#!/usr/bin/env bash
# Transcription benchmark: `toex transcribe` against faster-whisper (PyPI, in .toex/venv)
# side by side, on the same CTranslate2 model files (Whisper tiny.en and base from their
# PyPI packages) and the same audio: 11 s of real speech (alsa-utils' voice clips in a
# row) and 110 s (the same ten times). Both on 2 threads, greedy and beam 5, f32 and int8,
# no conditioning on previous text, one decoding per window (no temperature fallback: the
# 110 s clip repeats itself by construction, which sends both engines into their retries). Prints seconds, real-time factor, word error rate,
# peak memory and toex's speed as a multiple of faster-whisper's. Asserts nothing.
#
#   bench/transcribe.sh [extra args for bench/transcribe.py, e.g. --models base --beams 5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --release --test >/dev/null
venv=.toex/venv
if ! "$venv/bin/python" -c 'import faster_whisper' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
fi
[[ -d /usr/share/sounds/alsa ]] || { echo "bench: alsa-utils' voice clips are missing (scripts/setup.sh --test installs them)" >&2; exit 1; }
echo "== $(nproc) cores, $(date -u +%F)"
"$venv/bin/python" bench/transcribe.py target/release/toex .toex/models target/bench-transcribe "$@"
