#!/usr/bin/env bash
# The main job, end to end on loopback: a real OAuth authorization server (oidc-provider behind
# TLS with a throwaway test CA) and a protected API run on 127.0.0.1; latchkey discovers the
# server, stores app credentials, connects an account (the consent page is filled in by a
# scripted browser), then shows status, makes an API call as that account and disconnects with
# revocation. Everything lives in a temporary SQLite store that is deleted afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh" >&2
(cd "$root" && { [ -f build/native/build.ninja ] || cmake --preset native >/dev/null; } \
  && cmake --build --preset native --target latchkey >/dev/null) >&2
latchkey="$root/build/native/native/cli/latchkey"

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

node "$root/tests/fixtures/test_ca.mjs" "$work/pki" >/dev/null
node "$root/tests/fixtures/auth_server.mjs" --pki "$work/pki" >"$work/as.json" & pids+=($!)
until [ -s "$work/as.json" ]; do sleep 0.1; done
issuer="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).issuer)' "$work/as.json")"
node "$root/tests/fixtures/api_server.mjs" --pki "$work/pki" --issuer "$issuer" >"$work/api.json" & pids+=($!)
until [ -s "$work/api.json" ]; do sleep 0.1; done
api="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).url)' "$work/api.json")"

export LATCHKEY_STORE="$work/latchkey.db" LATCHKEY_CA_FILE="$work/pki/ca.pem"
step() { printf '\n$ latchkey %s\n' "$*"; "$latchkey" "$@"; }

echo "authorization server: $issuer    protected API: $api"
step providers discover "$issuer" --provider-key local-as
printf '\n$ echo "cli-secret" | latchkey apps upsert --provider local-as --client-id latchkey-cli --client-secret-stdin --scopes openid,api:read\n'
echo "cli-secret" | "$latchkey" apps upsert --provider local-as --client-id latchkey-cli --client-secret-stdin --scopes openid,api:read

printf '\n$ latchkey connect local-as --no-browser\n'
"$latchkey" connect local-as --no-browser 2>"$work/connect.err" & connect=$!
until grep -q 'https://' "$work/connect.err" 2>/dev/null; do sleep 0.1; done
url="$(grep -o 'https://[^ ]*' "$work/connect.err" | head -1)"
echo "  (a scripted browser signs in as alice and consents at ${url%%\?*})"
node "$root/tests/fixtures/consent.mjs" --ca "$LATCHKEY_CA_FILE" "$url" >/dev/null
wait "$connect"

step status local-as
step request local-as "$api/me"
step connections list
step disconnect local-as --revoke
echo
echo "demo finished: the store and the test servers are gone."
