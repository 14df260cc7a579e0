// The broker end to end in whichever runtime runs it (driver.mjs: Node, Deno, Bun; the workerd
// runner bundles it into a Worker): the real oidc-provider, the protected API, the runtime's own
// fetch, crypto and timers. One suite, so every runtime is held to the same behaviour.
import { createSuite } from './harness.mjs';
import {
  asStats, check, connect, consent, equal, rejectsWith, revokeAtAs, setUpProvider, sleep,
} from './support.mjs';

export default function brokerSuite({ pkg, ctx }) {
  const { createBroker, memoryStorage } = pkg;
  const { main, short } = ctx.fixtures;
  const t = createSuite();
  const key = (fill) => new Uint8Array(32).fill(fill);

  t.test('code + PKCE: authorize, consent, callback, token, fetch as the user', async () => {
    const broker = await createBroker();
    await setUpProvider(broker, main);
    const { url } = await broker.authorize('testas', { redirectUri: ctx.redirect });
    const consentUrl = new URL(url);
    equal(consentUrl.searchParams.get('code_challenge_method'), 'S256', 'PKCE method');
    check(/^[A-Za-z0-9_-]{43}$/.test(consentUrl.searchParams.get('code_challenge')), 'a 43-character S256 challenge');
    const conn = await connect(ctx, broker);
    equal(conn.id, 'testas/alice', 'the connection is named by userinfo');
    equal(conn.status, 'connected', 'status');
    const res = await broker.fetch(conn.id, '/me', { headers: { authorization: 'Bearer not-mine' } });
    equal(res.status, 200, 'GET /me');
    equal((await res.json()).sub, 'alice', 'the API saw alice');
    const echo = await broker.fetch(conn.id, `${main.api}/echo?q=1`, {
      method: 'POST', headers: { 'content-type': 'text/plain', authorization: 'Bearer not-mine' }, body: 'hello',
    });
    const seen = await echo.json();
    equal([seen.method, seen.body, seen.query.q], ['POST', 'hello', '1'], 'the request went as sent');
    check(seen.headers.authorization !== 'Bearer not-mine', 'the caller\'s header did not go through');
    equal(seen.headers.authorization, `Bearer ${await broker.getAccessToken(conn.id)}`, 'the connection\'s token went instead');
    broker.close();
  });

  t.test('an expired token is refreshed, and the rotated refresh token is the one used next', async () => {
    const broker = await createBroker();
    await setUpProvider(broker, short);
    const conn = await connect(ctx, broker);
    const first = await broker.getToken(conn.id);
    await asStats(short, { reset: true });
    await sleep(short.ttlMs + 300);
    const second = await broker.getToken(conn.id);
    equal(second.refreshed, true, 'refreshed once expired');
    check(second.accessToken !== first.accessToken, 'a new access token');
    equal((await broker.getToken(conn.id, { forceRefresh: true })).refreshed, true, 'forced refresh');
    const stats = await asStats(short);
    equal(stats.token.refresh_token, 2, 'refresh grants at the AS');
    equal(stats.tokenErrors, {}, 'no refresh failed (a reused rotated token would)');
    broker.close();
  });

  t.test('single flight: 20 concurrent calls on an expired token, over two brokers on one storage, refresh once', async () => {
    const storage = memoryStorage();
    const a = await createBroker({ storage, masterKey: key(7) });
    const b = await createBroker({ storage, masterKey: key(7) });
    await setUpProvider(a, short);
    const conn = await connect(ctx, a);
    await sleep(short.ttlMs + 300);
    await asStats(short, { reset: true });
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).getAccessToken(conn.id)));
    equal(new Set(tokens).size, 1, 'every caller got the same token');
    equal((await asStats(short)).token.refresh_token, 1, 'refresh grants at the AS');
    a.close();
    b.close();
  });

  t.test('revoke: disconnect({revoke}) revokes at the AS; a revoked grant means needs_reauth', async () => {
    const broker = await createBroker();
    await setUpProvider(broker, main);
    let conn = await connect(ctx, broker);
    await revokeAtAs(main, await broker.getAccessToken(conn.id));
    const e = await rejectsWith(broker.getToken(conn.id, { forceRefresh: true }), 'needs_reauth');
    check(!e.message.includes('cli-secret'), 'the client secret is not in the message');
    equal((await broker.status(conn.id)).status, 'needs_reauth', 'status');
    conn = await connect(ctx, broker);
    equal(conn.status, 'connected', 'reconnecting fixes it');
    await asStats(main, { reset: true });
    await broker.disconnect(conn.id, { revoke: true });
    check((await asStats(main)).revocation >= 1, 'the grant was revoked at the AS');
    equal(await broker.connections(), [], 'no connection left');
    broker.close();
  });

  t.test('bad input: a replayed, a forged and a denied callback each fail clearly and keep the connection', async () => {
    const broker = await createBroker();
    await setUpProvider(broker, main);
    const callback = await consent(ctx, broker);
    const conn = await broker.handleCallback(callback);
    await rejectsWith(broker.handleCallback(callback), 'state_reused');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged-state');
    await rejectsWith(broker.handleCallback(forged.href), 'invalid_state');
    await rejectsWith(broker.handleCallback(await consent(ctx, broker, { deny: true })), 'provider_error');
    // The advice names this package's own calls, not the CLI's commands.
    const none = await rejectsWith(broker.getToken({ provider: 'testas', account: 'bob' }), 'not_found');
    check(none.message.includes("run `broker.authorize('testas', { account: 'bob' })`"), none.message);
    equal((await broker.status(conn.id)).status, 'connected', 'the connection survived');
    broker.close();
  });

  t.test('persistent storage: the same master key reopens it, another is refused, none is refused at once', async () => {
    const storage = { ...memoryStorage(), persistent: true }; // as a file, KV or Durable Object outlives the broker
    const first = await createBroker({ storage, masterKey: key(1) });
    await setUpProvider(first, main);
    const conn = await connect(ctx, first);
    first.close();
    const again = await createBroker({ storage, masterKey: key(1) });
    equal((await again.status(conn.id)).status, 'connected', 'reopened');
    again.close();
    await rejectsWith(createBroker({ storage, masterKey: key(2) }), 'crypto');
    await rejectsWith(createBroker({ storage }), 'invalid_request', /masterKey/);
  });

  return t.tests;
}
