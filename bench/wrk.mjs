// What the node benchmarks share: running a program, wrk with its answer parsed, medians.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/// Runs a program to completion: its stdout, or an error with its stderr. `track(child)` (optional)
/// registers it for cleanup.
export function run(cmd, args, { env, track } = {}) {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    track?.(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? ok(out) : fail(new Error(`${cmd} exited ${code}: ${err.trim()}`))));
  });
}

/// wrk against `url`: { rps, p99_ms, requests, non2xx, socket_errors }. The method, API key and
/// headers go in a 0600 Lua script in `dir` (a key is never on a command line).
export async function wrk(dir, name, url, {
  method = 'GET', key, headers = {}, threads = 2, connections = 16, duration = 5, track,
} = {}) {
  const script = join(dir, `${name}.lua`);
  const lines = [`wrk.method = "${method}"`];
  if (key) lines.push(`wrk.headers["Authorization"] = "Bearer ${key}"`);
  for (const [k, v] of Object.entries(headers)) lines.push(`wrk.headers["${k}"] = "${v}"`);
  writeFileSync(script, `${lines.join('\n')}\n`, { mode: 0o600 });
  const out = await run('wrk', [`-t${threads}`, `-c${connections}`, `-d${duration}s`, '--latency', '-s', script, url],
    { track });
  const num = (re) => Number(re.exec(out)?.[1] ?? 0);
  const ms = (m) => Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 6e4 }[m[2]];
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p99_ms: p99 ? ms(p99) : NaN,
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socket_errors: errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/// The median; of an even count, the mean of the middle two.
export function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/// A process's resident memory in kB (VmRSS).
export function rssKb(pid) {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
