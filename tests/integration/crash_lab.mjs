// SIGKILL during refreshes, with refresh-token rotation: the experiment behind
// tests/integration/crash.test.mjs (bounded) and bench/crash_bench.mjs (longer).
//
// The real AS rotates refresh tokens and hands out short-lived access tokens; a few principals
// each have one connection made by the CLI on one SQLite store. Then:
//  1. `latchkey token` processes (forced or due refreshes), one per connection at a time, all
//     connections at once, SIGKILLed at seeded random delays spread over the refresh round trip;
//  2. latchkeyd on the same store, proxying a storm to an upstream that refuses the tokens it
//     has seen (so each storm forces one refresh per connection), SIGKILLed at random moments
//     and restarted;
//  3. one last storm, its latchkeyd killed the moment the AS answers a refresh, left as it is for
//     one real lease; then every connection must work again or say it needs authorizing again.
//
// After every kill the store is read as an outsider would (sqlite3, the sealed values opened with
// the store's key file) and compared with what the AS issued:
//  - the store holds the refresh token the AS issued last for that connection: healthy;
//  - it holds an earlier one: the AS rotated to a token that never reached the store — the
//    connection is lost, and `latchkey token` must say it needs authorizing again (it is then
//    connected again, and counted); anything else (a token the AS never issued, or a grant the
//    AS revoked while the store is current) is a violation.
// Every token a caller was given or the upstream received must be one the AS issued for that
// connection; every loss must be explained by a refresh answered to a process that was killed.
//
// Simulated time: a killed refresher holds its lease (EngineConfig::lease_ms, 15 s) until it runs
// out. In phases 1 and 2 the lab ends such a lease by setting its lease_until_ms to now, as time
// passing would (the core reads the clock only through its host). Phase 3 waits the real lease.
import { execFile } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';

import { startAuthServer } from '../fixtures/auth_server.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, request, sleep, startGateway, tempDir,
} from './harness.mjs';

const execFileP = promisify(execFile);

/// EngineConfig::lease_ms's default (core/include/latchkey/engine.hpp), which the CLI and latchkeyd use.
export const LEASE_MS = 15000;

/// The sentence `latchkey token` must print (stderr) for a connection that needs authorizing again.
export const REAUTH_TEXT = /needs to be authorized again .*run `latchkey connect testas/;

/// mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed.
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/// Opens a secret sealed by latchkey (core/src/base/seal.cpp), written apart from it so the store is
/// read as an outsider would: "lk1.<version>.<hex(nonce 12 | ciphertext | tag 16)>", AES-256-GCM
/// with the AAD "latchkey-seal-v1|<version>|<record key>#<field>".
export function openSealed(masterKey, recordKey, field, sealed) {
  const m = /^lk1\.(\d+)\.([0-9a-f]+)$/.exec(sealed ?? '');
  if (!m) throw new Error(`${recordKey}#${field} is not a sealed value`);
  const body = Buffer.from(m[2], 'hex');
  const d = createDecipheriv('aes-256-gcm', masterKey, body.subarray(0, 12));
  d.setAAD(Buffer.from(`latchkey-seal-v1|${m[1]}|${recordKey}#${field}`));
  d.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]).toString('utf8');
}

async function sqlite(store, query, json = true) {
  const args = ['-cmd', '.timeout 5000', ...(json ? ['-json'] : []), store, query];
  const { stdout } = await execFileP('sqlite3', args);
  if (!json) return stdout.trim();
  return stdout.trim() ? JSON.parse(stdout) : [];
}

/// `sqlite3 STORE 'PRAGMA integrity_check'`'s answer ('ok' when the file is sound).
export function integrityCheck(store) { return sqlite(store, 'PRAGMA integrity_check', false); }

const median = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const round1 = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

