#!/usr/bin/env bash
# Builds llama.cpp's own llama-server, llama-bench, llama-finetune and llama-quantize from the source that
# node-llama-cpp bundles (llama/gitRelease.bundle), so benchmarks compare us with the exact llama.cpp we run on.
# Cached outside the repo: ${BELLE_CACHE_DIR:-~/.cache/belle}/llama.cpp-<tag>/build-prebuilt-cpu/bin
#
# Same CPU kernels as ours, not merely the same source: the tools are built with GGML_BACKEND_DL=ON and no CPU
# backend of their own (GGML_CPU=OFF), and their bin folder links node-llama-cpp's prebuilt libggml-cpu-<variant>
# libraries, which ggml's loader searches next to the executable. At run time both pick the variant for this CPU
# with the same scoring, from the same files, with the same threadpool (the prebuilt links no OpenMP).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nlc="$root/node_modules/node-llama-cpp/llama"
tag="$(node -p "require('$nlc/llama.cpp.info.json').tag")"
cache="${BELLE_CACHE_DIR:-$HOME/.cache/belle}"
src="$cache/llama.cpp-$tag"
build="$src/build-prebuilt-cpu"
bin="$build/bin"
tools=(llama-server llama-bench llama-finetune llama-quantize)

# node-llama-cpp's CPU build for this platform (the one it loads when it runs without a GPU)
platform="$(node -p '({linux: "linux", darwin: "mac", win32: "win"})[process.platform] + "-" + process.arch')"
prebuilt="$root/node_modules/@node-llama-cpp/$platform/bins/$platform"
[ -d "$prebuilt" ] || { echo "node-llama-cpp's prebuilt binaries are not at $prebuilt" >&2; exit 1; }
link_prebuilt_cpu() {
  for lib in "$prebuilt"/libggml-cpu-*.so "$prebuilt"/libggml-cpu.so; do
    [ -e "$lib" ] && ln -sfn "$lib" "$bin/$(basename "$lib")"
  done
  return 0
}

stamp="$build/.belle-peers-v3"
all_built() { for tool in "${tools[@]}"; do [ -x "$bin/$tool" ] || return 1; done; }
if [ -f "$stamp" ] && all_built; then
  link_prebuilt_cpu
  echo "$bin"; exit 0
fi
mkdir -p "$cache"
if [ ! -d "$src/.git" ]; then
  rm -rf "$src.tmp"
  git clone --quiet "$nlc/gitRelease.bundle" "$src.tmp" >&2
  mv "$src.tmp" "$src"
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON -DGGML_CPU=OFF -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF >&2
cmake --build "$build" -j "$(nproc)" --target "${tools[@]}" >&2
link_prebuilt_cpu
touch "$stamp"
echo "$bin"
