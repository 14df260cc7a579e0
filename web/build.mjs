// Builds the vault page: node web/build.mjs [--out DIR] [--wasm-pkg DIR] [--no-check]
//   DIR (default build/web): index.html, app.js, app.css, and wasm/ (the @latchkey/wasm module's
//   raw layer, copied from build/wasm/wasm/pkg when that was built; the page works without it).
// Type-checks with tsc first unless --no-check.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : fallback;
};
const out = opt('--out', join(root, 'build', 'web'));
const wasmPkg = opt('--wasm-pkg', process.env.LATCHKEY_WASM_PKG ? resolve(process.env.LATCHKEY_WASM_PKG) : join(root, 'build', 'wasm', 'wasm', 'pkg'));

if (!args.includes('--no-check')) {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
}

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, 'src', 'app.ts')],
  bundle: true,
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: [join(here, 'app.css')],
  bundle: true,
  minify: true,
  outfile: join(out, 'app.css'),
  logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));

// The wasm module is optional: only its raw layer is needed (validation, PKCE, consent preview).
const wasmOut = join(out, 'wasm');
rmSync(wasmOut, { recursive: true, force: true });
const files = ['raw.js', 'abi.js', 'errors.js', 'dist/latchkey.mjs', 'dist/latchkey.wasm'];
if (files.every((f) => existsSync(join(wasmPkg, f)))) {
  mkdirSync(join(wasmOut, 'dist'), { recursive: true });
  for (const f of files) copyFileSync(join(wasmPkg, f), join(wasmOut, f));
  console.log(`vault page: ${out} (with @latchkey/wasm from ${wasmPkg})`);
} else {
  console.log(`vault page: ${out} (without @latchkey/wasm: ${wasmPkg} is not built; the page falls back to its own checks)`);
}
