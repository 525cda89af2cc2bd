#!/usr/bin/env bash
# Matrix kernels against the CPU's peak: the register-only multiply-add rate of each
# instruction set this CPU has (f32 FMA, int8 dot products; all threads), then toex's
# packed f32 and int8 kernels and candle's f32 matrix multiply at Marian's decoding and
# encoding shapes (1 to 640 rows), in GFLOP/s and per cent of that kernel's peak.
# Asserts nothing.
#
#   bench/kernels.sh [SECONDS_PER_CASE]    default 1.0
#
# Environment: RAYON_NUM_THREADS (default: all cores), TOEX_CPU_KERNEL (avx2, avxvnni,
# portable: a slower instruction set than the fastest this CPU has).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_INCREMENTAL=0
cargo build --release --locked -p toex-bench --bin kernels 2>/dev/null
echo "== $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
target/release/kernels "${1:-1.0}"
