#!/usr/bin/env bash
# Coverage-guided fuzzing with cargo fuzz (libFuzzer) of the parsers that take untrusted
# input: the search query syntax, the ingest parsers (chat exports, SRT, WebVTT, JSONL,
# encodings, Office, email, archives), image headers and EXIF, and the importer's
# CSV/JSONL reading and validation. Each target starts from fuzz/seeds/<target> plus
# whatever corpus earlier runs left in fuzz/corpus/<target>.
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the run.
#
# Usage: scripts/fuzz.sh [SECONDS per target, default 60] [TARGET...]
# cargo-fuzz comes from crates.io (cargo install, once per machine). Its instrumentation
# flags are nightly-only; RUSTC_BOOTSTRAP lets the stable toolchain accept them, so no
# nightly toolchain is needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

secs="${1:-60}"; shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(query_syntax chat_export image_header csv_import)

if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz 0.13.2" ]]; then
  echo "== cargo-fuzz 0.13.2 (crates.io)" >&2
  cargo install --locked --quiet cargo-fuzz@0.13.2
fi
export RUSTC_BOOTSTRAP=1
export CARGO_INCREMENTAL=0

echo "== building the fuzz targets" >&2
cargo fuzz build --sanitizer none
passed=0; failed=0
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  mkdir -p "$corpus"
  cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  echo "== fuzz $t for ${secs}s" >&2
  if cargo fuzz run --sanitizer none "$t" "$corpus" -- \
       -max_total_time="$secs" -rss_limit_mb=3072 -max_len=16384 -timeout=20 \
       -print_final_stats=1 2>"fuzz/$t.log"; then
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz/$t.log" | tail -n1)"
    echo "fuzz $t: ok, ${runs:-?} inputs in ${secs}s, corpus $(ls "$corpus" | wc -l)" >&2
    passed=$((passed + 1))
  else
    echo "fuzz $t: FAILED; the end of its log:" >&2
    tail -n 40 "fuzz/$t.log" >&2
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
