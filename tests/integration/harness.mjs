// Runs the real `latchkey` binary against the fixtures: a fresh store per test suite, the test
// CA trusted through LATCHKEY_CA_FILE, and a "browser" (consent.mjs) for connect.
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { completeConsent } from '../fixtures/consent.mjs';
import { providerFor } from '../fixtures/providers.mjs';

export { providerFor };

export const BIN = process.env.LATCHKEY_BIN;
if (!BIN) throw new Error('set LATCHKEY_BIN to the latchkey binary (ctest does)');

export function tempDir(prefix = 'latchkey-it-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export class Cli {
  /// `bin`: another latchkey binary than LATCHKEY_BIN (a benchmark comparing builds).
  constructor({ dir, caFile, env = {}, bin = BIN }) {
    this.dir = dir;
    this.bin = bin;
    this.env = {
      PATH: process.env.PATH,
      HOME: dir,
      XDG_DATA_HOME: join(dir, 'data'),
      LATCHKEY_STORE: join(dir, 'store.db'),
      LATCHKEY_CA_FILE: caFile,
      ...env,
    };
  }

  /// Runs latchkey to completion: { status, stdout, stderr, json(), lines() } (json(): stdout as
  /// one JSON document; lines(): stdout as newline-delimited JSON, as `connect --no-browser --json`
  /// prints it). Asynchronous on purpose:
  /// the fixture servers live in this process, so blocking it (spawnSync) would deadlock them.
  async run(args, { input, env } = {}) {
    const run = this.start(args, { env, input });
    return run.done;
  }

  /// Starts latchkey in the background: { child, done: Promise<{status, stdout, stderr}>, link: Promise<url> }
  /// (`link`: the first indented http(s) URL on stderr, the sign-in link; null if none came).
  start(args, { env, input } = {}) {
    const child = spawn(this.bin, args, { env: { ...this.env, ...env } });
    child.stdin.on('error', () => {});  // the child may exit without reading its input
    child.stdin.end(input ?? '');
    let stdout = '';
    let stderr = '';
    let resolveLink;
    const link = new Promise((resolve) => { resolveLink = resolve; });
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = stderr.match(/^\s+(https?:\/\/\S+)$/m);
      if (m) resolveLink(m[1]);
    });
    const done = new Promise((resolve) => child.on('close', (status) => {
      resolveLink(null);
      resolve({
        status, stdout, stderr,
        json() { return JSON.parse(stdout); },
        lines() { return stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)); },
      });
    }));
    return { child, done, link };
  }

  /// `latchkey [--principal P] connect` with the consent completed by the test "browser". json():
  /// the last line of its output (the connection, or the error): the first is the link's
  /// {authorization_url, redirect_uri}, which `consentLink` holds.
  async connect(provider, args = [], consent = {}, { principal } = {}) {
    const as = principal ? ['--principal', principal] : [];
    const run = this.start([...as, 'connect', provider, '--no-browser', '--json', '--timeout', '60', ...args]);
    const url = await run.link;
    if (!url) return run.done;
    const browser = await completeConsent(url, { caFile: this.env.LATCHKEY_CA_FILE, ...consent });
    const result = await run.done;
    const lines = result.lines();
    return { ...result, browser, url, consentLink: lines[0], json: () => lines.at(-1) };
  }

  /// Registers providerFor(as, api, options) and the fixture's `latchkey-cli` app for it.
  async addTestProvider(as, api, options = {}) {
    const file = this.writeFile('provider.json', JSON.stringify(providerFor(as, api, options)));
    const provider = await this.run(['providers', 'register', '--file', file]);
    if (provider.status !== 0) throw new Error(`providers register: ${provider.stderr}`);
    const app = await this.run(['apps', 'upsert', '--provider', options.key ?? 'testas', '--client-id', 'latchkey-cli',
      '--client-secret-stdin'], { input: 'cli-secret\n' });
    if (app.status !== 0) throw new Error(`apps upsert: ${app.stderr}`);
  }

  writeFile(name, text) {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// Sets one member of a stored record's JSON, as time passing would (the core reads the clock
/// only through its host): sqlite3, as an operator inspects the store. Throws unless exactly
/// that record changed. `storePath` may be in use by a running latchkeyd (WAL).
export function editRecord(storePath, key, member, value) {
  const changed = execFileSync('sqlite3', ['-cmd', '.timeout 5000', storePath,
    `UPDATE records SET value = json_set(value, '$.${member}', json('${JSON.stringify(value)}')) WHERE key = '${key}'; SELECT changes();`]);
  if (changed.toString().trim() !== '1') throw new Error(`no record ${key} in ${storePath}`);
}

/// Everything in a store, as text (to look for a secret in clear).
export function dumpStore(storePath) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', storePath, '.dump'], { encoding: 'utf8' });
}

