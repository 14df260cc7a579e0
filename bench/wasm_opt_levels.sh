#!/usr/bin/env bash
# What the wasm build's compile options trade: the Emscripten module built with each choice of
# core layers at -O2 (LATCHKEY_WASM_O2_LAYERS; the rest stays -Oz), its size and its calls'
# times (bench/wasm_raw_calls.mjs), one after the other on this machine.
#   bench/wasm_opt_levels.sh                    the choices below
#   bench/wasm_opt_levels.sh "base;abi" ...     these (';'-separated layers, 'mbedtls' for mbedTLS; '' for none)
# Each build goes to ${TMPDIR:-/tmp}/latchkey-wasm-opt-N (kept, so a second run rebuilds little).
# Needs what the wasm preset needs (scripts/bootstrap.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export NODE_PATH=/usr/share/nodejs  # Emscripten's optimizer needs Debian's node-acorn
choices=("$@")
if [ ${#choices[@]} -eq 0 ]; then
  choices=("" "base" "base;abi;mbedtls" "base;abi;store;protocol;mbedtls" "base;provider;protocol;store;ops;abi;surface;mbedtls")
fi
n=0
for layers in "${choices[@]}"; do
  dir="${TMPDIR:-/tmp}/latchkey-wasm-opt-$n"
  n=$((n + 1))
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE=/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake \
    -DLATCHKEY_BUILD_TESTS=OFF -DLATCHKEY_BUILD_BENCH=OFF "-DLATCHKEY_WASM_O2_LAYERS=$layers" >/dev/null
  cmake --build "$dir" --target latchkey_wasm_pkg >/dev/null
  echo "-O2: ${layers:-(none)}"
  node "$root/bench/wasm_raw_calls.mjs" "$dir/wasm/pkg"
done
