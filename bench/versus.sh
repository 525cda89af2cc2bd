#!/usr/bin/env bash
# This tree against an earlier commit, side by side: builds REV's release `toex` (in a git
# worktree, sharing target/) and this tree's, writes the random Marian models and lines,
# then bench/versus.py runs transcription (Whisper tiny.en, 110 s of speech, f32 and int8,
# greedy and beam 5) and translation (opus-mt-ar-en architecture with random weights:
# 400 lines at batch 32, f32 and int8; 100 lines at beam 4 with lines ending of their
# own) with both builds alternately and prints median seconds, ratios and whether the
# outputs match. Asserts nothing.
#
#   bench/versus.sh REV [ROUNDS]      e.g. bench/versus.sh ed374ed 2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rev="${1:?usage: bench/versus.sh REV [ROUNDS]}"
rounds="${2:-2}"
export CARGO_INCREMENTAL=0
scripts/setup.sh --release --test >/dev/null
work="$root/target/bench-versus"
mkdir -p "$work"
sha="$(git rev-parse --short "$rev")"
before="$work/toex-$sha"
if [[ ! -x "$before" ]]; then
  tree="$work/tree-$sha"
  rm -rf "$tree"; git worktree prune
  git worktree add --detach "$tree" "$sha" >/dev/null
  (cd "$tree" && CARGO_TARGET_DIR="$root/target" cargo build --release --locked -p toex 2>&1 | tail -1)
  cp "$root/target/release/toex" "$before"
  git worktree remove --force "$tree"
fi
# This tree's binary: relinked, since the build above left REV's in target/release.
touch server/src/main.rs
cargo build --release --locked -p toex -p toex-bench 2>&1 | tail -1
after="$root/target/release/toex"
cmp -s "$before" "$after" && { echo "versus: both builds are the same binary" >&2; exit 1; }
target/release/translate_model "$work/opus-mt-ar-en-random" "$work/lines.txt" 400 >/dev/null
EOS_BIAS=28 target/release/translate_model "$work/opus-mt-ar-en-random-eos" "$work/unused.txt" 1 >/dev/null
echo "== $(nproc) cores, $(date -u +%F); before: $sha, after: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + uncommitted changes'); $rounds rounds"
.toex/venv/bin/python bench/versus.py "$before" "$after" .toex/models "$work" --rounds "$rounds"
