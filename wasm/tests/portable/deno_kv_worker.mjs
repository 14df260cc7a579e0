// One Deno process of deno_kv_cluster.test.mjs: a broker on denoKvStorage over the KV file that
// the other process opens too.
//   deno run … deno_kv_worker.mjs connect KV_PATH   connects 'testas' (the short fixture); prints
//                                                   {"id", "token"}
//   deno run … deno_kv_worker.mjs race KV_PATH ID N prints {"ready": true}, waits for a line on
//                                                   stdin, then makes N concurrent
//                                                   getAccessToken(ID); prints {"tokens": [...]}
// LATCHKEY_TEST_CONTEXT: the driver's context file (the fixtures, the package).
import { connect, setUpProvider } from './support.mjs';

const [mode, kvPath, id, n] = Deno.args;
const ctx = JSON.parse(await Deno.readTextFile(Deno.env.get('LATCHKEY_TEST_CONTEXT')));
const { createBroker } = await import(ctx.pkgUrl);
const { denoKvStorage } = await import(new URL('adapters/deno_kv.js', ctx.pkgUrl).href);

const kv = await Deno.openKv(kvPath);
// The same key in both processes: each opens what the other sealed.
const broker = await createBroker({ storage: denoKvStorage(kv), masterKey: new Uint8Array(32).fill(42) });
const say = (o) => console.log(JSON.stringify(o));

if (mode === 'connect') {
  await setUpProvider(broker, ctx.fixtures.short);
  const conn = await connect(ctx, broker);
  say({ id: conn.id, token: await broker.getAccessToken(conn.id) });
} else if (mode === 'race') {
  say({ ready: true });
  await Deno.stdin.readable.getReader().read(); // "go": both processes start together
  const tokens = await Promise.all(Array.from({ length: Number(n) }, () => broker.getAccessToken(id)));
  say({ tokens });
} else {
  throw new Error(`unknown mode ${mode}: connect or race`);
}
broker.close();
kv.close();
