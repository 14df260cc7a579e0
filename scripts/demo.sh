#!/usr/bin/env bash
# The main job, end to end on loopback: a real OAuth authorization server (oidc-provider behind
# TLS with a throwaway test CA) and a protected API run on 127.0.0.1; latchkey discovers the
# server, stores app credentials, connects an account (the consent page is filled in by a
# scripted browser), then shows status, makes an API call as that account and disconnects with
# revocation. Then latchkeyd serves the vault page with that provider ready to connect (until
# Ctrl-C when run from a terminal). Everything lives in a temporary SQLite store that is deleted
# afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh" >&2
(cd "$root" && { [ -f build/native/build.ninja ] || cmake --preset native >/dev/null; } \
  && cmake --build --preset native --target latchkey latchkeyd latchkey_web >/dev/null) >&2
latchkey="$root/build/native/native/cli/latchkey"
latchkeyd="$root/build/native/native/gateway/latchkeyd"

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
step providers discover "$issuer" --provider-key local-as --allow-private-network  # the demo AS is on 127.0.0.1
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

# The gateway with the vault page, sharing the store: local-as and its app are already there.
printf '\n$ latchkeyd keys create --principal you --role admin\n'
key="$("$latchkeyd" keys create --principal you --role admin 2>/dev/null)"
echo "$key"
printf '\n$ latchkeyd serve --listen 127.0.0.1:0 --web-root build/native/web\n'
"$latchkeyd" serve --listen 127.0.0.1:0 --web-root "$root/build/native/web" >"$work/gw.json" 2>"$work/gw.log" &
pids+=($!)
until [ -s "$work/gw.json" ]; do sleep 0.1; done
gw="http://$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).listening)' "$work/gw.json")"
node - "$gw" "$key" <<'JS'
const [gw, key] = process.argv.slice(2);
const page = await (await fetch(`${gw}/`)).text();
const me = await (await fetch(`${gw}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })).json();
const provider = await (await fetch(`${gw}/v1/providers/local-as/app`, { headers: { authorization: `Bearer ${key}` } })).json();
if (!page.includes('<title>') || me.principal !== 'you' || provider.client_id !== 'latchkey-cli') process.exit(1);
console.log(`  the vault page answers, the key signs in as ${me.principal} (${me.role}), local-as has its app`);
JS
echo
echo "vault page: $gw/   (sign in with the key above; Authenticate local-as as alice / password —"
echo "            the sign-in page uses the throwaway test CA, so the browser warns once)"
if [ -t 0 ]; then
  echo "Press Ctrl-C to stop; the store and the test servers are deleted then."
  wait "${pids[-1]}"
else
  echo "demo finished: the store and the test servers are gone."
fi
