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
if [ -x "$bin/llama-server" ] && [ -x "$bin/llama-bench" ] && [ -x "$bin/llama-finetune" ]; then
  echo "$bin"; exit 0
fi
mkdir -p "$cache"
if [ ! -d "$src/.git" ]; then
  rm -rf "$src.tmp"
  git clone --quiet "$nlc/gitRelease.bundle" "$src.tmp" >&2
  mv "$src.tmp" "$src"
fi
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "$src/build" -j "$(nproc)" --target llama-server llama-bench llama-finetune >&2
echo "$bin"
