#!/usr/bin/env bash
# Arabizi (Arabic chat in Latin letters): how well toex tells it and writes it back in
# Arabic script, on made-up Iraqi chat lines with their Arabic-script twins — the
# development set (inference/tests/data/arabizi.tsv, which guided the rules) and the
# held-out set (arabizi-heldout.tsv, written afterwards and never tuned on) — and, with
# a random NLLB-shaped model standing in, how many lines then translate exactly as their
# twins do, against sending them as they came. False alarms: the project's own English
# documents. Prints figures; asserts nothing.
#
#   bench/arabizi.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
CARGO_INCREMENTAL=0 cargo build --release --locked -p toex-bench --bin arabizi 2>/dev/null
for set in arabizi arabizi-heldout; do
  target/release/arabizi "inference/tests/data/$set.tsv" README.md ARCHITECTURE.md graph/MODEL.md
  echo
done
