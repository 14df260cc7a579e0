#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian 12 machine for building and testing latchkey.
# Runs as root (or through sudo). Installs only from Debian's and npm's registries.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

apt_packages=(
  # native build
  build-essential cmake ninja-build pkg-config git ca-certificates
  libmbedtls-dev picojson-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libsqlite3-dev
  libboost1.81-dev
  # the PostgreSQL store (libpq) and the real PostgreSQL its tests start (tests/fixtures/postgres.mjs)
  libpq-dev postgresql-15
  # integration tests: a test CA, and sqlite3 to inspect the store from outside
  openssl sqlite3
  # the OAuth 1.0a peer (tests/fixtures/oauth1_server.py) verifies signatures with oauthlib
  python3-oauthlib
  # the browser tests drive Debian's Chromium with playwright-core
  chromium
  # Emscripten build
  emscripten
  # WASI build: clang 14 + lld + wasi-libc + libc++ and compiler-rt for wasm32
  clang lld wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32
  # fuzz preset: libFuzzer for clang 14 (tests/fuzz)
  libfuzzer-14-dev
  # fetching mbedTLS sources for the wasm builds; dpkg-shlibdeps for the Debian package
  dpkg-dev
  # the package test (tests/install/package.test.mjs): CPack's shlibdeps needs file; the unit is
  # checked with systemd-analyze (its ExecReload is procps's /bin/kill) and its user with
  # systemd-sysusers; strace lists the system calls latchkeyd makes
  file systemd strace procps
  # tests and benchmarks run under Node
  nodejs
  # the gateway benchmark: wrk drives latchkeyd and an nginx baseline (bench/gateway_bench.mjs)
  wrk nginx-light
)

missing=()
for p in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# nodesource's nodejs ships npm inside it; Debian's splits it out.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

src_list=/etc/apt/sources.list.d/latchkey-deb-src.sources
need_update=0
if [ ! -f "$src_list" ]; then
  # The wasm builds compile mbedTLS's portable crypto from Debian's source package.
  $SUDO tee "$src_list" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  need_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ $need_update -eq 1 ]; then
  $SUDO apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# mbedTLS sources for the wasm builds: third_party/mbedtls (git-ignored, never committed).
mbed_dir="$root/third_party/mbedtls"
if [ ! -f "$mbed_dir/library/gcm.c" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get source -q --download-only mbedtls >/dev/null && dpkg-source -x --no-check ./mbedtls_*.dsc src >/dev/null)
  mkdir -p "$root/third_party"
  rm -rf "$mbed_dir"
  mv "$tmp/src" "$mbed_dir"
  rm -rf "$tmp"
  echo "bootstrap: mbedTLS sources in $mbed_dir"
fi

# npm packages the tests need, pinned by package-lock.json.
if [ -f "$root/package-lock.json" ]; then
  if [ ! -d "$root/node_modules" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "bootstrap: ready"
