// @latchkey/wasm bundled for the browser as a web developer would, and the bundle run in
// headless Chromium (playwright-core):
//   LATCHKEY_WASM_PKG=build/wasm/wasm/pkg node --test wasm/tests/bundlers.test.mjs
//
// The apps (wasm/tests/bundlers/) import `@latchkey/wasm` by name. A temporary project holds them
// with the built package copied to node_modules/@latchkey/wasm (its package.json "files"), so
// each bundler resolves it through its "exports" as in a user's project. Each output directory
// is served over http://127.0.0.1 (a secure context: WebCrypto works) and the page reports what
// createBroker + providers.register + apps.upsert + authorize gave (nothing leaves the machine:
// the consent URL is built, not fetched).
//
// What each bundler does with latchkey.wasm, which raw.js finds at
// `new URL('./dist/latchkey.wasm', import.meta.url)`:
//  - Vite (Rolldown) emits it as an asset and rewrites the URL: the plain app works;
//  - esbuild leaves the URL alone and copies nothing: the plain app gets a LatchkeyError naming
//    the URL it tried and the options to pass; the file at that URL fixes it, and so does
//    importing '@latchkey/wasm/latchkey.wasm' with the `file` loader and passing its bytes.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const APPS = fileURLToPath(new URL('./bundlers/', import.meta.url));
const pkgDir = process.env.LATCHKEY_WASM_PKG ? resolve(process.env.LATCHKEY_WASM_PKG) : null;

const optional = async (name) => { try { return await import(name); } catch { return null; } };
const [playwright, esbuild, vite] = await Promise.all([optional('playwright-core'), optional('esbuild'), optional('vite')]);
// Skipped only when run by hand without a package; under ctest (which sets it) a missing part fails.
const skip = !pkgDir ? 'set LATCHKEY_WASM_PKG to the built Emscripten package' : false;
if (pkgDir && !existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: run scripts/bootstrap.sh (apt-get install chromium)`);
if (pkgDir && (!playwright || !esbuild || !vite)) throw new Error('playwright-core, esbuild and vite are dev dependencies: run npm ci');

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

/// A static server for one output directory; `requests` lists the paths asked for.
async function serve(dir) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    requests.push(path);
    const file = normalize(join(dir, decodeURIComponent(path === '/' ? '/index.html' : path)));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    return res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${server.address().port}`, requests, close: () => server.close() };
}

/// Every file under `dir`, relative, with its size and gzip -9 size.
function sizes(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const bytes = readFileSync(p);
        out.push({ file: relative(dir, p), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
      }
    }
  };
  walk(dir);
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
function describeSizes(t, name, dir) {
  const files = sizes(dir).filter((f) => f.file !== 'index.html');
  for (const f of files) t.diagnostic(`${name}: ${f.file} ${kb(f.raw)} (gzip ${kb(f.gzip)})`);
  const sum = (ext) => files.filter((f) => f.file.endsWith(ext)).reduce((s, f) => ({ raw: s.raw + f.raw, gzip: s.gzip + f.gzip }), { raw: 0, gzip: 0 });
  const js = sum('.js');
  const wasm = sum('.wasm');
  t.diagnostic(`${name}: JS ${kb(js.raw)} (gzip ${kb(js.gzip)}), wasm ${kb(wasm.raw)} (gzip ${kb(wasm.gzip)})`);
  return files;
}