/// A plain-HTTP upstream on loopback that records every bearer token it is sent (with the
/// principal the caller named in ?p=) and answers 401 to tokens in `stale`, as a resource
/// server does to a token it no longer accepts: latchkeyd then refreshes and sends again.
async function startUpstream() {
  const seen = [];
  const stale = new Set();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.searchParams.get('p');
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(auth)?.[1] ?? null;
    seen.push({ p, token, auth });
    req.resume();
    if (!token || stale.has(token)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end('{"error":"invalid_token"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ p }));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    stale,
    close() { server.closeAllConnections?.(); return new Promise((ok) => server.close(() => ok())); },
  };
}

export class CrashLab {
  /// { seed, principals, ttl (AS access token lifetime, s), log(text) }
  static async start({ seed, principals = ['p0', 'p1', 'p2', 'p3'], ttl = 2, log = () => {} } = {}) {
    const lab = new CrashLab(seed, principals, log);
    const pki = await makeTestPki(tempDir('latchkey-pki-'));
    lab.as = await startAuthServer({ pki, accessTokenTtl: ttl, refreshTokenRotation: true });
    lab.as.onTokenRequest((e) => lab.onToken(e));
    lab.upstream = await startUpstream();
    lab.cli = new Cli({ dir: tempDir('latchkey-crash-'), caFile: pki.ca.cert });
    lab.store = lab.cli.env.LATCHKEY_STORE;
    // buffer 1 s with `ttl` 2 s: a token is due one second after it was issued (under either
    // freshness rule: the buffer, or half the lifetime).
    await lab.cli.addTestProvider(lab.as, lab.upstream, { buffer: 1 });
    lab.masterKey = Buffer.from(readFileSync(`${lab.store}.key`, 'utf8').trim(), 'base64');
    for (const p of principals) await lab.connect(p);
    lab.keys = await createKeys(lab.cli, principals.map((p) => [p, 'user']));
    return lab;
  }

  constructor(seed, principals, log) {
    this.seed = seed;
    this.rand = prng(seed);
    this.principals = principals;
    this.log = log;
    this.keys = {};
    this.issued = new Map(principals.map((p) => [p, new Set()])); // access tokens the AS issued, by account
    this.chain = new Map(principals.map((p) => [p, []])); // refresh tokens issued, in order: {rt, startedAt, answeredAt}
    this.refused = new Map(principals.map((p) => [p, []])); // refused refresh requests: {startedAt, answeredAt}
    this.refreshes = []; // every refresh request at the AS: {p, status, startedAt, answeredAt}
    this.actors = new Map(principals.map((p) => [p, []])); // who could send p's requests, in order: {kind, from, killAt}
    this.lossLog = []; // {p, phase, rotation} for every loss found
    this.violations = [];
    this.counts = {
      kills: { cli: 0, gateway: 0, final: 0 },
      natural: 0, // `latchkey token` runs that ended before their kill came
      leasesEnded: 0, // dangling leases ended by the lab (simulated time)
      lost: { cli: 0, gateway: 0, final: 0 },
      reconnects: 0,
      printed: 0, // tokens printed by `latchkey token` (exit 0, or killed after printing)
      gatewayTokens: 0, // tokens answered by latchkeyd's token route
      injected: 0, // requests the upstream received
    };
    this.calibration = {};
    this.phaseMs = {};
  }

  /// A bench's time bound: the phases stop killing past it (the report says how many kills ran).
  pastDeadline() { return this.deadline !== undefined && Date.now() > this.deadline; }

  violation(text) {
    this.violations.push(text);
    this.log(`VIOLATION ${text}`);
  }

  onToken(e) {
    const p = e.accountId;
    if (e.status === 200 && p && this.issued.has(p)) {
      this.issued.get(p).add(e.body.access_token);
      if (e.body.refresh_token) {
        this.chain.get(p).push({ rt: e.body.refresh_token, grant: e.grant, startedAt: e.startedAt, answeredAt: e.answeredAt });
      }
    }
    if (e.grant === 'refresh_token') {
      this.refreshes.push({ p, status: e.status, startedAt: e.startedAt, answeredAt: e.answeredAt });
      if (e.status !== 200) {
        if (p && this.refused.has(p)) this.refused.get(p).push({ startedAt: e.startedAt, answeredAt: e.answeredAt });
        else this.violation(`a refresh was refused (${e.status} ${JSON.stringify(e.body)}) for an unknown account`);
      }
    }
    for (const fn of this.tokenHooks ?? []) fn(e);
  }

  /// Registers an actor (a process that may send p's token requests) from `from` on.
  actor(ps, kind, from) {
    const a = { kind, from, killAt: null };
    for (const p of ps) this.actors.get(p).push(a);
    return a;
  }

  /// Waits until the AS has answered every token request that reached it (a killed process's
  /// last request may still be on its way or being handled).
  async settle() {
    await sleep(25);
    for (let i = 0; i < 400 && this.as.tokenRequestsInFlight > 0; i += 1) await sleep(5);
    await sleep(10);
  }

  /// `latchkey` connect for p, the consent given as p; then p's connection must be healthy.
  async connect(p) {
    const a = this.actor([p], 'connect', Date.now());
    const r = await this.cli.connect('testas', [], { login: p }, { principal: p });
    if (r.status !== 0) throw new Error(`connect ${p}: ${r.stderr}`);
    a.to = Date.now();
  }

  /// Reads p's connection from the store and compares it with the AS: { key, record, state
  /// ('healthy' | 'lost'), lease: {id, until} | null, at }.
  async inspect(p) {
    const rows = await sqlite(this.store, `SELECT key, value FROM records WHERE key LIKE 'conn/${p}/%'`);
    if (rows.length !== 1) {
      this.violation(`${p}: ${rows.length} connection records in the store`);
      return { state: 'broken' };
    }
    const { key } = rows[0];
    let record;
    let rt;
    let at;
    try {
      record = JSON.parse(rows[0].value);
      rt = openSealed(this.masterKey, key, 'refresh_token', record.refresh_token);
      at = openSealed(this.masterKey, key, 'access_token', record.access_token);
    } catch (err) {
      this.violation(`${p}: the stored record cannot be read: ${err.message}`);
      return { state: 'broken' };
    }
    if (!this.issued.get(p).has(at)) this.violation(`${p}: the store holds an access token the AS never issued for ${p}`);
    const chain = this.chain.get(p);
    const i = chain.findIndex((c) => c.rt === rt);
    const latest = chain.length - 1;
    const lease = record.lease_id && record.lease_until_ms > Date.now()
      ? { id: record.lease_id, until: record.lease_until_ms } : null;
    let state = 'healthy';
    if (i < 0) {
      this.violation(`${p}: the store holds a refresh token the AS never issued for ${p}`);
      state = 'broken';
    } else if (i < latest) {
      state = 'lost';
    } else {
      const replayed = this.refused.get(p).filter((r) => r.startedAt >= chain[latest].answeredAt);
      if (replayed.length) {
        this.violation(`${p}: the AS refused a replayed refresh token (and revoked the grant) while the store holds `
          + 'the latest one: two refreshers used one refresh token');
        state = 'broken';
      } else if (record.status !== 'connected') {
        this.violation(`${p}: status ${record.status} (${record.last_error}) though the store holds the latest refresh token`);
      }
    }
    return { key, record, state, lease, rotation: i >= 0 && i < latest ? chain[i + 1] : null, at: Date.now() };
  }

  /// Ends a lease a killed refresher left behind, as its running out would (simulated time).
  async endLease(key, lease) {
    const changed = await sqlite(this.store, `UPDATE records SET value = json_set(value, '$.lease_until_ms', ${Date.now()}) `
      + `WHERE key = '${key}' AND json_extract(value, '$.lease_id') = '${lease.id}'; SELECT changes() AS n;`);
    if (changed[0]?.n === 1) this.counts.leasesEnded += 1;
  }

  /// Checks what a `latchkey token` run for p printed: one whole token the AS issued for p, or
  /// (killed before printing) nothing.
  checkPrinted(p, r, killed) {
    if (killed && r.stdout === '') return;
    const m = /^(\S+)\n$/.exec(r.stdout);
    if (!m) {
      this.violation(`${p}: latchkey token printed ${JSON.stringify(r.stdout)} (${killed ? 'killed' : `exit ${r.status}`})`);
      return;
    }
    this.counts.printed += 1;
    if (!this.issued.get(p).has(m[1])) {
      const other = this.principals.find((q) => q !== p && this.issued.get(q).has(m[1]));
      this.violation(`${p}: latchkey token printed ${other ? `${other}'s token` : 'a token the AS never issued'}`);
    }
  }

  /// A lost connection: `latchkey token --force-refresh` must say it needs authorizing again;
  /// then it is connected again.
  async recover(p, phase, info) {
    this.counts.lost[phase] += 1;
    this.lossLog.push({ p, phase, rotation: info.rotation });
    this.log(`${phase}: ${p} lost (the AS rotated its refresh token; the store kept the one before)`);
    const a = this.actor([p], 'verify', Date.now());
    const r = await this.cli.run(['--principal', p, 'token', 'testas', '--force-refresh']);
    a.to = Date.now();
    if (r.status !== 3 || !REAUTH_TEXT.test(r.stderr)) {
      this.violation(`${p}: lost at the AS, but latchkey token answered exit ${r.status}: ${r.stdout}${r.stderr}`);
    }
    await this.settle();
    const t0 = Date.now();
    await this.connect(p);
    this.counts.reconnects += 1;
    this.phaseMs.reconnecting = (this.phaseMs.reconnecting ?? 0) + Date.now() - t0;
    const again = await this.inspect(p);
    if (again.state !== 'healthy') this.violation(`${p}: not healthy after connecting again`);
  }

  /// Runs `latchkey token` for p once, killed after `delay` ms unless it ended before.
  async tokenRun(p, forced, delay) {
    const a = this.actor([p], 'cli', Date.now());
    const run = this.cli.start(['--principal', p, 'token', 'testas', ...(forced ? ['--force-refresh'] : [])]);
    const timer = delay === null ? null : setTimeout(() => {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        a.killAt = Date.now();
        run.child.kill('SIGKILL');
      }
    }, delay);
    const r = await run.done;
    clearTimeout(timer);
    const killed = a.killAt !== null && run.child.signalCode === 'SIGKILL';
    if (!killed) a.killAt = null;  // it ended on its own just before
    return { r, killed, actor: a };
  }

  // --- phase 0: the refresh round trip, measured -------------------------------------------

  /// Unkilled forced refreshes: when, after spawning `latchkey token`, the AS got the request and
  /// answered it, and when the process exited (its answer sealed and stored before that).
  async calibrate(runs = 3) {
    const spawnToAs = [];
    const asHandling = [];
    const answerToExit = [];
    const spawnToExit = [];
    await Promise.all(this.principals.map(async (p) => {
      for (let i = 0; i < runs; i += 1) {
        const t0 = Date.now();
        const { r, actor } = await this.tokenRun(p, true, null);
        const t1 = Date.now();
        if (r.status !== 0) throw new Error(`calibration: latchkey token for ${p}: ${r.stderr}`);
        this.checkPrinted(p, r, false);
        await this.settle();
        const ev = this.refreshes.find((e) => e.p === p && e.startedAt >= actor.from && e.startedAt <= t1);
        if (!ev) throw new Error(`calibration: no refresh at the AS for ${p}`);
        spawnToAs.push(ev.startedAt - t0);
        asHandling.push(ev.answeredAt - ev.startedAt);
        answerToExit.push(t1 - ev.answeredAt);
        spawnToExit.push(t1 - t0);
      }
    }));
    this.calibration.cli = {
      spawn_to_as_ms: median(spawnToAs),
      as_handling_ms: median(asHandling),
      answer_to_exit_ms: median(answerToExit),
      answer_to_exit_max_ms: Math.max(...answerToExit),
      spawn_to_exit_ms: median(spawnToExit),
    };
    this.log(`calibration (latchkey token --force-refresh): ${JSON.stringify(this.calibration.cli)}`);
    return this.calibration.cli;
  }

  // --- phase 1: `latchkey token` killed during refreshes -----------------------------------

  /// A kill delay: a uniformly random moment of a `latchkey token --force-refresh`'s measured
  /// life (and a little past it, so some runs end first), so the kills fall on the refresh round
  /// trip as often as a crash at a random moment would.
  killDelay() {
    return this.rand() * this.calibration.cli.spawn_to_exit_ms * 1.1;
  }

  async cliPhase(kills) {
    const started = Date.now();
    let left = kills;
    await Promise.all(this.principals.map(async (p) => {
      while (left > 0 && !this.pastDeadline()) {
        left -= 1;  // taken before the run, so the workers together kill exactly `kills` times
        const forced = this.rand() < 0.6;
        const { r, killed } = await this.tokenRun(p, forced, this.killDelay());
        if (killed) {
          this.counts.kills.cli += 1;
        } else {
          left += 1;
          this.counts.natural += 1;
        }
        await this.settle();
        const info = await this.inspect(p);
        if (killed) {
          this.checkPrinted(p, r, true);
        } else if (r.status === 0) {
          this.checkPrinted(p, r, false);
        } else if (r.status === 3 && REAUTH_TEXT.test(r.stderr)) {
          if (info.state !== 'lost') this.violation(`${p}: latchkey token said needs_reauth, but the store is current: ${r.stderr}`);
        } else {
          this.violation(`${p}: latchkey token failed (exit ${r.status}): ${r.stderr}`);
        }
        if (info.lease) await this.endLease(info.key, info.lease);
        if (info.state === 'lost') await this.recover(p, 'cli', info);
      }
    }));
    const ok = await integrityCheck(this.store);
    if (ok !== 'ok') this.violation(`PRAGMA integrity_check after the cli phase: ${ok}`);
    this.phaseMs.cli = Date.now() - started;
    this.log(`cli phase: ${this.counts.kills.cli} kills in ${this.phaseMs.cli} ms`);
  }

  // --- phase 2: latchkeyd killed during refresh storms --------------------------------------

  /// Proxied requests (each forcing a refresh: the upstream refuses every token it was sent so
  /// far) and token-route requests on every connection at once: resolves with their outcomes.
  storm(gw, { proxied = 6, tokens = 2 } = {}) {
    for (const set of this.issued.values()) for (const t of set) this.upstream.stale.add(t);
    const sends = [];
    for (const p of this.principals) {
      for (let i = 0; i < proxied + tokens; i += 1) {
        const proxy = i < proxied;
        const sent = proxy
          ? request(`${gw.url}/v1/proxy/testas/me?p=${p}`, { key: this.keys[p] })
          : request(`${gw.url}/v1/connections/testas/${p}/token`, { method: 'POST', key: this.keys[p] });
        sends.push(sent.then((res) => ({ p, proxy, res }), (err) => ({ p, proxy, err: err.code ?? String(err) })));
      }
    }
    return Promise.all(sends);
  }

  /// Checks the answers a storm got: 200 with the upstream's answer or a token the AS issued
  /// for that connection; 409 needs_reauth only for a connection that turned out lost; a
  /// broken connection only when latchkeyd was killed.
  checkStorm(outcomes, lostNow, killed) {
    for (const { p, proxy, res, err } of outcomes) {
      if (err) {
        if (!killed) this.violation(`${p}: a storm request failed (${err}) though latchkeyd was not killed`);
        continue;
      }
      if (res.status === 200) {
        if (proxy) {
          if (res.text !== JSON.stringify({ p })) this.violation(`${p}: proxied answer ${res.text}`);
        } else {
          this.counts.gatewayTokens += 1;
          let token;
          try { token = res.json().access_token; } catch { token = undefined; }
          if (!this.issued.get(p).has(token)) this.violation(`${p}: latchkeyd's token route answered a token the AS never issued for ${p}`);
        }
      } else if (res.status === 409 && /needs_reauth/.test(res.text)) {
        if (!lostNow.has(p)) this.violation(`${p}: latchkeyd answered needs_reauth for a connection that is not lost: ${res.text}`);
      } else {
        this.violation(`${p}: a storm request got ${res.status}: ${res.text}`);
      }
    }
  }

  /// Every connection inspected after latchkeyd's death; dangling leases ended unless `keepLeases`.
  async afterGateway(phase, { keepLeases = false } = {}) {
    await this.settle();
    const infos = {};
    for (const p of this.principals) {
      infos[p] = await this.inspect(p);
      if (infos[p].lease && !keepLeases) await this.endLease(infos[p].key, infos[p].lease);
    }
    const ok = await integrityCheck(this.store);
    if (ok !== 'ok') this.violation(`PRAGMA integrity_check after a ${phase} kill: ${ok}`);
    return infos;
  }

  async gatewayPhase(kills) {
    const started = Date.now();
    // One storm unkilled: how long a storm's refreshes take.
    let gw = await startGateway(this.cli);
    let life = this.actor(this.principals, 'gateway', Date.now());
    const t0 = Date.now();
    const first = await this.storm(gw);
    const stormMs = Date.now() - t0;
    this.checkStorm(first, new Set(), false);
    this.calibration.gateway = { storm_ms: stormMs };
    this.log(`calibration (latchkeyd storm): ${stormMs} ms`);
    while (this.counts.kills.gateway < kills && !this.pastDeadline()) {
      const stormed = this.storm(gw);
      await sleep(this.rand() * stormMs * 1.2);
      life.killAt = Date.now();
      gw.child.kill('SIGKILL');
      await gw.exited;
      this.counts.kills.gateway += 1;
      const outcomes = await stormed;
      const infos = await this.afterGateway('gateway');
      const lost = this.principals.filter((p) => infos[p].state === 'lost');
      this.checkStorm(outcomes, new Set(lost), true);
      for (const p of lost) await this.recover(p, 'gateway', infos[p]);
      gw = await startGateway(this.cli);
      life = this.actor(this.principals, 'gateway', Date.now());
    }
    gw.child.kill('SIGTERM');
    await gw.exited;
    this.phaseMs.gateway = Date.now() - started;
    this.log(`gateway phase: ${this.counts.kills.gateway} kills in ${this.phaseMs.gateway} ms`);
  }

  // --- phase 3: one real lease ------------------------------------------------------------

  /// latchkeyd killed the moment the AS answers a refresh in a storm (so that connection's lease
  /// dangles and its rotated token is lost), nothing touched for one lease (plus `marginMs`);
  /// then `latchkey token` for every connection: a token the AS says is active, or
  /// needs_reauth for a lost one. Resolves with { dangling, results }.
  async finalPhase(marginMs = 1500) {
    const gw = await startGateway(this.cli);
    const life = this.actor(this.principals, 'gateway', Date.now());
    let victim = null;
    this.tokenHooks = [(e) => {
      if (victim === null && e.grant === 'refresh_token' && e.status === 200) {
        victim = e.accountId;
        life.killAt = Date.now();
        gw.child.kill('SIGKILL');
      }
    }];
    const outcomes = await this.storm(gw);
    this.tokenHooks = [];
    await gw.exited;
    this.counts.kills.final += 1;
    const infos = await this.afterGateway('final', { keepLeases: true });
    const lost = new Set(this.principals.filter((p) => infos[p].state === 'lost'));
    this.checkStorm(outcomes, lost, true);
    const dangling = this.principals.filter((p) => infos[p].lease);
    if (!victim || !infos[victim]?.lease) {
      this.violation(`final: latchkeyd was killed as the AS answered ${victim}'s refresh, yet its lease is not held`);
    }
    for (const p of dangling) {
      if (infos[p].lease.until > life.killAt + LEASE_MS) this.violation(`${p}: a lease runs past one lease from the kill`);
    }
    // One lease from the kill, plus the margin; nothing runs meanwhile.
    await sleep(Math.max(0, life.killAt + LEASE_MS + marginMs - Date.now()));
    const results = {};
    for (const p of this.principals) {
      const a = this.actor([p], 'check', Date.now());
      const t0 = Date.now();
      const r = await this.cli.run(['--principal', p, 'token', 'testas']);
      a.to = Date.now();
      const ms = Date.now() - t0;
      let outcome;
      if (r.status === 0) {
        this.checkPrinted(p, r, false);
        const info = await this.as.introspect(r.stdout.trim());
        outcome = info.active && info.sub === p ? 'works' : `inactive token (${JSON.stringify(info)})`;
        if (lost.has(p)) this.violation(`${p}: lost at the AS, yet latchkey token printed a token after the lease`);
      } else if (r.status === 3 && REAUTH_TEXT.test(r.stderr)) {
        outcome = lost.has(p) ? 'needs_reauth' : 'needs_reauth, unexplained';
      } else {
        outcome = `exit ${r.status}: ${r.stderr.trim()}`;
      }
      if (outcome !== 'works' && outcome !== 'needs_reauth') this.violation(`final: ${p}: ${outcome}`);
      if (ms > 5000) this.violation(`final: ${p}: latchkey token took ${ms} ms after the lease had ended`);
      results[p] = { outcome, ms };
      if (outcome === 'needs_reauth') {
        this.counts.lost.final += 1;
        this.lossLog.push({ p, phase: 'final', rotation: infos[p].rotation });
      }
    }
    const ok = await integrityCheck(this.store);
    if (ok !== 'ok') this.violation(`PRAGMA integrity_check at the end: ${ok}`);
    return { victim, dangling, results };
  }

  // --- the figures --------------------------------------------------------------------------

  /// Which actor sent a request that reached the AS at `t` for p.
  actorAt(p, t) {
    const list = this.actors.get(p);
    let found = null;
    for (const a of list) if (a.from <= t) found = a;
    return found;
  }

  /// Ties every loss to the kill that caused it and counts the kills that landed during a
  /// refresh round trip: the killed process had sent a refresh request that reached the AS.
  /// "During" ends `post` ms after the AS answered: the answer's trip back and its storing, bounded
  /// by twice the slowest answer-to-exit of the calibration runs (at least 50 ms).
  summarize() {
    const post = Math.max(50, 2 * (this.calibration.cli?.answer_to_exit_max_ms ?? 25));
    const killsInRoundTrip = new Set();
    // One latchkeyd kill may land in several connections' refreshes at once: each can be lost.
    const connectionsInRoundTrip = new Set();
    for (const e of this.refreshes) {
      if (!e.p || !this.actors.has(e.p)) continue;
      const a = this.actorAt(e.p, e.startedAt);
      if (a?.killAt && a.killAt <= e.answeredAt + post) {
        killsInRoundTrip.add(a);
        connectionsInRoundTrip.add(`${e.p}@${a.killAt}`);
      }
    }
    const afterAnswer = [];
    for (const loss of this.lossLog) {
      const r = loss.rotation;
      if (!r) {
        this.violation(`${loss.p}: a ${loss.phase} loss without a rotation the store missed`);
        continue;
      }
      const a = this.actorAt(loss.p, r.startedAt);
      if (!a?.killAt) {
        this.violation(`${loss.p}: the AS rotated its refresh token for a ${a?.kind ?? 'unknown'} process that was not killed, `
          + 'and the store never got the answer');
        continue;
      }
      afterAnswer.push(a.killAt - r.answeredAt);
    }
    const kills = this.counts.kills.cli + this.counts.kills.gateway + this.counts.kills.final;
    const lost = this.counts.lost.cli + this.counts.lost.gateway + this.counts.lost.final;
    const refreshesOk = this.refreshes.filter((e) => e.status === 200).length;
    return {
      seed: this.seed,
      kills,
      kills_cli: this.counts.kills.cli,
      kills_gateway: this.counts.kills.gateway + this.counts.kills.final,
      kills_during_refresh: killsInRoundTrip.size,
      connections_in_refresh_at_kills: connectionsInRoundTrip.size,
      during_refresh_ends_after_answer_ms: post,
      refreshes_at_as: refreshesOk,
      refreshes_refused: this.refreshes.length - refreshesOk,
      lost_to_rotation: lost,
      lost_cli: this.counts.lost.cli,
      lost_gateway: this.counts.lost.gateway + this.counts.lost.final,
      loss_per_kill: kills ? Math.round((lost / kills) * 1e4) / 1e4 : null,
      loss_per_kill_during_refresh: killsInRoundTrip.size ? Math.round((lost / killsInRoundTrip.size) * 1e4) / 1e4 : null,
      // How late after the AS answered a kill still lost the rotated token: the answer's trip
      // back, opening it, sealing and writing it (negative: killed before the AS answered).
      lost_kill_after_answer_ms: { median: median(afterAnswer), max: afterAnswer.length ? Math.max(...afterAnswer) : null },
      refresh_round_trip_ms: {
        spawn_to_as: this.calibration.cli?.spawn_to_as_ms,
        as_handling: this.calibration.cli?.as_handling_ms,
        answer_to_exit: this.calibration.cli?.answer_to_exit_ms,
        spawn_to_exit: this.calibration.cli?.spawn_to_exit_ms,
        gateway_storm: this.calibration.gateway?.storm_ms,
      },
      phase_ms: this.phaseMs,
      leases_ended_by_lab: this.counts.leasesEnded,
      natural_exits: this.counts.natural,
      tokens_printed: this.counts.printed,
      gateway_tokens: this.counts.gatewayTokens,
      injected: this.upstream.seen.length,
      violations: this.violations.length,
    };
  }

  /// Every token the upstream received must be one the AS issued for the connection named.
  checkInjected() {
    for (const { p, token } of this.upstream.seen) {
      if (!this.issued.has(p)) this.violation(`the upstream got a request for an unknown principal ${p}`);
      else if (!token || !this.issued.get(p).has(token)) {
        const other = this.principals.find((q) => q !== p && this.issued.get(q).has(token));
        this.violation(`${p}: the upstream was sent ${other ? `${other}'s token` : 'a token the AS never issued'}`);
      }
    }
  }

  async close() {
    await this.upstream?.close();
    await this.as?.close();
  }
}

/// The whole experiment: { report (summarize()), final (finalPhase()), violations }.
export async function runCrashLab({
  seed, cliKills, gatewayKills, principals, log = () => {}, calibrationRuns = 3, deadline,
}) {
  const lab = await CrashLab.start({ seed, principals, log });
  lab.deadline = deadline;
  try {
    await lab.calibrate(calibrationRuns);
    await lab.cliPhase(cliKills);
    await lab.gatewayPhase(gatewayKills);
    const final = await lab.finalPhase();
    lab.checkInjected();
    const report = lab.summarize();
    return { report, final, violations: lab.violations, lab };
  } finally {
    await lab.close();
  }
}
