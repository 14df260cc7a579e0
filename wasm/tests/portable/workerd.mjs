// The package inside workerd (Cloudflare Workers' runtime, run directly with a generated config):
//   node wasm/tests/portable/workerd.mjs [--no-edge] [SUITE.mjs...]
//   (LATCHKEY_WASM_PKG: the built package; LATCHKEY_TEST_ONLY: a regexp over test names)
//
// As wrangler would deploy them, each Worker is an esbuild bundle with latchkey.wasm left as a
// module of its own (type Wasm: the runtime compiles it; a Worker may not compile code itself).
// One workerd process serves:
//   suite      the portable suites, bundled in (POST / runs them; the harness's lines stream back),
//              after this runner's own check that a missing wasmModule is named; a suite that
//              exports storageConformance (storage.suite.mjs) also runs it on the Durable Object
//   edge0..2   wasm/edge/worker.mjs, three services = three isolates, their storage one Durable
//              Object (class LatchkeyStorageObject in edge0, the others bind it by serviceName)
//   kv0..2     the same Worker on a KV-shaped store instead (kvstore, a service of its own)
// Their outbound fetch() trusts the fixtures' test CA and may reach loopback addresses. The
// fixtures and the consent browser run here, in Node (driver.mjs's startFixtures); then the edge
// tests (edge_workerd.test.mjs) drive the edge Workers from here over HTTP.
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

import { freePort } from '../../../tests/fixtures/http_util.mjs';
import { pkgDir, root, startFixtures } from './driver.mjs';
import edgeSuite from './edge_workerd.suite.mjs';
import { runSuite } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const COMPATIBILITY_DATE = '2025-04-01'; // no nodejs_compat: the package needs none
const MASTER_KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(5)));
const PROXY_SECRET = 'workerd-proxy-secret';
const EDGE_ISOLATES = 3;

// wrangler's rule for `import m from './x.wasm'`: the import stays, naming a module uploaded
// beside the script. Every bundle here names it 'latchkey.wasm'.
const wasmAsModule = {
  name: 'wasm-as-module',
  setup(build) {
    build.onResolve({ filter: /\.wasm$/ }, () => ({ path: 'latchkey.wasm', external: true }));
  },
};

// The edge files a suite imports from the source tree (edge.suite.mjs: ../../edge/handler.mjs)
// are the project's copies, which import the built package as pkg/ (startWorkerd lays it out).
const edgeFromProject = (project) => ({
  name: 'edge-from-project',
  setup(build) {
    build.onResolve({ filter: /\/edge\/[a-z_]+\.mjs$/ }, (args) => {
      const path = resolve(args.resolveDir, args.path);
      return path.startsWith(join(root, 'wasm/edge/')) ? { path: join(project, 'edge', path.split('/').pop()) } : undefined;
    });
  },
});

async function bundle(entry, outfile, project) {
  await esbuild.build({
    entryPoints: [entry], outfile, bundle: true, format: 'esm', target: 'es2022',
    platform: 'browser', conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*'], plugins: [wasmAsModule, edgeFromProject(project)], logLevel: 'warning',
  });
}

