// Compiled with `tsc --noEmit` in CI: the declarations must describe real usage.
import { createBroker, memoryStorage, LatchkeyError, type Broker, type Connection } from './index.js';

async function main(): Promise<void> {
  const broker: Broker = await createBroker({ storage: memoryStorage(), masterKey: new Uint8Array(32) });
  const providers = await broker.providers.list({ search: ['git'] });
  const first: string = providers[0].key;
  await broker.apps.upsert({ provider: first, clientId: 'id', clientSecret: 'secret', scopes: ['repo'] });
  const { url, state } = await broker.authorize(first, { redirectUri: 'http://127.0.0.1:8080/cb' });
  const connection: Connection = await broker.handleCallback(`${url}&state=${state}`);
  const token: string = await broker.getAccessToken(connection.id);
  const response: Response = await broker.fetch(connection.id, '/user', { headers: { Accept: 'application/json' } });
  await broker.disconnect({ provider: first }, { revoke: true });
  try {
    await broker.status('nope/none');
  } catch (e) {
    if (e instanceof LatchkeyError && e.code === 'not_found') console.log(token.length, response.status);
  }
  broker.close();
}
void main;
