// What `npm pack` would publish from the built package directory (LATCHKEY_WASM_PKG): the
// license and README, every file package.json's "exports" and "main"/"types" point at, and
// nothing from the source tree's test or build helpers.
// Run: LATCHKEY_WASM_PKG=build/wasm/wasm/pkg node --test wasm/tests/pack.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const PKG = process.env.LATCHKEY_WASM_PKG;
if (!PKG) throw new Error('set LATCHKEY_WASM_PKG to the built package directory (ctest does)');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const manifest = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
  cwd: PKG, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
}));
const files = new Map(packed.files.map((f) => [f.path, f]));

test('the package is Apache-2.0 and ships the license text and a README', () => {
  assert.equal(manifest.license, 'Apache-2.0');
  assert.ok(files.has('LICENSE'), 'LICENSE is packed');
  assert.equal(files.get('LICENSE').size, readFileSync(join(ROOT, 'LICENSE')).length, 'the repository\'s LICENSE');
  assert.ok(files.has('README.md'), 'README.md is packed');
  assert.match(readFileSync(join(PKG, 'README.md'), 'utf8'), /createBroker/);
});

test('every entry point package.json names is packed', () => {
  const targets = [manifest.main, manifest.types];
  const collect = (v) => {
    if (typeof v === 'string') targets.push(v);
    else for (const x of Object.values(v)) collect(x);
  };
  collect(manifest.exports);
  for (const t of targets) {
    const path = t.replace(/^\.\//, '');
    if (path.includes('*')) {
      // "./adapters/*.js": every adapter in the package directory.
      const [dir, ext] = path.split('*');
      const present = readdirSync(join(PKG, dir)).filter((f) => f.endsWith(ext)).map((f) => dir + f);
      assert.ok(present.length > 0, `${t} matches files`);
      for (const p of present) assert.ok(files.has(p), `${p} (${t}) is packed`);
    } else {
      assert.ok(files.has(path), `${path} is packed`);
    }
  }
  for (const f of ['dist/latchkey.mjs', 'dist/latchkey.wasm', 'raw.js', 'abi.js', 'errors.js']) {
    assert.ok(files.has(f), `${f} is packed`);
  }
});

test('nothing else is packed: no type checks, tests or build leftovers', () => {
  for (const p of files.keys()) {
    assert.match(p, /^(LICENSE|README\.md|package\.json|[a-z_]+\.(js|d\.ts)|adapters\/[a-z_]+\.(js|d\.ts)|dist\/latchkey\.(mjs|wasm))$/, p);
  }
});
