// An operation that must wait holds no latchkeyd thread: a wait effect is a deadline, and the
// gateway parks the operation on a timer (pending_op.hpp) instead of sleeping a worker thread
// inside it. A crowd of requests for one connection whose refresh lease another refresher holds
// (a killed one: the lease runs out in 3 s) all wait; latchkeyd's thread count must stay far
// below the crowd's size meanwhile, and every request is answered correctly once the lease ends.
// Against the real AS, through the token API and the proxy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { startAuthServer } from '../fixtures/auth_server.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, editRecord, request, sleep, startApi, startGateway, tempDir,
} from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));
const CROWD = 30;
const LEASE_LEFT_MS = 3000;
const ENGINES = 2;
// main + acceptor, the event loops (one a core), the log writer, the alarm thread, ENGINES idle
// workers and at most ENGINES resuming ones: about a dozen on this machine, whatever the crowd.
// A worker thread per waiting request would be more than CROWD.
const MAX_THREADS = 16;

/// latchkeyd's thread count, from the kernel.
function threads(pid) {
  const m = /^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

describe('latchkeyd parks operations that wait', () => {
  let as; let api; let cli; let gw; let key;
  const conn = 'conn/bob/testas/bob';
  before(async () => {
    as = await startAuthServer({ pki, accessTokenTtl: 3600 });
    api = await startApi(as);
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    await cli.addTestProvider(as, api);
    const c = await cli.connect('testas', [], { login: 'bob' }, { principal: 'bob' });
    assert.equal(c.status, 0, c.stderr);
    ({ bob: key } = await createKeys(cli, [['bob', 'user']]));
    gw = await startGateway(cli, ['--engines', String(ENGINES)]);
  });
  after(async () => {
    gw?.child.kill('SIGTERM');
    await gw?.exited;
    await api?.close();
    await as?.close();
  });

  const tokenCall = () => request(`${gw.url}/v1/connections/testas/bob/token`, { method: 'POST', key });

  /// Expires the stored token and leaves a killed refresher's lease on it for LEASE_LEFT_MS: every
  /// request must wait for the lease to run out. Returns when it does.
  function holdLease() {
    const until = Date.now() + LEASE_LEFT_MS;
    editRecord(cli.env.LATCHKEY_STORE, conn, 'expires_at_ms', Date.now() - 1000);
    editRecord(cli.env.LATCHKEY_STORE, conn, 'lease_id', 'a-killed-refresher');
    editRecord(cli.env.LATCHKEY_STORE, conn, 'lease_until_ms', until);
    return until;
  }

  /// Runs `calls` while sampling latchkeyd's threads every 50 ms, from 500 ms after they start
  /// (the burst of arrivals has been handed over and parked) until shortly before `until`.
  async function crowd(calls, until) {
    const pid = gw.child.pid;
    const samples = [];
    const started = Date.now();
    const answers = Promise.all(calls.map((f) => f()));
    while (Date.now() < until - 300) {
      if (Date.now() - started >= 500) samples.push(threads(pid));
      await sleep(50);
    }
    return { answers: await answers, samples };
  }

  test(`${CROWD} token requests waiting on a refresh lease hold no thread each; all get the refreshed token`, async (t) => {
    const before = await tokenCall();
    assert.equal(before.status, 200, before.text);
    const old = before.json().access_token;
    const idle = threads(gw.child.pid);
    const refreshes = as.stats.token.refresh_token ?? 0;

    const until = holdLease();
    const { answers, samples } = await crowd(Array.from({ length: CROWD }, () => tokenCall), until);
    assert.ok(samples.length >= 10, `only ${samples.length} samples`);
    const most = Math.max(...samples);
    t.diagnostic(`threads: ${idle} idle, at most ${most} while ${CROWD} waited`);
    assert.ok(most <= MAX_THREADS,
      `latchkeyd ran ${most} threads while ${CROWD} requests waited (idle: ${idle}; samples ${samples.join(' ')})`);

    assert.ok(Date.now() >= until, 'answered before the lease ran out');
    assert.deepEqual(answers.map((a) => a.status), Array(CROWD).fill(200), answers.map((a) => a.text).join('\n'));
    const tokens = new Set(answers.map((a) => a.json().access_token));
    assert.equal(tokens.size, 1, `${tokens.size} different tokens`);
    assert.notEqual([...tokens][0], old);
    assert.equal((await as.introspect([...tokens][0])).active, true);
    assert.equal((as.stats.token.refresh_token ?? 0) - refreshes, 1, 'one refresh for the whole crowd');
  });

  test(`${CROWD} proxied requests waiting on a refresh lease hold no thread each; all reach the API with the new token`, async (t) => {
    const old = (await tokenCall()).json().access_token;
    const refreshes = as.stats.token.refresh_token ?? 0;
    api.seen.length = 0;
    const until = holdLease();
    const proxied = () => request(`${gw.url}/v1/proxy/testas/me`, { key });
    const { answers, samples } = await crowd(Array.from({ length: CROWD }, () => proxied), until);
    const most = Math.max(...samples);
    t.diagnostic(`threads: at most ${most} while ${CROWD} proxied requests waited`);
    assert.ok(most <= MAX_THREADS, `latchkeyd ran ${most} threads while ${CROWD} proxied requests waited (samples ${samples.join(' ')})`);

    assert.deepEqual(answers.map((a) => a.status), Array(CROWD).fill(200), answers.map((a) => a.text).join('\n'));
    assert.equal(api.seen.length, CROWD, `the API was called ${api.seen.length} times`);
    const sent = new Set(api.seen);
    assert.equal(sent.size, 1, `the API saw ${sent.size} different tokens`);
    assert.notEqual([...sent][0], old);
    assert.equal((as.stats.token.refresh_token ?? 0) - refreshes, 1, 'one refresh for the whole crowd');
  });
});
