#!/usr/bin/env bash
# Builds toex with the `cuda` feature on a machine without a GPU or a CUDA toolkit, and
# bundles it to copy to one that has an NVIDIA GPU.
#
# The toolkit comes from PyPI: NVIDIA's CUDA 13.4 wheels (nvcc, cicc, the C runtime
# headers, cudart, cuBLAS, cuRAND, NVRTC), installed into .toex/cuda/venv, which lay out
# one toolkit tree (bin/, include/, lib/, nvvm/). Two things a toolkit has and the wheels
# do not are made here, as NVIDIA's installer makes them: the unversioned library names
# the linker looks for (libcublas.so -> libcublas.so.13), and the driver's link stub
# (lib/stubs/libcuda.so, soname libcuda.so.1: every entry point cuda.h declares, under the
# names it exports). The stub is for linking only; on the GPU machine the driver's own
# libcuda.so.1 is loaded.
#
# candle's kernels are compiled for the GPU generation in CUDA_COMPUTE_CAP (default 90:
# H100 and H200; 80 for A100, 89 for L4/L40). The build goes to target/cuda, beside the
# CPU build, so neither rebuilds the other. The bundle is dist/toex-cuda/: the stripped
# binaries (toex, and bench/gpu.sh's translate_model and embed_batch), the 110 s clip
# and libs.txt naming the CUDA libraries it loads (the GPU machine needs a driver
# for CUDA 13, R580 or later, and these libraries from the same wheels or a CUDA 13
# install; bench/gpu.sh says which are missing), and the same as one archive to copy,
# dist/toex-cuda.tar.xz (about 16 MiB).
#
# Usage: scripts/cuda-build.sh        (CUDA_COMPUTE_CAP=80 scripts/cuda-build.sh for an A100)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_INCREMENTAL=0

step() { printf '\n== %s\n' "$*" >&2; }

cuda_version=13.4.92
wheels=(
  "nvidia-cuda-nvcc==$cuda_version" "nvidia-nvvm==$cuda_version" "nvidia-cuda-crt==$cuda_version"
  "nvidia-cuda-runtime==$cuda_version" "nvidia-cuda-nvrtc==$cuda_version"
  "nvidia-cuda-cccl==13.3.5.0.6" "nvidia-cublas==13.4.3.11" "nvidia-curand==10.4.5.25"
)
venv=.toex/cuda/venv

step "CUDA $cuda_version toolkit from PyPI (into $venv)"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
if [[ "$(cat "$venv/.installed" 2>/dev/null)" != "${wheels[*]}" ]]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${wheels[@]}"
  printf '%s' "${wheels[*]}" > "$venv/.installed"
fi
cuda_root="$("$venv/bin/python" -c 'import glob, sys; print(glob.glob(sys.prefix + "/lib/python3*/site-packages/nvidia/cu13")[0])')"
"$cuda_root/bin/nvcc" --version | tail -n 2 >&2

step "link names and the driver's link stub"
lib="$cuda_root/lib"
for so in "$lib"/lib{cudart,cublas,cublasLt,curand,nvrtc}.so.*; do
  name="${so##*/}"
  ln -sfn "$name" "$lib/${name%%.so.*}.so"
done
mkdir -p "$lib/stubs"
stub="$lib/stubs/libcuda.so"
if [[ ! -f "$stub" || "$cuda_root/include/cuda.h" -nt "$stub" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # cuda.h maps most names to versioned ones (#define cuMemAlloc cuMemAlloc_v2); read
  # the declarations after the preprocessor, and once more with the mapping off, so the
  # stub exports both the names programs link against and the older ones.
  printf '#include <cuda.h>\n' > "$work/api.c"
  for defs in "" "-D__CUDA_API_VERSION_INTERNAL"; do
    gcc -E $defs -I"$cuda_root/include" "$work/api.c"
  done | tr -s ' \n' ' ' | grep -oE 'CUresult[[:space:]]+cu[A-Za-z0-9_]+[[:space:]]*\(' \
    | sed -E 's/CUresult[[:space:]]+//; s/[[:space:]]*\($//' | sort -u > "$work/names"
  count="$(wc -l < "$work/names")"
  (( count > 300 )) || { echo "cuda-build: only $count driver entry points read from cuda.h" >&2; exit 1; }
  # Each entry point answers CUDA_ERROR_STUB_LIBRARY (34) if ever called.
  sed 's/.*/int &(void) { return 34; }/' "$work/names" > "$work/stub.c"
  gcc -shared -fPIC -O1 -Wl,-soname,libcuda.so.1 -o "$stub" "$work/stub.c"
  echo "   $stub: $count entry points" >&2
fi

step "toex with the cuda feature (target/cuda; kernels for compute capability ${CUDA_COMPUTE_CAP:-90})"
export CUDA_ROOT="$cuda_root" CUDA_HOME="$cuda_root" PATH="$cuda_root/bin:$PATH"
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}" CUDAFORGE_THREADS="$(nproc)"
cargo build --release --locked --target-dir target/cuda -p toex -p toex-bench \
  --features toex/cuda,toex-bench/cuda --bin toex --bin translate_model --bin embed_batch

step "bundle (dist/toex-cuda)"
out=dist/toex-cuda
rm -rf "$out"
mkdir -p "$out"
for bin in toex translate_model embed_batch; do
  cp "target/cuda/release/$bin" "$out/$bin"
  strip "$out/$bin"
done
# bench/gpu.sh's 110 s clip (alsa-utils' voice clips, as bench/transcribe.sh builds it).
if [[ -d /usr/share/sounds/alsa ]]; then
  python3 -c 'import pathlib, sys; sys.path.insert(0, "bench"); import transcribe; transcribe.build_clips(pathlib.Path(sys.argv[1]))' "$out"
  rm -f "$out/speech-11s.wav"
else
  echo "   no 110 s clip: alsa-utils' voice clips are missing (scripts/setup.sh --test installs them)" >&2
fi
# The CUDA libraries the binary loads, directly or through another (libcublas.so.13 loads
# libcublasLt.so.13), besides the driver's libcuda.so.1.
LD_LIBRARY_PATH="$lib" ldd "$out/toex" | awk -v lib="$lib/" 'index($3, lib) == 1 { print $1 }' \
  | sort > "$out/libs.txt"
# What is copied to the GPU machine: one archive (bench/gpu.sh unpacks it there).
tar -C dist -cf - toex-cuda | xz -T"$(nproc)" -6 > dist/toex-cuda.tar.xz
du -b "$out"/* dist/toex-cuda.tar.xz \
  | awk '{ printf "   %-30s %6.1f MiB\n", $2, $1 / 1048576 }' >&2
echo "   loads: libcuda.so.1 (the driver) $(tr '\n' ' ' < "$out/libs.txt")" >&2
