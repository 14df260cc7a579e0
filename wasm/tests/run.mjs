// Runs the JS package's tests under node:test with the test PKI in place:
//   node wasm/tests/run.mjs wasm/tests/broker.test.mjs wasm/tests/edge.test.mjs ...
// Makes the test CA (tests/fixtures/test_ca.mjs) in a temp dir, then starts
// `node --test --test-concurrency=1 FILES` with NODE_EXTRA_CA_CERTS=<ca.pem> — Node reads it
// only at process start, and it is how the global fetch() the package uses comes to trust the
// fixtures' TLS — and LATCHKEY_TEST_PKI=<dir> for the fixtures. Exits with the tests' status.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { makeTestPki } from '../../tests/fixtures/test_ca.mjs';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node wasm/tests/run.mjs TEST_FILE...\n');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'latchkey-wasm-pki-'));
const pki = await makeTestPki(dir);
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_EXTRA_CA_CERTS: pki.ca.cert, LATCHKEY_TEST_PKI: dir },
});
const forward = (signal) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('close', (code, signal) => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
