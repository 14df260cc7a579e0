// What the portable suites share: the fixtures as the driver describes them (ctx), reached with
// the runtime's own fetch(). Nothing here may import a Node built-in: it also runs in workerd.

/// Registers fixture `fx` (ctx.fixtures.main or .short) as provider 'testas' with its app.
export async function setUpProvider(broker, fx) {
  await broker.providers.register(fx.provider);
  await broker.apps.upsert({ provider: fx.provider.key, clientId: 'latchkey-cli', clientSecret: 'cli-secret' });
  return fx.provider;
}

/// authorize → the driver's browser consents → the callback URL (not fetched).
export async function consent(ctx, broker, { provider = 'testas', login = 'alice', deny = false, redirectUri = ctx.redirect, ...rest } = {}) {
  const { url } = await broker.authorize(provider, { redirectUri, ...rest });
  return consentAt(ctx, url, { login, deny });
}

/// The driver's browser signs in and consents (or denies) at consent URL `url`: the callback URL.
export async function consentAt(ctx, url, { login = 'alice', deny = false } = {}) {
  const r = await fetch(`${ctx.control}/consent`, { method: 'POST', body: JSON.stringify({ url, login, deny }) });
  const body = await r.json();
  if (r.status !== 200) throw new Error(`consent failed: ${body.error}`);
  return body.callbackUrl;
}

/// A whole authorization-code connect: the connection.
export async function connect(ctx, broker, options) {
  return broker.handleCallback(await consent(ctx, broker, options));
}

/// The fixture AS's counters ({ token: { authorization_code, refresh_token }, tokenErrors, ... }).
export async function asStats(fx, { reset = false } = {}) {
  const r = await fetch(`${fx.issuer}/__stats${reset ? '/reset' : ''}`, { method: reset ? 'POST' : 'GET' });
  return r.json();
}

/// Revokes `token` at the fixture AS (RFC 7009): the whole grant goes with it.
export async function revokeAtAs(fx, token) {
  const r = await fetch(fx.endpoints.revocation, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa('latchkey-cli:cli-secret')}` },
    body: new URLSearchParams({ token }),
  });
  if (r.status !== 200) throw new Error(`revocation answered ${r.status}`);
}

/// Rejects unless `promise` rejects with a LatchkeyError of `code` (and a message matching `message`).
export async function rejectsWith(promise, code, message) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  if (!error) throw new Error(`expected a LatchkeyError '${code}', but it succeeded`);
  if (error?.name !== 'LatchkeyError' || error.code !== code || (message && !message.test(error.message))) {
    throw new Error(`expected LatchkeyError '${code}'${message ? ` matching ${message}` : ''}, got ${error?.name} '${error?.code}': ${error?.message}`, { cause: error });
  }
  return error;
}

export function check(condition, what) {
  if (!condition) throw new Error(what);
}

export function equal(actual, expected, what = 'values differ') {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: got ${a}, expected ${b}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// A window.localStorage stand-in (Web Storage's getItem/setItem/removeItem/key/length).
export function storageShim() {
  const m = new Map();
  return {
    get length() { return m.size; },
    key: (i) => [...m.keys()][i] ?? null,
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => { m.set(k, String(v)); },
    removeItem: (k) => { m.delete(k); },
  };
}
