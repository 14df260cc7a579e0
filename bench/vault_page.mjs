// The vault page's figures: page weight (gzip) and time to interactive on loopback in headless
// Chromium (Performance API), served by the real latchkeyd (--web-root).
//
//   node bench/vault_page.mjs [--web DIR] [--latchkeyd BIN] [--runs N]
//   defaults: build/native/web, build/native/native/gateway/latchkeyd, 15 runs; CHROMIUM_BIN or /usr/bin/chromium
//
// Time to interactive = navigation start → the page's 'vault-list-ready' mark (script run,
// handlers bound, the API key's providers and connections fetched and the list rendered), with
// a fresh browser context (cold cache) per run. Targets: ≤ 250 KB gzipped, ≤ 500 ms.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

import { chromium } from 'playwright-core';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const opt = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const web = resolve(opt('--web', join(root, 'build', 'native', 'web')));
const dbin = resolve(opt('--latchkeyd', join(root, 'build', 'native', 'native', 'gateway', 'latchkeyd')));
const runs = Number(opt('--runs', '15'));

// --- page weight ---------------------------------------------------------------------------
function files(dir) {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}
const weights = files(web).map((f) => {
  const bytes = readFileSync(f);
  return { file: relative(web, f), raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
});
const sum = (list) => list.reduce((a, w) => ({ raw: a.raw + w.raw, gz: a.gz + w.gz }), { raw: 0, gz: 0 });
const initial = sum(weights.filter((w) => !w.file.startsWith('wasm/')));
const wasm = sum(weights.filter((w) => w.file.startsWith('wasm/')));
const all = sum(weights);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log('page weight (gzip -9):');
for (const w of weights) console.log(`  ${w.file.padEnd(24)} ${kb(w.raw).padStart(10)} raw ${kb(w.gz).padStart(10)} gz`);
console.log(`  start-up (html+js+css)   ${kb(initial.raw).padStart(10)} raw ${kb(initial.gz).padStart(10)} gz`);
console.log(`  @latchkey/wasm (lazy)    ${kb(wasm.raw).padStart(10)} raw ${kb(wasm.gz).padStart(10)} gz`);
console.log(`  total JS+CSS+wasm        ${kb(all.raw).padStart(10)} raw ${kb(all.gz).padStart(10)} gz   (target ≤ 250 KB: ${all.gz <= 250 * 1024 ? 'met' : 'MISSED'})`);

// --- latchkeyd with the page ---------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'latchkey-vault-bench-'));
const env = { PATH: process.env.PATH, HOME: dir, LATCHKEY_STORE: join(dir, 'store.db') };
const key = execFileSync(dbin, ['keys', 'create', '--principal', 'bench', '--role', 'admin'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const gw = spawn(dbin, ['serve', '--listen', '127.0.0.1:0', '--web-root', web], { env, stdio: ['ignore', 'pipe', 'ignore'] });
const url = await new Promise((ok, fail) => {
  let out = '';
  gw.stdout.on('data', (d) => { out += d; if (out.includes('\n')) ok(`http://${JSON.parse(out.split('\n')[0]).listening}`); });
  gw.on('close', (c) => fail(new Error(`latchkeyd exited ${c} (does it have --web-root?)`)));
});

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const samples = { dcl: [], interactive: [], list: [], load: [] };
try {
  for (let i = 0; i < runs + 1; i += 1) {
    const context = await browser.newContext();
    await context.addInitScript((k) => sessionStorage.setItem('latchkey.vault.apiKey', k), key);
    const page = await context.newPage();
    await page.goto(`${url}/`, { waitUntil: 'load' });
    await page.locator('#connections[data-ready]').waitFor({ state: 'attached' });
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
      return { dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, interactive: mark('vault-interactive'), list: mark('vault-list-ready') };
    });
    if (i > 0) for (const k of Object.keys(samples)) samples[k].push(t[k]);  // the first run warms the browser
    if (i === runs) {
      // Does the wasm module load under the page's Content-Security-Policy as latchkeyd serves it?
      const csp = (await page.request.get(`${url}/`)).headers()['content-security-policy'];
      const wasmResult = await page.evaluate(async () => {
        try { const m = await import('./wasm/raw.js'); await m.createRaw(); return 'loads'; } catch (e) { return `does not load: ${String(e.message ?? e).slice(0, 120)}`; }
      });
      console.log(`\nlatchkeyd's CSP for the page: ${csp}\n@latchkey/wasm in the page: ${wasmResult}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  gw.kill('SIGTERM');
}

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, min ${s[0].toFixed(1)} ms`;
};
console.log(`\ntime on loopback, headless Chromium, ${runs} cold contexts:`);
console.log(`  DOMContentLoaded            ${stat(samples.dcl)}`);
console.log(`  handlers bound              ${stat(samples.interactive)}`);
console.log(`  interactive (list rendered) ${stat(samples.list)}   (target ≤ 500 ms: ${[...samples.list].sort((a, b) => a - b)[Math.floor(samples.list.length / 2)] <= 500 ? 'met' : 'MISSED'})`);
console.log(`  load event                  ${stat(samples.load)}`);
