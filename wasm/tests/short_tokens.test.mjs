// Tokens that live less than twice the provider's expiry buffer (6 s access tokens from the
// real AS, the 60 s default buffer) through the JS broker: fresh for the first half of their
// life, and refreshed once per lifetime however many callers want one. The 20 callers after
// expiry are 20 brokers on one storage — as 20 edge isolates sharing a store — so they meet
// in the core's lease, not in one broker's in-flight map.
// Run: LATCHKEY_WASM_PKG=build/wasm/wasm/pkg node wasm/tests/run.mjs wasm/tests/short_tokens.test.mjs
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  connect, fixtures, layers, setUpProvider, sleep,
} from './support.mjs';

const LAYERS = await layers();
if (LAYERS.length === 0) test('JS broker, short tokens', { skip: 'set LATCHKEY_WASM_PKG and/or LATCHKEY_WASI_WASM' }, () => {});

const TTL_MS = 6000;
let fx;
before(async () => {
  if (LAYERS.length === 0) return;
  fx = await fixtures({ ttl: TTL_MS / 1000 });
});
after(async () => { await fx?.close(); });

const refreshes = () => fx.as.stats.token.refresh_token ?? 0;

/// Why a count can be off without latchkey at fault: calls made after the fresh first half of a
/// token's life rightly refresh it (a machine too loaded for this test's 3 s window).
const late = (expiresAt) => (Date.now() >= expiresAt - TTL_MS / 2 ? ' (but the calls ran past the fresh half)' : '');
const slow = (started) => (Date.now() - started >= TTL_MS / 2
  ? ` (but they took ${Date.now() - started} ms, past the new token's fresh half)` : '');

for (const layer of LAYERS) {
  describe(`${layer.name} layer with 6 s tokens`, () => {
    test('calls inside a lifetime refresh nothing; 20 callers after expiry refresh once', async () => {
      const storage = layer.index.memoryStorage();
      const masterKey = new Uint8Array(32).fill(6);
      const brokers = await Promise.all(Array.from({ length: 20 }, () => layer.createBroker({ storage, masterKey })));
      try {
        await setUpProvider(brokers[0], fx);  // the provider (default 60 s buffer) and its app
        const conn = await connect(brokers[0], { login: `short-${layer.name}` });
        const expiresAt = conn.expiresAtMs;
        assert.ok(expiresAt > Date.now() && expiresAt <= Date.now() + TTL_MS, `expiresAtMs ${expiresAt}`);
        fx.as.resetStats();

        const token = await brokers[0].getAccessToken(conn.id);
        const again = [];
        for (let i = 1; i < 5; i += 1) again.push(await brokers[i].getToken(conn.id));
        assert.equal(refreshes(), 0, `sequential calls inside one lifetime refreshed${late(expiresAt)}`);
        assert.deepEqual(again.map((t) => [t.accessToken, t.refreshed]), Array(4).fill([token, false]));

        await sleep(Math.max(0, expiresAt - Date.now()) + 300);
        fx.as.resetStats();
        const started = Date.now();
        const tokens = await Promise.all(brokers.map((b) => b.getAccessToken(conn.id)));
        assert.equal(refreshes(), 1, `20 concurrent callers made ${refreshes()} refreshes${slow(started)}`);
        assert.equal(new Set(tokens).size, 1, `20 callers got ${new Set(tokens).size} different tokens`);
        assert.notEqual(tokens[0], token);
        assert.equal((await fx.as.introspect(tokens[0])).active, true);
        assert.equal(fx.as.stats.tokenErrors.refresh_token ?? 0, 0);
      } finally {
        for (const b of brokers) b.close();
      }
    });
  });
}
