// What the install and package tests share: the build they test, the tree and the version it
// declares (an expected value from outside the code under test), and a quiet command runner.
// LATCHKEY_BUILD_DIR: the native build directory (ctest sets it).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUILD = process.env.LATCHKEY_BUILD_DIR;
if (!BUILD) throw new Error('set LATCHKEY_BUILD_DIR to the native build directory (ctest does)');
export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
/// The project's version as its top-level CMakeLists.txt declares it.
export const VERSION = /project\(latchkey VERSION (\d+\.\d+\.\d+)/.exec(readFileSync(join(ROOT, 'CMakeLists.txt'), 'utf8'))[1];

/// Runs a command, its output as text; throws (with stderr) when it fails.
export function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}