// --- latchkeyd -------------------------------------------------------------------------------

function gatewayBin() {
  const bin = process.env.LATCHKEYD_BIN;
  if (!bin) throw new Error('set LATCHKEYD_BIN to the latchkeyd binary (ctest does)');
  return bin;
}

/// `cli` is a Cli (its environment is used) or an environment object.
export function runD(cli, args) {
  return new Promise((resolve) => {
    const child = spawn(gatewayBin(), args, { env: cli.env ?? cli });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/// Starts latchkeyd with exactly `args` and `env`: { child, stderr, ready: Promise<{url, child, exited}> }.
/// `readStderr: false` leaves its stderr a pipe nobody reads (it fills, as an unwatched log does).
export function startWith(args, env, { readStderr = true } = {}) {
  const child = spawn(gatewayBin(), args, { env });
  const d = { child, stderr: '', url: null };
  if (readStderr) child.stderr.on('data', (x) => { d.stderr += x; });
  d.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  d.ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (x) => {
      out += x;
      if (out.includes('\n')) {
        d.url = `http://${JSON.parse(out.split('\n')[0]).listening}`;
        resolve(d);
      }
    });
    child.on('close', (code) => reject(new Error(`latchkeyd exited ${code}: ${d.stderr}`)));
  });
  return d;
}

/// `latchkeyd keys create` for each [principal, role] on `cli`'s store: { principal: key }.
export async function createKeys(cli, principals) {
  const keys = {};
  for (const [principal, role] of principals) {
    const r = await runD(cli, ['keys', 'create', '--principal', principal, '--role', role]);
    if (r.status !== 0) throw new Error(`keys create ${principal}: ${r.stderr}`);
    keys[principal] = r.stdout.trim();
  }
  return keys;
}

/// `latchkeyd serve` on a free loopback port with a Cli's (or a plain) environment; resolves
/// once it printed where it listens.
export function startGateway(cli, extra = []) {
  return startWith(['serve', '--listen', '127.0.0.1:0', ...extra], cli.env ?? cli).ready;
}

/// One HTTP request (node:http, so oversized bodies and raw answers are in our hands).
/// `path` sends that request target verbatim (a URL string would have its dot segments resolved).
/// `agent`: an http.Agent to reuse its connections (keepAlive), or false for a fresh one.
/// `localAddress`: the source address (another loopback address stands for another client).
export function request(url, {
  method = 'GET', key, body, headers = {}, path, agent = false, localAddress,
} = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (key) h.authorization = `Bearer ${key}`;
    if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
      h['content-type'] = 'application/json';
    }
    const req = http.request(url, { method, headers: h, agent, localAddress, ...(path ? { path } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: res.headers,
        text,
        json() { return JSON.parse(text); },
      }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/// Sends `text` as it is on a fresh connection to `url`'s port and resolves with everything
/// answered until the server closes it (or `timeoutMs` passes: then `timedOut` is true), read
/// as latin1 (one character a byte): { status (0 if none), answer, head, body, timedOut }.
export function raw(url, text, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(Number(new URL(url).port), '127.0.0.1');
    let bytes = Buffer.alloc(0);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; sock.destroy(); }, timeoutMs);
    sock.on('data', (d) => { bytes = Buffer.concat([bytes, d]); });
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      const answer = bytes.toString('latin1');
      const split = answer.indexOf('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0),
        answer,
        head: split < 0 ? answer : answer.slice(0, split),
        body: split < 0 ? '' : answer.slice(split + 4),
        timedOut,
      });
    });
    sock.write(text);
  });
}

/// A plain-HTTP API on loopback that checks every bearer token at the AS `as` (a stale one gets a
/// 401, which makes latchkey refresh) and remembers each token it was sent, in order, in `seen`.
export async function startApi(as) {
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (m) seen.push(m[1]);
    const info = m ? await as.introspect(m[1]) : { active: false };
    res.writeHead(info.active ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(info.active ? { sub: info.sub } : { error: 'invalid_token' }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
