// The raw layer (@latchkey/wasm/raw: the C ABI, JSON strings in and out) in whichever runtime runs
// it: the module's own answers, an operation driven by hand, and misuse refused before it reaches
// linear memory. (wasm/tests/raw.test.mjs holds the rest, under Node, for both wasm builds.)
import { createSuite } from './harness.mjs';
import { check, equal } from './support.mjs';

const NOW = 1_760_000_000_000;
const CONFIG = JSON.stringify({ master_keys: { 1: btoa('k'.repeat(32)) }, current_key_version: 1, entropy: btoa('e'.repeat(48)) });

/// Throws unless fn() throws an error named `name` (LatchkeyError, TypeError).
function throwsNamed(fn, name, what) {
  try {
    fn();
  } catch (e) {
    if (e?.name === name) return e;
    throw new Error(`${what}: threw ${e?.name}: ${e?.message}, expected a ${name}`);
  }
  throw new Error(`${what}: did not throw`);
}

export default function rawSuite({ ctx }) {
  const t = createSuite();
  let raw;
  const rawLayer = async () => {
    raw ??= await (await import(new URL('raw.js', ctx.pkgUrl).href)).createRaw();
    return raw;
  };

  t.test('raw: RFC 7636 appendix B vector, version, error codes, the catalog', async () => {
    const r = await rawLayer();
    equal(JSON.parse(r.pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).ok.challenge,
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'S256 challenge');
    equal(JSON.parse(r.pkceChallenge('short')).error.code, 'invalid_request', 'a short verifier');
    check(/^\d+\.\d+\.\d+/.test(r.version()), 'a version');
    const codes = JSON.parse(r.errorCodes()).ok;
    check(codes.includes('needs_reauth') && codes.includes('internal') && new Set(codes).size === codes.length, 'error codes');
    const google = JSON.parse(r.catalog()).ok.find((p) => p.key === 'google');
    equal(google?.token_endpoint, 'https://oauth2.googleapis.com/token', 'google in the catalog');
  });

  t.test('raw: stateless helpers (a consent URL, a token response) with now_ms as a number and a BigInt', async () => {
    const r = await rawLayer();
    const engine = r.engineNew(CONFIG);
    try {
      const built = JSON.parse(r.buildAuthorization(engine, JSON.stringify({
        provider: 'google', client_id: 'cid', redirect_uri: ctx.redirect, scopes: ['openid'],
      })));
      equal(new URL(built.ok.authorization_url).searchParams.get('code_challenge'), built.ok.code_challenge, 'the URL carries the challenge');
      const parsed = JSON.parse(r.parseTokenResponse(JSON.stringify({
        provider: 'google', status: 200, content_type: 'application/json', now_ms: NOW,
        body: JSON.stringify({ access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 }),
      })));
      equal([parsed.ok.access_token, parsed.ok.expires_at_ms], ['at-1', NOW + 3_600_000], 'the token and its expiry');
      const refused = JSON.parse(r.parseTokenResponse(JSON.stringify({
        provider: 'google', status: 400, content_type: 'application/json', now_ms: NOW,
        body: '{"error":"invalid_grant","error_description":"Bad Request"}',
      })));
      equal(refused.error.code, 'invalid_grant', 'a refused grant');
      // An operation driven by hand: get_app asks for one store read; "not found" ends it.
      for (const now of [NOW, BigInt(NOW)]) {
        const op = r.opBegin(engine, JSON.stringify({ op: 'get_app', provider: 'google' }), now);
        const step = JSON.parse(r.opStep(op));
        equal(step.effect?.kind, 'store.get', 'the first effect');
        equal(JSON.parse(r.opResume(op, '{"found": false}', now)).done.error.code, 'not_found', 'no app');
        r.opFree(op);
      }
    } finally {
      r.engineFree(engine);
    }
  });

  t.test('raw: a bad configuration, a stale handle and a NUL are refused before they reach memory', async () => {
    const r = await rawLayer();
    equal(throwsNamed(() => r.engineNew('{"master_keys": {}}'), 'LatchkeyError', 'a bad configuration').code, 'invalid_request', 'its code');
    const engine = r.engineNew(CONFIG);
    const op = r.opBegin(engine, JSON.stringify({ op: 'list_apps' }), NOW);
    r.opFree(op);
    throwsNamed(() => r.opStep(op), 'LatchkeyError', 'a freed operation');
    throwsNamed(() => r.pkceChallenge('abc\0def'), 'LatchkeyError', 'a NUL in a string');
    throwsNamed(() => r.opBegin(engine, '{}', NaN), 'TypeError', 'NaN as the time');
    r.engineFree(engine);
    throwsNamed(() => r.opBegin(engine, '{}', NOW), 'LatchkeyError', 'a freed engine');
  });

  t.test('raw: memory stays bounded over 3,000 operations', async () => {
    const r = await rawLayer();
    const engine = r.engineNew(CONFIG);
    const request = JSON.stringify({ op: 'get_app', provider: `p${'x'.repeat(1000)}` }); // ~2 KB a request and a step
    const cycle = () => { const op = r.opBegin(engine, request, NOW); r.opStep(op); r.opFree(op); };
    try {
      for (let i = 0; i < 300; i++) cycle();
      const before = r.memory.buffer.byteLength;
      for (let i = 0; i < 3000; i++) cycle();
      check(r.memory.buffer.byteLength <= before + 1024 * 1024, `memory grew from ${before} to ${r.memory.buffer.byteLength} bytes`);
    } finally {
      r.engineFree(engine);
    }
  });

  return t.tests;
}