// The suites' entry: the package as a Worker imports it, with createBroker (and the raw layer,
// below) given the imported module, since workerd gives modules no URL to find the file by.
const suiteEntry = ({ pkgDir, suites }) => `
import * as latchkey from ${JSON.stringify(join(pkgDir, 'index.js'))};
import { durableObjectStorage } from ${JSON.stringify(join(pkgDir, 'adapters/durable_object.js'))};
import wasmModule from 'latchkey.wasm';
import { createSuite, runSuite } from ${JSON.stringify(join(here, 'harness.mjs'))};
import { rejectsWith } from ${JSON.stringify(join(here, 'support.mjs'))};
${suites.map((s, i) => `import * as suite${i} from ${JSON.stringify(s)};`).join('\n')}
const SUITES = [${suites.map((s, i) => `[${JSON.stringify(s.split('/').pop())}, suite${i}]`).join(', ')}];

// A suite that exports storageConformance (storage.suite.mjs) also runs it on the Durable Object
// adapter: each test on an object of its own (empty), the pair on two stubs of one object.
function durableObjectConformance(suite, tests, env) {
  if (!suite.storageConformance) return;
  const run = crypto.randomUUID();
  let n = 0;
  const make = (name = \`conformance-\${run}-\${++n}\`) => durableObjectStorage(env.LATCHKEY_DO, { name });
  const t = createSuite();
  suite.storageConformance(t, 'durableObjectStorage (a Durable Object)', () => make(), {
    pair: () => { const name = \`conformance-\${run}-\${++n}\`; return [make(name), make(name)]; },
  });
  tests.push(...t.tests);
}

export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return new Response('ready');
    const { only } = await request.json();
    const pkg = { ...latchkey, createBroker: (o = {}) => latchkey.createBroker({ wasmModule, ...o }) };
    const ctx = {
      ...env.CTX,
      runtime: 'workerd',
      pkgUrl: 'file:///pkg/index.js', // so that new URL('raw.js', pkgUrl) names the module 'file:/pkg/raw.js'
    };
    const { readable, writable } = new TransformStream();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const write = (line) => writer.write(encoder.encode(line + '\\n'));
    (async () => {
      write('# workerd.mjs on workerd');
      await runSuite([{ name: 'createBroker without wasmModule is refused with a LatchkeyError naming the option',
        fn: () => rejectsWith(latchkey.createBroker(), 'invalid_request', /wasmModule/) }], write, { only: only ? new RegExp(only) : undefined });
      for (const [name, suite] of SUITES) {
        write('# ' + name + ' on workerd');
        const tests = await suite.default({ pkg, ctx });
        durableObjectConformance(suite, tests, env);
        await runSuite(tests, write, { only: only ? new RegExp(only) : undefined });
      }
    })().catch((e) => write('not ok - the suites did not run: ' + (e?.stack ?? e))).finally(() => writer.close());
    return new Response(readable, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  },
};
`;

// The raw layer where raw.suite.mjs imports it from, new URL('raw.js', ctx.pkgUrl): workerd
// looks an absolute specifier file:///pkg/raw.js up as the module named 'file:/pkg/raw.js' (its
// imports then resolve under file:/pkg/, hence a second name for the wasm module).
const rawEntry = ({ pkgDir }) => `
import { createRaw as load } from ${JSON.stringify(join(pkgDir, 'raw.js'))};
import wasmModule from 'latchkey.wasm';
export * from ${JSON.stringify(join(pkgDir, 'raw.js'))};
export const createRaw = (o = {}) => load(o.wasmBinary || o.wasmModule ? o : { ...o, wasmModule });
`;

// A store with the Workers KV API's shape (get/put/delete/list with cursor pages), in an isolate
// of its own and reached over RPC, as a KV binding is reached over the network. It has none of
// KV's propagation delay, which would only widen the race the KV adapter documents.
const kvStoreWorker = `
import { WorkerEntrypoint } from 'cloudflare:workers';
const map = new Map();
export default class extends WorkerEntrypoint {
  async get(key) { return map.has(key) ? map.get(key) : null; }
  async put(key, value) { map.set(key, String(value)); }
  async delete(key) { map.delete(key); }
  async list({ prefix = '', limit = 1000, cursor } = {}) {
    const names = [...map.keys()].filter((k) => k.startsWith(prefix)).sort();
    const at = Number(cursor ?? 0);
    const done = at + limit >= names.length;
    return { keys: names.slice(at, at + limit).map((name) => ({ name })), list_complete: done, ...(done ? {} : { cursor: String(at + limit) }) };
  }
}
`;

const capnpString = (s) => JSON.stringify(s); // the configs' strings are ASCII paths and names

