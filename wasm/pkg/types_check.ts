// Compiled with `tsc --noEmit` in CI: the declarations must describe real usage.
import { createBroker, memoryStorage, LatchkeyError, type Broker, type ClientAuthMethod, type Connection, type DeviceAuthorization } from './index.js';

async function main(): Promise<void> {
  const broker: Broker = await createBroker({ storage: memoryStorage(), masterKey: new Uint8Array(32) });
  const providers = await broker.providers.list({ search: ['git'] });
  const first: string = providers[0].key;
  await broker.apps.upsert({ provider: first, clientId: 'id', clientSecret: 'secret', scopes: ['repo'] });
  await broker.apps.upsert({ provider: first, clientId: 'id', clientSecret: '-----BEGIN PRIVATE KEY-----…', tokenEndpointAuthMethod: 'private_key_jwt', keyId: 'k1' });
  const mcp = await broker.providers.discover('https://mcp.example.com/mcp', { key: 'mcp', mcp: true, redirectUri: 'http://127.0.0.1:8080/cb' });
  const audience: string | null | undefined = mcp.resource;
  const par: string | null | undefined = mcp.pushedAuthorizationRequestEndpoint;
  const method: ClientAuthMethod = mcp.tokenEndpointAuthMethod;
  if (method === 'private_key_jwt') console.log(mcp.key, audience, par);
  const issuer = await broker.providers.discover('https://accounts.example.com', { key: 'example' });
  console.log(issuer.key);
  // @ts-expect-error: an MCP server is registered with a redirect URI (the core refuses none)
  await broker.providers.discover('https://mcp.example.com/mcp', { key: 'mcp2', mcp: true });
  // @ts-expect-error: an issuer's discovery registers nothing, so it takes no redirect URI
  await broker.providers.discover('https://accounts.example.com', { redirectUri: 'http://127.0.0.1:8080/cb' });
  const { url, state } = await broker.authorize(first, { redirectUri: 'http://127.0.0.1:8080/cb' });
  const connection: Connection = await broker.handleCallback(`${url}&state=${state}`);
  const token: string = await broker.getAccessToken(connection.id);
  const response: Response = await broker.fetch(connection.id, '/user', { headers: { Accept: 'application/json' } });
  const device: DeviceAuthorization = await broker.device(first, { scopes: ['repo'], account: 'ci' });
  const shown: string = `${device.verificationUriComplete ?? device.verificationUri} ${device.userCode} ${device.interval / 1000}s`;
  const viaCode: Connection = await device.wait({ signal: AbortSignal.timeout(device.expiresAt - Date.now()) });
  if (viaCode.grant === 'device_code' || viaCode.grant === 'oauth1') console.log(shown);
  const slow: Broker = await createBroker({ sleep: (ms, signal) => new Promise((r) => { if (!signal?.aborted) setTimeout(r, ms); }) });
  slow.close();
  await broker.disconnect({ provider: first }, { revoke: true });
  try {
    await broker.status('nope/none');
  } catch (e) {
    if (e instanceof LatchkeyError && e.code === 'not_found') console.log(token.length, response.status);
  }
  broker.close();
}
void main;

// Every storage adapter has types, and each is a StorageAdapter createBroker takes with a key.
import { denoKvStorage, type DenoKvLike } from './adapters/deno_kv.js';
import { durableObjectStorage, LatchkeyStorageObject, type DurableObjectNamespaceLike, type DurableObjectStateLike } from './adapters/durable_object.js';
import { jsonFileStorage } from './adapters/json_file.js';
import { localStorageAdapter } from './adapters/local_storage.js';
import type { StorageAdapter } from './index.js';
import { kvStorage, type KvNamespaceLike } from '../edge/kv_storage.mjs';

async function adapters(kv: DenoKvLike, namespace: DurableObjectNamespaceLike, state: DurableObjectStateLike, workersKv: KvNamespaceLike): Promise<void> {
  const masterKey = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  const all: StorageAdapter[] = [
    denoKvStorage(kv, { prefix: ['app', 'latchkey'] }), durableObjectStorage(namespace, { name: 'latchkey' }),
    jsonFileStorage('./latchkey.json'), localStorageAdapter(undefined, { prefix: 'lk:' }), memoryStorage(),
    kvStorage(workersKv, { prefix: 'lk:' }),
  ];
  for (const storage of all) (await createBroker({ storage, masterKey })).close();
  const object = new LatchkeyStorageObject(state);
  const answer: Response = await object.fetch(new Request('https://latchkey-storage/', { method: 'POST', body: '{"op":"get","key":"k"}' }));
  // @ts-expect-error: a version is a number
  const version: string = (await all[0].put('k', 'v'));
  console.log(answer.status, version);
}
void adapters;
