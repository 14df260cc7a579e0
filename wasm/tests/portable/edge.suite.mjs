// The edge handler (wasm/edge/handler.mjs) in whichever runtime runs it, called as a runtime calls
// a module worker's fetch: web-standard Requests in, Responses out, the broker on this runtime's
// fetch and crypto. (In workerd it also runs as a real Worker across isolates: edge_workerd.test.mjs.)
import { createHandler } from '../../edge/handler.mjs';
import { createSuite } from './harness.mjs';
import { check, consentAt, equal, setUpProvider } from './support.mjs';

export default function edgeSuite({ pkg, ctx }) {
  const { main } = ctx.fixtures;
  const t = createSuite();
  // The redirect URI is the request's origin + /oauth/callback: a loopback one the test AS accepts.
  const origin = new URL(ctx.redirect).origin;
  const secret = 'edge-suite-secret';

  t.test('edge handler: start → consent → callback → proxy, and its refusals', async () => {
    const broker = await pkg.createBroker();
    await setUpProvider(broker, main);
    const handler = createHandler({ broker, proxySecret: secret });

    const start = await handler.fetch(new Request(`${origin}/oauth/start/testas`));
    equal(start.status, 302, 'GET /oauth/start/testas');
    const consentUrl = new URL(start.headers.get('location'));
    equal(consentUrl.searchParams.get('redirect_uri'), `${origin}/oauth/callback`, 'the redirect URI');
    const callback = new URL(await consentAt(ctx, consentUrl.href));
    const done = await handler.fetch(new Request(callback.href, { headers: { accept: 'application/json' } }));
    const body = await done.json();
    equal(done.status, 200, `GET /oauth/callback: ${JSON.stringify(body)}`);
    equal(body.connection.id, 'testas/alice', 'the connection');
    const replay = await handler.fetch(new Request(callback.href, { headers: { accept: 'application/json' } }));
    equal([replay.status, (await replay.json()).error.code], [400, 'state_reused'], 'the callback replayed');

    const me = await handler.fetch(new Request(`${origin}/proxy/testas/me`, {
      headers: { authorization: `Bearer ${secret}`, cookie: 'mine=1' },
    }));
    equal(me.status, 200, 'GET /proxy/testas/me');
    equal((await me.json()).sub, 'alice', 'the API saw alice');
    const echo = await handler.fetch(new Request(`${origin}/proxy/testas/echo?q=1`, {
      method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'text/plain', cookie: 'mine=1' }, body: 'hi',
    }));
    const seen = await echo.json();
    equal([seen.method, seen.body, seen.query.q], ['POST', 'hi', '1'], 'the request went as sent');
    check(seen.headers.authorization?.startsWith('Bearer ') && seen.headers.authorization !== `Bearer ${secret}`,
      'the proxy secret was replaced by the connection\'s token');
    check(!('cookie' in seen.headers), 'the caller\'s cookie stayed here');

    const refused = await handler.fetch(new Request(`${origin}/proxy/testas/me`, { headers: { authorization: 'Bearer wrong' } }));
    equal(refused.status, 401, 'a wrong proxy secret');
    const unknown = await handler.fetch(new Request(`${origin}/proxy/nosuch/me`, { headers: { authorization: `Bearer ${secret}` } }));
    check(unknown.status === 404, `an unknown provider: ${unknown.status}`);
    equal((await handler.fetch(new Request(`${origin}/nowhere`))).status, 404, 'no route');
    broker.close();
  });

  return t.tests;
}
