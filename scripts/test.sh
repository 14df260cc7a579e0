#!/usr/bin/env bash
# The whole test suite: sets the machine up (idempotent), then configures, builds and tests
# every preset — native, debug (ASan + UBSan), wasm (Emscripten under Node), wasi (node:wasi) and
# fuzz (each libFuzzer harness for 20 s).
#   scripts/test.sh              all presets
#   scripts/test.sh native wasi  just these
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/bootstrap.sh"
export NODE_PATH=/usr/share/nodejs  # Emscripten's optimizer needs Debian's node-acorn
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(wasm native debug wasi fuzz)  # wasm first: the vault page (native) embeds its module
failed=()
for preset in "${presets[@]}"; do
  echo "=== ${preset} ==="
  start=$(date +%s)
  if ! cmake --workflow --preset "$preset"; then failed+=("$preset"); fi
  echo "=== ${preset}: $(( $(date +%s) - start )) s ==="
done
passed=$(( ${#presets[@]} - ${#failed[@]} ))
echo "presets: ${passed} passed, ${#failed[@]} failed${failed:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
