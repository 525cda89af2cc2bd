#!/usr/bin/env bash
# GPU figures, in one run of a few minutes on a machine with an NVIDIA GPU: the seed's
# 6,000-line translation job, a transcription of the 110 s clip with Whisper base, and a
# batch of 1,000 document embeddings; prints times. Asserts nothing.
#
# Prepared here by scripts/cuda-build.sh, which writes the bundle dist/toex-cuda/ (toex,
# translate_model and embed_batch built with the `cuda` feature, the 110 s clip) and the
# same as dist/toex-cuda.tar.xz, the one file to copy; run from the repository root there
# (the archive is unpacked when the folder is not there):
#
#   bench/gpu.sh [BUNDLE]          default dist/toex-cuda
#
# MODELS (default .toex/models) holds whisper-base/ and all-MiniLM-L6-v2/ as
# scripts/fetch-models.sh writes them; a part whose model is absent says so and is not
# timed. CUDA_LIBS names a folder with the CUDA 13 libraries the bundle's libs.txt lists,
# when the machine has only the driver.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bundle="${1:-dist/toex-cuda}"
models="${MODELS:-.toex/models}"
[[ -n "${CUDA_LIBS:-}" ]] && export LD_LIBRARY_PATH="$CUDA_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

if [[ ! -d "$bundle" && -f "$bundle.tar.xz" ]]; then
  tar -C "$(dirname "$bundle")" -xJf "$bundle.tar.xz"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
  || { echo "gpu: no NVIDIA GPU answers nvidia-smi" >&2; exit 1; }
if missing="$(ldd "$bundle/toex" | grep 'not found')"; then
  echo "gpu: the bundle cannot load (set CUDA_LIBS):" >&2
  echo "$missing" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== translation: the seed's job, 6,000 lines (Marian at opus-mt-ar-en's dimensions, random weights, 24 tokens a line), greedy"
"$bundle/translate_model" "$work/model" "$work/lines.txt" 6000 >/dev/null
for batch in 32 128; do
  started=$(date +%s%N)
  report="$(TOEX_TRANSLATION_MAX_TOKENS=24 "$bundle/toex" translate "$work/lines.txt" --from ar \
    --model "$work/model" --batch "$batch" --beam 1 2>&1 >/dev/null | grep -E '^translated|CUDA|GPU' || true)"
  echo "batch $batch: $report"
  echo "batch $batch: $(( ($(date +%s%N) - started) / 1000000 )) ms wall, loading included"
done

echo "== transcription: the 110 s clip, Whisper base, greedy"
if [[ -f "$models/whisper-base/model.bin" ]]; then
  for beam in 1 5; do
    "$bundle/toex" transcribe "$bundle/speech-110s.wav" --model "$models/whisper-base" \
      --language en --beam "$beam" --no-fallback --format json 2>&1 >/dev/null \
      | grep -E '^transcribed|CUDA|GPU' | sed "s/^/beam $beam: /"
  done
else
  echo "not run: $models/whisper-base is missing (scripts/fetch-models.sh writes it)"
fi

echo "== embeddings: 1,000 documents of 60-120 words, all-MiniLM-L6-v2"
if [[ -f "$models/all-MiniLM-L6-v2/model.safetensors" ]]; then
  "$bundle/embed_batch" "$models/all-MiniLM-L6-v2" 1000
else
  echo "not run: $models/all-MiniLM-L6-v2 is missing (scripts/fetch-models.sh writes it)"
fi
