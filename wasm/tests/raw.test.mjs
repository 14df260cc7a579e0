// The raw JS layers of both wasm modules, against one set of tests:
//
//   LATCHKEY_WASM_PKG=build/wasm/wasm/pkg node --test wasm/tests/raw.test.mjs          (Emscripten)
//   LATCHKEY_WASI_WASM=build/wasi/wasm/latchkey-wasi.wasm node --test wasm/tests/raw.test.mjs (WASI)
//
// A layer whose variable is unset is skipped; one whose variable is set but whose artifact is
// missing fails. ctest sets the variable of its preset's layer (wasm/CMakeLists.txt).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

const pkgDir = process.env.LATCHKEY_WASM_PKG;
const wasiFile = process.env.LATCHKEY_WASI_WASM;

const layers = [
  {
    name: 'emscripten (@latchkey/wasm/raw)',
    skip: pkgDir ? false : 'LATCHKEY_WASM_PKG is not set',
    async load() {
      const mod = await import(pathToFileURL(path.join(path.resolve(pkgDir), 'raw.js')).href);
      return { mod, bytes: await readFile(path.join(pkgDir, 'dist', 'latchkey.wasm')) };
    },
  },
  {
    name: 'wasi (wasm/wasi/raw.mjs)',
    skip: wasiFile ? false : 'LATCHKEY_WASI_WASM is not set',
    async load() {
      const mod = await import(new URL('../wasi/raw.mjs', import.meta.url).href);
      return { mod, bytes: await readFile(wasiFile) };
    },
  },
];

const b64 = (n, fill) => Buffer.alloc(n, fill).toString('base64');
const CONFIG = JSON.stringify({ master_keys: { 1: b64(32, 7) }, current_key_version: 1, entropy: b64(48, 9) });
const NOW = 1_800_000_000_123; // > 2^32: an int64 that would not survive being cut to 32 bits

/// A store answering the store effects with docs/effects.md's semantics, over a Map.
function mapStore(entries = []) {
  const map = new Map(entries); // key -> { value, version }
  const seen = [];
  function answer(effect) {
    seen.push(effect);
    const cur = map.get(effect.key);
    switch (effect.kind) {
      case 'store.get':
        return cur ? { found: true, value: cur.value, version: cur.version } : { found: false };
      case 'store.put': {
        const version = (cur?.version ?? 0) + 1;
        map.set(effect.key, { value: effect.value, version });
        return { version };
      }
      case 'store.cas': {
        if ((cur?.version ?? 0) !== effect.expected_version) return { conflict: true };
        const version = (cur?.version ?? 0) + 1;
        map.set(effect.key, { value: effect.value, version });
        return { version };
      }
      case 'store.delete':
        if (!cur) return { found: false };
        if (effect.expected_version && cur.version !== effect.expected_version) return { conflict: true };
        map.delete(effect.key);
        return { found: true };
      case 'store.list':
        return {
          records: [...map.keys()].filter((k) => k.startsWith(effect.prefix)).sort()
            .map((key) => ({ key, value: map.get(key).value, version: map.get(key).version })),
        };
      case 'wait':
        return {};
      case 'http':
        return { transport_error: 'no network in this test' };
      default:
        throw new Error(`unknown effect ${JSON.stringify(effect)}`);
    }
  }
  return { map, seen, answer };
}

/// Runs one operation to its end, answering every effect from `store`; returns the done document.
function run(raw, engine, request, store, now = NOW) {
  const op = raw.opBegin(engine, JSON.stringify(request), now);
  try {
    let step = JSON.parse(raw.opStep(op));
    while (step.effect) step = JSON.parse(raw.opResume(op, JSON.stringify(store.answer(step.effect)), now));
    assert.ok(step.done, 'an operation ends with {"done": ...}');
    return step.done;
  } finally {
    raw.opFree(op);
  }
}

