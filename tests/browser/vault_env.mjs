// The vault page's test environment: the fixture authorization server and API (TLS, test CA),
// a store with API keys, latchkeyd serving the page, and headless Chromium (playwright-core,
// Debian's /usr/bin/chromium).
//
// latchkeyd serves the page itself when it has `serve --web-root` (then also
// `--return-to-origin` for its own origin, for the blocked-popup redirect). An older latchkeyd
// without it: Playwright answers the page's static files on latchkeyd's origin (context.route)
// and lets every other request through to latchkeyd, so the page is still same-origin with
// /oauth/callback (whose postMessage targets that origin).
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, runD, startGateway, tempDir,
} from '../integration/harness.mjs';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const WEB_DIR = resolve(process.env.LATCHKEY_WEB_DIR ?? join(ROOT, 'build', 'native', 'web'));
export const ARTIFACTS = resolve(process.env.LATCHKEY_TEST_ARTIFACTS ?? join(ROOT, 'build', 'native', 'test-artifacts'));
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/// A JSON request to the gateway as the test's own client: { status, json() }.
export async function request(url, { method = 'GET', key, body } = {}) {
  const headers = key ? { authorization: `Bearer ${key}` } : {};
  const r = await fetch(url, { method, headers, body });
  const text = await r.text();
  return { status: r.status, text, json: () => JSON.parse(text) };
}

export async function startVaultEnv() {
  if (!existsSync(join(WEB_DIR, 'index.html'))) {
    throw new Error(`${WEB_DIR}/index.html is missing: build the page (cmake --build --preset native --target latchkey_web, or node web/build.mjs --out ${WEB_DIR})`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const pki = await makeTestPki(tempDir('latchkey-pki-'));
  const as = await startAuthServer({ pki });
  const api = await startApiServer({ pki, authServer: as });
  const cli = new Cli({ dir: tempDir('latchkey-vault-'), caFile: pki.ca.cert });
  const keys = {};
  for (const [name, role] of [['admin', 'admin'], ['bob', 'user']]) {
    const r = await runD(cli, ['keys', 'create', '--principal', name, '--role', role]);
    if (r.status !== 0) throw new Error(r.stderr);
    keys[name] = r.stdout.trim();
  }
  // The page's own origin is a valid return_to without configuration.
  const gw = await startGateway(cli, ['--web-root', WEB_DIR]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const newContext = async () => {
    // The fixture AS's certificate is signed by the throwaway test CA.
    return browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 800 } });
  };
  return {
    pki, as, api, cli, keys, gw, browser, newContext,
    async close() {
      await browser.close().catch(() => {});
      if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
      await api.close();
      await as.close();
    },
  };
}
