// SIGKILL during refreshes with refresh-token rotation (crash_lab.mjs describes the experiment):
// 200 kills, up to 4 at a time, of `latchkey token` processes and of latchkeyd, on one SQLite
// store. The store must stay sound; no caller may be given a partial token or another
// connection's; after one lease every connection works again or says it needs authorizing again;
// and every connection lost must be one whose rotated refresh token the AS sent to a process
// killed before it stored it.
//
// LATCHKEY_CRASH_SEED=<n> replays a run (the seed is printed).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { startAuthServer } from '../fixtures/auth_server.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { runCrashLab } from './crash_lab.mjs';
import { Cli, editRecord, tempDir } from './harness.mjs';

const SEED = Number(process.env.LATCHKEY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

test(`200 SIGKILLs during refreshes with rotation (seed ${SEED})`, { timeout: 560000 }, async () => {
  console.log(`crash test seed: ${SEED} (LATCHKEY_CRASH_SEED=${SEED} replays it)`);
  const { report, final, violations } = await runCrashLab({
    seed: SEED, cliKills: 170, gatewayKills: 29, log: (t) => console.log(t),
  });
  console.log(JSON.stringify(report));
  console.log(`after one lease: ${JSON.stringify(final)}`);
  assert.deepEqual(violations, [], `seed ${SEED}`);
  assert.equal(report.kills, 200);
  // The kills reached the refreshes: a run where none did would prove nothing.
  assert.ok(report.kills_during_refresh >= 20, `only ${report.kills_during_refresh} kills landed during a refresh`);
  // Each loss is one connection whose refresh a kill interrupted (a latchkeyd kill may interrupt
  // several connections' refreshes at once).
  assert.ok(report.lost_to_rotation <= report.connections_in_refresh_at_kills,
    `${report.lost_to_rotation} connections lost, ${report.connections_in_refresh_at_kills} connections' refreshes `
    + `interrupted by ${report.kills_during_refresh} kills`);
  // The last kill came as the AS answered a refresh: that connection's lease was left held, and
  // its grant lost (the AS had consumed the refresh token the store still holds).
  assert.ok(final.dangling.includes(final.victim), JSON.stringify(final));
  assert.equal(final.results[final.victim].outcome, 'needs_reauth');
});

// A refresher killed mid-refresh leaves its lease until it runs out. A forced refresh (what a
// 401 from the API asks for) that meets such a lease must wait it out and then refresh, not hand
// back the token it was asked to replace because that token is not yet due.
test('a forced refresh that meets a killed refresher\'s lease waits it out and refreshes', async () => {
  const pki = await makeTestPki(tempDir('latchkey-pki-'));
  const as = await startAuthServer({ pki, accessTokenTtl: 3600, refreshTokenRotation: true });
  try {
    const cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    await cli.addTestProvider(as, { url: 'http://127.0.0.1:9' }, { buffer: 60 });
    const connected = await cli.connect('testas', [], { login: 'solo' }, { principal: 'solo' });
    assert.equal(connected.status, 0, connected.stderr);
    const old = await cli.run(['--principal', 'solo', 'token', 'testas']);
    assert.equal(old.status, 0, old.stderr);
    const key = 'conn/solo/testas/solo';
    const until = Date.now() + 1500;
    editRecord(cli.env.LATCHKEY_STORE, key, 'lease_id', 'a-killed-refresher');
    editRecord(cli.env.LATCHKEY_STORE, key, 'lease_until_ms', until);
    const refreshes = as.stats.token.refresh_token ?? 0;
    const forced = await cli.run(['--principal', 'solo', 'token', 'testas', '--force-refresh']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.ok(Date.now() >= until, 'it answered before the lease ran out');
    assert.notEqual(forced.stdout, old.stdout, 'the forced refresh handed back the token it was asked to replace');
    assert.equal((as.stats.token.refresh_token ?? 0) - refreshes, 1);
    assert.equal((await as.introspect(forced.stdout.trim())).active, true);
  } finally {
    await as.close();
  }
});