/// Bundles the Workers, writes the config and starts workerd: { suite, edge: { do, kv }, close() }
/// (origins). `fx`: startFixtures()'s answer.
export async function startWorkerd(fx, { suites = [] } = {}) {
  const { ctx, pki } = fx;
  const dir = join(ctx.tmp, 'workerd');
  mkdirSync(join(dir, 'do'), { recursive: true });
  // The edge example as a user's project lays it out: edge/ beside the package (as pkg/).
  mkdirSync(join(dir, 'project', 'edge'), { recursive: true });
  for (const f of ['handler.mjs', 'kv_storage.mjs', 'worker.mjs']) {
    copyFileSync(join(root, 'wasm/edge', f), join(dir, 'project/edge', f));
  }
  symlinkSync(ctx.pkgDir, join(dir, 'project/pkg'), 'dir');
  writeFileSync(join(dir, 'suite-entry.mjs'), suiteEntry({ pkgDir: ctx.pkgDir, suites }));
  writeFileSync(join(dir, 'raw-entry.mjs'), rawEntry({ pkgDir: ctx.pkgDir }));
  await Promise.all([
    bundle(join(dir, 'project/edge/worker.mjs'), join(dir, 'edge.js'), join(dir, 'project')),
    bundle(join(dir, 'suite-entry.mjs'), join(dir, 'suite.js'), join(dir, 'project')),
    bundle(join(dir, 'raw-entry.mjs'), join(dir, 'raw.js'), join(dir, 'project')),
  ]);
  copyFileSync(join(ctx.pkgDir, 'dist/latchkey.wasm'), join(dir, 'latchkey.wasm'));
  writeFileSync(join(dir, 'kvstore.js'), kvStoreWorker);
  copyFileSync(pki.ca.cert, join(dir, 'ca.pem'));
  writeFileSync(join(dir, 'ctx.json'), JSON.stringify(ctx));
  // The short fixture as a second provider, so one deployment serves both.
  const providers = [ctx.fixtures.main.provider, { ...ctx.fixtures.short.provider, key: 'testshort' }];
  writeFileSync(join(dir, 'providers.json'), JSON.stringify(providers));
  writeFileSync(join(dir, 'apps.json'), JSON.stringify(providers.map((p) => ({ provider: p.key, clientId: 'latchkey-cli', clientSecret: 'cli-secret' }))));

  const names = ['suite', ...Array.from({ length: EDGE_ISOLATES }, (_, i) => [`edge${i}`, `kv${i}`]).flat()];
  const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()])));
  const edgeWorker = (name, storageBindings, extra = '') => `(name = "${name}", worker = (
      modules = [(name = "worker.js", esModule = embed "edge.js"), (name = "latchkey.wasm", wasm = embed "latchkey.wasm")],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      globalOutbound = "fixtures",
      bindings = [${storageBindings},
        (name = "LATCHKEY_MASTER_KEY", text = "${MASTER_KEY}"),
        (name = "LATCHKEY_PROXY_SECRET", text = "${PROXY_SECRET}"),
        (name = "LATCHKEY_PROVIDERS", text = embed "providers.json"),
        (name = "LATCHKEY_APPS", text = embed "apps.json")]${extra}))`;
  const doBinding = '(name = "LATCHKEY_DO", durableObjectNamespace = (className = "LatchkeyStorageObject", serviceName = "edge0"))';
  const services = [
    `(name = "fixtures", network = (allow = ["public", "local"], tlsOptions = (trustedCertificates = [embed "ca.pem"])))`,
    `(name = "do-disk", disk = (path = ${capnpString(join(dir, 'do'))}, writable = true))`,
    `(name = "kvstore", worker = (modules = [(name = "kvstore.js", esModule = embed "kvstore.js")], compatibilityDate = "${COMPATIBILITY_DATE}"))`,
    `(name = "suite", worker = (
      modules = [(name = "suite.js", esModule = embed "suite.js"), (name = "file:/pkg/raw.js", esModule = embed "raw.js"),
                 (name = "latchkey.wasm", wasm = embed "latchkey.wasm"), (name = "file:/pkg/latchkey.wasm", wasm = embed "latchkey.wasm")],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      globalOutbound = "fixtures",
      bindings = [(name = "CTX", json = embed "ctx.json"), ${doBinding}]))`,
    ...Array.from({ length: EDGE_ISOLATES }, (_, i) => edgeWorker(`edge${i}`, doBinding, i === 0 ? `,
      durableObjectNamespaces = [(className = "LatchkeyStorageObject", uniqueKey = "latchkey-storage")],
      durableObjectStorage = (localDisk = "do-disk")` : '')),
    ...Array.from({ length: EDGE_ISOLATES }, (_, i) => edgeWorker(`kv${i}`, '(name = "LATCHKEY_KV", service = "kvstore")')),
  ];
  const sockets = names.map((n) => `(name = "${n}", address = "127.0.0.1:${ports[n]}", http = (), service = "${n}")`);
  writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    ${services.join(',\n    ')}
  ],
  sockets = [
    ${sockets.join(',\n    ')}
  ]
);
`);

  const child = spawn(join(root, 'node_modules/.bin/workerd'), ['serve', '--experimental', 'config.capnp', 'config'], {
    cwd: dir, stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = null;
  const exit = new Promise((ok) => child.on('exit', (code, signal) => { exited = code ?? signal; ok(); }));
  const origin = (n) => `http://127.0.0.1:${ports[n]}`;
  // Ready once every socket answers; an edge Worker answers a 404 only once its broker is up
  // (storage reached, providers and apps written), so this also starts each isolate's broker.
  for (const n of names) {
    for (let tries = 0; ; tries++) {
      if (exited !== null) throw new Error(`workerd exited (${exited}) before ${n} answered`);
      const r = await fetch(`${origin(n)}/ready`).catch(() => null);
      if (r && (n === 'suite' || r.status === 404)) break;
      if (r && tries > 100) throw new Error(`${n} answered ${r.status} to /ready: ${await r.text()}`);
      await r?.body?.cancel();
      if (tries > 200) throw new Error(`${n} did not answer on ${origin(n)}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  return {
    suite: origin('suite'),
    edge: {
      do: Array.from({ length: EDGE_ISOLATES }, (_, i) => origin(`edge${i}`)),
      kv: Array.from({ length: EDGE_ISOLATES }, (_, i) => origin(`kv${i}`)),
    },
    async close() {
      if (exited === null) child.kill('SIGTERM');
      await exit;
    },
  };
}

/// POSTs to the suite Worker and passes its lines through: the number of failed tests.
async function runSuitesIn(workers, only) {
  const r = await fetch(workers.suite, { method: 'POST', body: JSON.stringify({ only: only ?? null }) });
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of r.body) {
    const part = decoder.decode(chunk, { stream: true });
    text += part;
    process.stdout.write(part);
  }
  const summaries = [...text.matchAll(/^# pass (\d+) fail (\d+)$/gm)];
  if (r.status !== 200 || summaries.length === 0 || /^not ok - the suites did not run/m.test(text)) return 1;
  return summaries.reduce((n, m) => n + Number(m[2]), 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const edge = !args.includes('--no-edge');
  const suites = args.filter((a) => a.endsWith('.mjs')).map((a) => resolve(a));
  const only = process.env.LATCHKEY_TEST_ONLY;
  const started = Date.now();
  // 6 s tokens: a refreshed one is due again 5 s later, and a burst of 100 requests over three
  // isolates on a loaded machine must not take that long to end, or it refreshes twice, rightly.
  const fx = await startFixtures({ runtime: 'workerd', pkgDir, shortTtl: 6 });
  let workers;
  let failed = 0;
  try {
    workers = await startWorkerd(fx, { suites });
    console.log(`# workerd up in ${Date.now() - started} ms`);
    if (suites.length) failed += await runSuitesIn(workers, only);
    if (edge) {
      console.log('# edge_workerd.test.mjs on workerd');
      const tests = edgeSuite({ ctx: fx.ctx, as: fx.as, edge: workers.edge, proxySecret: PROXY_SECRET, note: (l) => console.log(`# ${l}`) });
      failed += await runSuite(tests, (l) => console.log(l), { only: only ? new RegExp(only) : undefined });
    }
  } catch (e) {
    console.log(`not ok - workerd: ${e?.stack ?? e}`);
    failed += 1;
  } finally {
    await workers?.close();
    await fx.close();
  }
  console.log(`# workerd run: ${Date.now() - started} ms`);
  process.exit(failed ? 1 : 0);
}
