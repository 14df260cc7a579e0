// The edge Worker (wasm/edge/worker.mjs, bundled as wrangler would) served by workerd from
// several isolates, driven from Node over HTTP: workerd.mjs starts it all and runs this suite.
//   edge.do: the Worker's origins, one per isolate, all on one Durable Object (the storage)
//   edge.kv: the same Worker on a KV-shaped store (the KV adapter)
// Every request names its isolate: start on one, callback on another, proxy on a third, so only
// shared storage can make the flow work; and the single-flight refresh must hold across them.
import { createSuite } from './harness.mjs';
import { check, consentAt, equal, sleep } from './support.mjs';

export default function edgeWorkerdSuite({ ctx, as, edge, proxySecret, note }) {
  const t = createSuite();
  const { short } = ctx.fixtures;

  const proxy = (origin, provider, secret = proxySecret) => fetch(`${origin}/proxy/${provider}/me`, {
    headers: { authorization: `Bearer ${secret}` },
  });

  /// /oauth/start on origins[0] → the driver's browser consents → /oauth/callback on origins[1]:
  /// the connection (JSON).
  async function connectVia(origins, provider) {
    const start = await fetch(`${origins[0]}/oauth/start/${provider}`, { redirect: 'manual' });
    equal(start.status, 302, '/oauth/start redirects to the consent page');
    const callback = new URL(await consentAt(ctx, start.headers.get('location')));
    equal(callback.origin, origins[0], 'the redirect_uri is the origin that started it');
    const done = await fetch(`${origins[1]}${callback.pathname}${callback.search}`, { headers: { accept: 'application/json' } });
    const body = await done.json();
    equal(done.status, 200, `/oauth/callback on another isolate: ${JSON.stringify(body)}`);
    return body.connection;
  }

  /// 100 concurrent /proxy calls on an expired token, spread over the isolates of `origins`:
  /// { statuses, refreshes } (refresh_token grants the AS saw).
  async function burst(origins, provider) {
    await sleep(short.ttlMs + 300); // expired
    as.short.resetStats();
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => proxy(origins[i % origins.length], provider)));
    const statuses = {};
    for (const r of responses) {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      await r.body?.cancel();
    }
    const s = as.short.stats;
    return { statuses, refreshes: s.token.refresh_token ?? 0, errors: s.tokenErrors, ms: Date.now() - started };
  }

  t.test('Durable Object: start → callback → proxy, each on another isolate', async () => {
    const conn = await connectVia(edge.do, 'testas');
    equal([conn.id, conn.status], ['testas/alice', 'connected'], 'the connection');
    const me = await proxy(edge.do[2], 'testas');
    equal(me.status, 200, 'GET /proxy/testas/me');
    equal((await me.json()).sub, 'alice', 'the API saw alice');
    const refused = await proxy(edge.do[0], 'testas', 'not-the-secret');
    equal(refused.status, 401, 'a wrong proxy secret is refused');
    await refused.body?.cancel();
  });

  t.test('Durable Object: 100 concurrent requests on an expired token over 3 isolates refresh once', async () => {
    const conn = await connectVia(edge.do, 'testshort');
    equal(conn.id, 'testshort/alice', 'the connection');
    const { statuses, refreshes, errors, ms } = await burst(edge.do, 'testshort');
    equal(statuses, { 200: 100 }, 'every request answered');
    // A burst that outlasts the new token's life (due ttl - 1 s after the refresh) refreshes again, rightly.
    check(ms < short.ttlMs - 1000, `the burst took ${ms} ms: longer than a refreshed token stays fresh`);
    equal(refreshes, 1, `refresh_token grants at the AS (the burst took ${ms} ms)`);
    equal(errors, {}, 'no refresh failed at the AS');
  });

  t.test('KV: the same load (information: KV\'s compare-and-swap is not atomic across isolates)', async () => {
    const conn = await connectVia(edge.kv, 'testshort');
    equal(conn.id, 'testshort/alice', 'the connection');
    const { statuses, refreshes, errors, ms } = await burst(edge.kv, 'testshort');
    note(`KV adapter, 100 requests over ${edge.kv.length} isolates in ${ms} ms: ${refreshes} refresh_token grant(s), `
      + `answers ${JSON.stringify(statuses)}, AS token errors ${JSON.stringify(errors)}`);
    check(refreshes >= 1, 'the expired token was refreshed');
  });

  return t.tests;
}
