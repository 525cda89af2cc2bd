#!/usr/bin/env bash
# Translation benchmark: toex's Marian decoding at the full opus-mt-ar-en architecture
# (random weights, end token ruled out, so each line decodes exactly TOKENS tokens), on the
# seed's job: LINES Iraqi-Arabic chat lines of about 17 characters. `toex translate`
# prints lines/s and the £ per million characters at translation.price_per_hour_gbp.
# Batch 1 runs on the first 300 lines (it is slow); batch 32 on all. Asserts nothing.
#
#   bench/translate.sh [LINES] [TOKENS]    defaults: 6000 lines, 24 tokens
#
# Not yet here: CTranslate2 on the same weights side by side (needs the weights in its
# format; see bench/RESULTS.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
lines="${1:-6000}"
tokens="${2:-24}"

scripts/setup.sh --release >/dev/null
cargo build --release --locked -p toex-bench 2>/dev/null
work="$root/target/bench-translate"
rm -rf "$work"; mkdir -p "$work"
target/release/translate_model "$work/opus-mt-ar-en-random" "$work/lines.txt" "$lines"
head -n 300 "$work/lines.txt" > "$work/lines-300.txt"

run() { # batch beam file
  TOEX_TRANSLATION_MAX_TOKENS="$tokens" target/release/toex translate "$3" --from ar \
    --model "$work/opus-mt-ar-en-random" --batch "$1" --beam "$2" 2>&1 >/dev/null \
    | grep -E '^translated' | sed "s/^/batch $1, beam $2: /"
}
echo "== $(nproc) cores; $tokens output tokens a line"
run 1 1 "$work/lines-300.txt"
run 32 1 "$work/lines.txt"