for (const layer of layers) {
  describe(layer.name, { skip: layer.skip }, () => {
    let mod;
    let bytes;
    let raw;
    before(async () => {
      ({ mod, bytes } = await layer.load());
      raw = await mod.createRaw({ wasmBinary: bytes });
    });

    test('version and error codes', () => {
      assert.match(raw.version(), /^\d+\.\d+\.\d+/);
      const codes = JSON.parse(raw.errorCodes()).ok;
      assert.ok(codes.includes('invalid_request') && codes.includes('not_found') && codes.includes('internal'));
      assert.equal(new Set(codes).size, codes.length);
    });

    test('the catalog has google', () => {
      const providers = JSON.parse(raw.catalog()).ok;
      const google = providers.find((p) => p.key === 'google');
      assert.ok(google, 'google is in the catalog');
      assert.equal(google.token_endpoint, 'https://oauth2.googleapis.com/token');
    });

    test('PKCE challenge: RFC 7636 Appendix B', () => {
      const doc = JSON.parse(raw.pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'));
      assert.equal(doc.ok.challenge, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
      assert.equal(JSON.parse(raw.pkceChallenge('short')).error.code, 'invalid_request');
    });

    test('validateProvider returns a document either way', () => {
      assert.equal(JSON.parse(raw.validateProvider('{"key": 1}')).error.code, 'invalid_request');
      const acme = JSON.parse(raw.validateProvider(JSON.stringify({
        key: 'acme', display_name: 'Acme', auth_mode: 'oauth2', api_base_url: 'https://api.acme.test',
        authorization_endpoint: 'https://acme.test/authorize', token_endpoint: 'https://acme.test/token',
      })));
      assert.equal(acme.ok?.key, 'acme', JSON.stringify(acme));
      assert.deepEqual(acme.ok.injection.hosts, ['https://api.acme.test']);
    });

    test('engineNew throws LatchkeyError on a bad configuration', () => {
      for (const config of ['{}', 'not json', '[]', JSON.stringify({ master_keys: { 1: b64(32, 1) } })]) {
        assert.throws(() => raw.engineNew(config), (e) => {
          assert.ok(e instanceof mod.LatchkeyError, `${config}: a LatchkeyError`);
          assert.ok(e instanceof Error);
          assert.equal(e.name, 'LatchkeyError');
          assert.equal(e.code, 'invalid_request');
          assert.ok(e.message.length > 0);
          return true;
        });
      }
    });

    test('addEntropy takes base64 and rejects anything else', () => {
      const engine = raw.engineNew(CONFIG);
      try {
        raw.addEntropy(engine, b64(32, 3));
        assert.throws(() => raw.addEntropy(engine, '***'), (e) => e instanceof mod.LatchkeyError && e.code === 'invalid_request');
      } finally {
        raw.engineFree(engine);
      }
    });

    test('upsert_app, get_app and authorize round-trip through a store', () => {
      const engine = raw.engineNew(CONFIG);
      const store = mapStore();
      try {
        const upserted = run(raw, engine, {
          op: 'upsert_app', provider: 'google', client_id: 'cid-123', client_secret: 's3cret-value',
          redirect_uri: 'http://127.0.0.1:8080/cb', scopes: ['openid', 'email'],
        }, store);
        assert.ok(upserted.ok, JSON.stringify(upserted));
        assert.equal(upserted.ok.client_id, 'cid-123');
        assert.equal(upserted.ok.has_client_secret, true);
        assert.ok(store.map.size > 0, 'the app was stored');
        for (const [key, { value }] of store.map) assert.ok(!value.includes('s3cret-value'), `${key} holds the secret sealed`);
        assert.ok(store.seen.some((e) => e.kind === 'store.cas' || e.kind === 'store.put'));

        const fetched = run(raw, engine, { op: 'get_app', provider: 'google' }, store);
        assert.deepEqual(fetched, upserted, 'get_app reads back what upsert_app wrote');
        assert.ok(!JSON.stringify(fetched).includes('s3cret-value'));

        // now_ms is an int64 crossing the ABI: the pending authorization expires now + 10 min.
        const started = run(raw, engine, { op: 'authorize', provider: 'google' }, store);
        assert.ok(started.ok, JSON.stringify(started));
        assert.equal(started.ok.expires_at_ms, NOW + 600_000);
        const url = new URL(started.ok.authorization_url);
        assert.equal(url.searchParams.get('client_id'), 'cid-123');
        assert.equal(url.searchParams.get('state'), started.ok.state);
        assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      } finally {
        raw.engineFree(engine);
      }
    });

    test('get_token without a connection is a not_found document', () => {
      const engine = raw.engineNew(CONFIG);
      // One canned record of another provider: not the connection asked for.
      const store = mapStore([['conn/default/other/default', { value: '{}', version: 3 }]]);
      try {
        const done = run(raw, engine, { op: 'get_token', provider: 'github' }, store);
        assert.equal(done.error?.code, 'not_found', JSON.stringify(done));
        assert.ok(store.seen.length > 0, 'the store was asked');
        assert.ok(store.seen.every((e) => e.kind.startsWith('store.')));
      } finally {
        raw.engineFree(engine);
      }
    });

    test('a bad request or effect result ends the operation with an error document', () => {
      const engine = raw.engineNew(CONFIG);
      try {
        assert.equal(run(raw, engine, { op: 'no_such_op' }, mapStore()).error.code, 'invalid_request');
        const op = raw.opBegin(engine, 'not json', NOW);
        assert.equal(JSON.parse(raw.opStep(op)).done.error.code, 'invalid_request');
        raw.opFree(op);
        const op2 = raw.opBegin(engine, JSON.stringify({ op: 'get_app', provider: 'google' }), BigInt(NOW));
        assert.equal(JSON.parse(raw.opStep(op2)).effect.kind, 'store.get');
        assert.ok(JSON.parse(raw.opResume(op2, '{"nonsense": true}', NOW)).done.error);
        raw.opFree(op2);
      } finally {
        raw.engineFree(engine);
      }
    });

    test('stateless helpers: buildAuthorization and parseTokenResponse', () => {
      const engine = raw.engineNew(CONFIG);
      try {
        const built = JSON.parse(raw.buildAuthorization(engine, JSON.stringify({
          provider: 'google', client_id: 'cid', redirect_uri: 'http://127.0.0.1:9/cb', scopes: ['openid'],
        })));
        assert.ok(built.ok, JSON.stringify(built));
        assert.equal(new URL(built.ok.authorization_url).searchParams.get('code_challenge'), built.ok.code_challenge);
        const parsed = JSON.parse(raw.parseTokenResponse(JSON.stringify({
          provider: 'google', status: 200, content_type: 'application/json', now_ms: NOW,
          body: JSON.stringify({ access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 }),
        })));
        assert.equal(parsed.ok?.access_token, 'at-1', JSON.stringify(parsed));
        assert.equal(parsed.ok.expires_at_ms, NOW + 3_600_000);
      } finally {
        raw.engineFree(engine);
      }
    });

    test('stale handles and NUL characters throw instead of touching memory', () => {
      const engine = raw.engineNew(CONFIG);
      const op = raw.opBegin(engine, JSON.stringify({ op: 'list_apps' }), NOW);
      raw.opFree(op);
      assert.throws(() => raw.opStep(op), mod.LatchkeyError);
      assert.throws(() => raw.opFree(op), mod.LatchkeyError);
      assert.throws(() => raw.pkceChallenge('abc\0def'), mod.LatchkeyError);
      assert.throws(() => raw.opBegin(engine, '{}', NaN), TypeError);
      // Freeing an engine with an open operation keeps it alive until the operation is freed.
      const open = raw.opBegin(engine, JSON.stringify({ op: 'get_app', provider: 'google' }), NOW);
      raw.engineFree(engine);
      assert.throws(() => raw.opBegin(engine, '{}', NOW), mod.LatchkeyError);
      assert.equal(JSON.parse(raw.opResume(open, '{"found": false}', NOW)).done.error.code, 'not_found');
      raw.opFree(open);
      assert.throws(() => raw.engineFree(engine), mod.LatchkeyError);
    });

    test('creating from a compiled WebAssembly.Module', async () => {
      const wasmModule = await WebAssembly.compile(bytes);
      const other = await mod.createRaw({ wasmModule });
      assert.equal(other.version(), raw.version());
      assert.notEqual(other.memory, raw.memory, 'a separate instance');
      const engine = other.engineNew(CONFIG);
      assert.equal(run(other, engine, { op: 'get_app', provider: 'google' }, mapStore()).error.code, 'not_found');
      other.engineFree(engine);
    });

    test('memory stays bounded over 10,000 operations', () => {
      const engine = raw.engineNew(CONFIG);
      // A long provider key makes every request and step about 2 KB: leaking either, or the
      // operation, would need 20 MB or more over the loop and grow the memory.
      const request = JSON.stringify({ op: 'get_app', provider: `p${'x'.repeat(1000)}` });
      const cycle = () => {
        const op = raw.opBegin(engine, request, NOW);
        const step = raw.opStep(op);
        raw.opFree(op);
        return step;
      };
      try {
        for (let i = 0; i < 500; i++) cycle();
        const before = raw.memory.buffer.byteLength;
        let step;
        for (let i = 0; i < 10_000; i++) step = cycle();
        assert.ok(step.length > 1000 && JSON.parse(step).effect, step.slice(0, 100));
        const after = raw.memory.buffer.byteLength;
        assert.ok(after <= before + 1024 * 1024, `memory grew from ${before} to ${after} bytes`);
      } finally {
        raw.engineFree(engine);
      }
    });

    if (layer.name.startsWith('wasi')) {
      test('with node:wasi instead of the built-in WASI stubs', async () => {
        const { WASI } = await import('node:wasi');
        const wasi = new WASI({ version: 'preview1', args: [], env: {} });
        const other = await mod.createRaw({ wasmModule: await WebAssembly.compile(bytes), wasi });
        assert.equal(JSON.parse(other.pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).ok.challenge,
          'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
      });

    }
  });
}
