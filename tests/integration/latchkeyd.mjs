// latchkeyd for the integration tests: the binary (LATCHKEYD_BIN), started on a free port with
// a Cli's environment (so it shares the CLI's store), and raw HTTP requests to it.
import { spawn } from 'node:child_process';
import http from 'node:http';

export const DBIN = process.env.LATCHKEYD_BIN;
if (!DBIN) throw new Error('set LATCHKEYD_BIN to the latchkeyd binary (ctest does)');

/// `cli` is a harness Cli (its environment is used) or an environment object.
export function runD(cli, args) {
  return new Promise((resolve) => {
    const child = spawn(DBIN, args, { env: cli.env ?? cli });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/// Starts `latchkeyd serve` on a free port; resolves once it printed where it listens.
export function startGateway(cli, extra = []) {
  const child = spawn(DBIN, ['serve', '--listen', '127.0.0.1:0', ...extra], { env: cli.env ?? cli });
  const gw = { child, stderr: '', url: null };
  child.stderr.on('data', (d) => { gw.stderr += d; });
  gw.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        gw.url = `http://${JSON.parse(line).listening}`;
        resolve(gw);
      }
    });
    child.on('close', (code) => reject(new Error(`latchkeyd exited ${code}: ${gw.stderr}`)));
  });
}

/// One HTTP request (node:http, so oversized bodies and raw answers are in our hands).
/// `path` sends that request target verbatim (a URL string would have its dot segments resolved).
export function request(url, { method = 'GET', key, body, headers = {}, path } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (key) h.authorization = `Bearer ${key}`;
    if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
      h['content-type'] = 'application/json';
    }
    const req = http.request(url, { method, headers: h, agent: false, ...(path ? { path } : {}) }, (res) => {
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
