#!/usr/bin/env bash
# Builds llama.cpp's own llama-server, llama-bench and llama-finetune from the source that node-llama-cpp
# bundles (llama/gitRelease.bundle), so benchmarks compare us with the exact llama.cpp we run on.
# Cached outside the repo: ${BELLE_CACHE_DIR:-~/.cache/belle}/llama.cpp-<tag>/build/bin
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nlc="$root/node_modules/node-llama-cpp/llama"
tag="$(node -p "require('$nlc/llama.cpp.info.json').tag")"
cache="${BELLE_CACHE_DIR:-$HOME/.cache/belle}"
src="$cache/llama.cpp-$tag"
bin="$src/build/bin"
stamp="$src/build/.belle-peers-v2"
if [ -f "$stamp" ] && [ -x "$bin/llama-server" ] && [ -x "$bin/llama-bench" ] && [ -x "$bin/llama-finetune" ]; then
  echo "$bin"; exit 0
fi
mkdir -p "$cache"
if [ ! -d "$src/.git" ]; then
  rm -rf "$src.tmp"
  git clone --quiet "$nlc/gitRelease.bundle" "$src.tmp" >&2
  mv "$src.tmp" "$src"
fi
# -march=native turns on AMX where the CPU has it, and ggml's AMX kernels crash (SIGSEGV in
# ggml_backend_amx_mul_mat) in VMs that do not grant AMX tile state. There, list the CPU's other features instead.
cpu_flags=(-DGGML_NATIVE=ON)
if grep -qw amx_tile /proc/cpuinfo 2>/dev/null; then
  has() { grep -qw "$1" /proc/cpuinfo && echo ON || echo OFF; }
  cpu_flags=(-DGGML_NATIVE=OFF -DGGML_AVX="$(has avx)" -DGGML_AVX2="$(has avx2)" -DGGML_FMA="$(has fma)"
    -DGGML_F16C="$(has f16c)" -DGGML_BMI2="$(has bmi2)" -DGGML_AVX512="$(has avx512f)"
    -DGGML_AVX512_VBMI="$(has avx512vbmi)" -DGGML_AVX512_VNNI="$(has avx512_vnni)"
    -DGGML_AVX512_BF16="$(has avx512_bf16)" -DGGML_AVX_VNNI="$(has avx_vnni)")
fi
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DBUILD_SHARED_LIBS=OFF "${cpu_flags[@]}" >&2
cmake --build "$src/build" -j "$(nproc)" --target llama-server llama-bench llama-finetune >&2
touch "$stamp"
echo "$bin"