let project;
let browser;
const servers = [];
before(async () => {
  if (skip) return;
  // The project: the apps and the package as npm would install it (only its "files").
  project = mkdtempSync(join(tmpdir(), 'latchkey-bundlers-'));
  cpSync(APPS, project, { recursive: true });
  const installed = join(project, 'node_modules', '@latchkey', 'wasm');
  mkdirSync(installed, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  for (const f of ['package.json', ...manifest.files]) {
    if (existsSync(join(pkgDir, f))) cpSync(join(pkgDir, f), join(installed, f), { recursive: true });
  }
  browser = await playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});
after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

/// Loads the served page and returns { outcome, errors } once the app has reported.
async function run(site) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${m.text()} ${m.location().url}`); });
  try {
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => document.title === 'done', null, { timeout: 20000 });
    return { outcome: await page.evaluate(() => window.outcome), errors };
  } finally {
    await page.close();
  }
}

/// The app's result is a consent URL for the provider it registered, with PKCE.
function assertStarted(outcome, origin) {
  assert.equal(outcome.ok, true, JSON.stringify(outcome));
  const url = new URL(outcome.url);
  assert.equal(`${url.origin}${url.pathname}`, 'https://auth.example.com/authorize');
  assert.equal(url.searchParams.get('client_id'), 'bundled-app');
  assert.equal(url.searchParams.get('redirect_uri'), `${origin}/callback`);
  assert.match(url.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.match(url.searchParams.get('state'), /^[A-Za-z0-9_-]{20,}$/);
}

/// esbuild as a browser build: one ESM file, minified, plus whatever the loaders emit.
async function esbuildApp(entry, outName, extra = {}) {
  const outdir = join(project, outName);
  await esbuild.build({
    entryPoints: [join(project, entry)], bundle: true, format: 'esm', platform: 'browser', minify: true,
    outdir, entryNames: 'app', logLevel: 'silent', absWorkingDir: project, ...extra,
  });
  writeFileSync(join(outdir, 'index.html'), readFileSync(join(project, 'index.html')));
  const site = await serve(outdir);
  servers.push(site);
  return { outdir, site };
}

test('esbuild, as is: no latchkey.wasm beside the bundle → a LatchkeyError naming wasmModule/wasmBinary; the file at the URL it names fixes it', { skip }, async (t) => {
  const { outdir, site } = await esbuildApp('app.js', 'out-esbuild');
  // esbuild copies nothing for new URL(..., import.meta.url).
  assert.deepEqual(readdirSync(outdir).filter((f) => f.endsWith('.wasm')), []);
  describeSizes(t, 'esbuild', outdir);

  const first = await run(site);
  assert.equal(first.outcome.ok, false, JSON.stringify(first.outcome));
  assert.equal(first.outcome.name, 'LatchkeyError');
  assert.equal(first.outcome.code, 'invalid_request', JSON.stringify(first.outcome));
  const expectedUrl = `${site.origin}/dist/latchkey.wasm`;
  assert.ok(first.outcome.message.includes(expectedUrl), first.outcome.message);
  assert.match(first.outcome.message, /wasmModule/);
  assert.match(first.outcome.message, /wasmBinary/);
  assert.ok(site.requests.includes('/dist/latchkey.wasm'));
  // The browser's own line for the 404, nothing else.
  assert.ok(first.errors.every((e) => /404/.test(e)), first.errors.join('\n'));

  // Where the message says the file belongs: relative to the bundle, dist/latchkey.wasm.
  mkdirSync(join(outdir, 'dist'));
  cpSync(join(pkgDir, 'dist', 'latchkey.wasm'), join(outdir, 'dist', 'latchkey.wasm'));
  const second = await run(site);
  assertStarted(second.outcome, site.origin);
  assert.deepEqual(second.errors, []);
});

test('esbuild, the documented way: import \'@latchkey/wasm/latchkey.wasm\' with the file loader, createBroker({ wasmBinary })', { skip }, async (t) => {
  const { outdir, site } = await esbuildApp('app_wasm_url.js', 'out-esbuild-file', { loader: { '.wasm': 'file' } });
  const emitted = readdirSync(outdir).filter((f) => f.endsWith('.wasm'));
  assert.equal(emitted.length, 1, emitted.join());
  assert.deepEqual(readFileSync(join(outdir, emitted[0])), readFileSync(join(pkgDir, 'dist', 'latchkey.wasm')));
  describeSizes(t, 'esbuild + file loader', outdir);

  const { outcome, errors } = await run(site);
  assertStarted(outcome, site.origin);
  assert.deepEqual(errors, []);
  assert.ok(site.requests.includes(`/${emitted[0]}`));
  assert.ok(!site.requests.includes('/dist/latchkey.wasm'));
});

test('Vite: `vite build` emits latchkey.wasm as an asset and the plain app works', { skip }, async (t) => {
  const outdir = join(project, 'out-vite');
  await vite.build({
    root: project, configFile: false, logLevel: 'silent', mode: 'production',
    build: { outDir: outdir, emptyOutDir: true },
  });
  const files = describeSizes(t, 'Vite', outdir);
  const wasm = files.filter((f) => f.file.endsWith('.wasm'));
  assert.ok(wasm.length >= 1, files.map((f) => f.file).join());
  for (const f of wasm) assert.deepEqual(readFileSync(join(outdir, f.file)), readFileSync(join(pkgDir, 'dist', 'latchkey.wasm')));

  const site = await serve(outdir);
  servers.push(site);
  const { outcome, errors } = await run(site);
  assertStarted(outcome, site.origin);
  assert.deepEqual(errors, []);
  assert.ok(site.requests.some((p) => wasm.some((f) => p === `/${f.file}`)), site.requests.join());
});
