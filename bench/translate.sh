#!/usr/bin/env bash
# Translation benchmark: toex's Marian decoding at the full opus-mt-ar-en architecture
# (random weights, end token ruled out, so each line decodes exactly TOKENS tokens), on the
# seed's job: LINES Iraqi-Arabic chat lines of about 17 characters. `toex translate`
# prints lines/s and the £ per million characters at translation.price_per_hour_gbp.
# Batch 1 runs on the first B1_LINES lines (default 300; it is slow); batch 32 on all.
# FAMILY=nllb: an NLLB-200 model at nllb-200-distilled-600M's dimensions instead (its
# English token forced first, as NLLB decodes). Asserts nothing.
#
#   bench/translate.sh [LINES] [TOKENS]    defaults: 6000 lines, 24 tokens
#
# CTranslate2 (PyPI, in .toex/venv) translates the same source pieces with the same
# weights, converted, batch, beam and threads: bench/translate_ct2.py prints the table.
#
# Environment: PRECISIONS (default "f32 int8"), THREADS (default: all cores).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
lines="${1:-6000}"
tokens="${2:-24}"

precisions="${PRECISIONS:-f32 int8}"
threads="${THREADS:-$(nproc)}"

scripts/setup.sh --release >/dev/null
venv=.toex/venv
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import ctranslate2, safetensors, sentencepiece' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
fi
cargo build --release --locked -p toex-bench 2>/dev/null
family="${FAMILY:-marian}"
b1_lines="${B1_LINES:-300}"
work="$root/target/bench-translate-$family"
rm -rf "$work"; mkdir -p "$work"
FAMILY="$family" target/release/translate_model "$work/model" "$work/lines.txt" "$lines" "$work/tokens.txt"
head -n "$b1_lines" "$work/lines.txt" > "$work/lines-b1.txt"

run() { # precision batch lines-file count
  local out="$work/toex-$1-b$2.txt" log
  log="$(TOEX_TRANSLATION_MAX_TOKENS="$tokens" RAYON_NUM_THREADS="$threads" target/release/toex \
    translate "$3" --from ar --model "$work/model" --batch "$2" --beam 1 \
    --precision "$1" 2>&1 >"$out" | grep -E '^translated')"
  echo "$1, batch $2: $log"
  # seconds: "... characters) in S s"
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$4" \
    "$(sed -E 's/.*characters\) in ([0-9.]+) s.*/\1/' <<<"$log")" "$out" >>"$work/toex.tsv"
}
echo "== toex ($family), $threads threads; $tokens output tokens a line"
for p in $precisions; do
  run "$p" 1 "$work/lines-b1.txt" "$b1_lines"
  run "$p" 32 "$work/lines.txt" "$lines"
done
"$venv/bin/python" bench/translate_ct2.py "$work" "$threads" "$tokens" 0.10
