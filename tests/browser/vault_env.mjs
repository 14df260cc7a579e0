// The vault page's test environment: the fixture authorization server and API (TLS, test CA),
// a store with API keys, latchkeyd serving the page, and headless Chromium (playwright-core,
// Debian's /usr/bin/chromium).
//
// latchkeyd serves the page itself (`serve --web-root`), so the page is same-origin with
// /oauth/callback (whose postMessage targets that origin), and that origin is a valid return_to
// for the blocked-popup redirect without any --return-to-origin.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, request, startGateway, tempDir,
} from '../integration/harness.mjs';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const WEB_DIR = resolve(process.env.LATCHKEY_WEB_DIR ?? join(ROOT, 'build', 'native', 'web'));
export const ARTIFACTS = resolve(process.env.LATCHKEY_TEST_ARTIFACTS ?? join(ROOT, 'build', 'native', 'test-artifacts'));
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/// A JSON request to the gateway as the test's own client (the integration harness's).
export { request };

export async function startVaultEnv() {
  if (!existsSync(join(WEB_DIR, 'index.html'))) {
    throw new Error(`${WEB_DIR}/index.html is missing: build the page (cmake --build --preset native --target latchkey_web, or node web/build.mjs --out ${WEB_DIR})`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const pki = await makeTestPki(tempDir('latchkey-pki-'));
  const as = await startAuthServer({ pki });
  const api = await startApiServer({ pki, authServer: as });
  const cli = new Cli({ dir: tempDir('latchkey-vault-'), caFile: pki.ca.cert });
  const keys = await createKeys(cli, [['admin', 'admin'], ['bob', 'user']]);
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
