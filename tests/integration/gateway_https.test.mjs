// latchkeyd where users reach it: behind Debian's nginx terminating https with a generated
// certificate (--public-url, --trusted-proxy), and terminating TLS itself (--tls-cert/--tls-key,
// reloaded on SIGHUP). The whole browser sign-in runs through https://127.0.0.1:PORT against the
// real authorization server, which sees (and only accepts) the https redirect URI.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { defaultClients, startAuthServer } from '../fixtures/auth_server.mjs';
import { completeConsent } from '../fixtures/consent.mjs';
import { freePort, readCa } from '../fixtures/http_util.mjs';
import { gatewayLocation, startNginx } from '../fixtures/nginx.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, createKeys, providerFor, request, sleep, startWith, tempDir } from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));
const ca = readCa(pki.ca.cert);

/// One request over https trusting the test CA: { status, headers, text, json() }.
function httpsRequest(url, { method = 'GET', key, body, headers = {}, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (key) h.authorization = `Bearer ${key}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const req = https.request(url, { method, headers: h, ca, agent: false, localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/// The protocol a handshake with `port` settles on, for a client that offers at most `maxVersion`
/// (and, at OpenSSL's lowest security level, also TLS 1.0/1.1, so only the server can refuse them).
/// Also what it used: { protocol, group (the key exchange's), reused, session (to resume with) }.
function handshake(port, maxVersion, session) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', minVersion: 'TLSv1', maxVersion,
      ciphers: 'DEFAULT@SECLEVEL=0', session }, () => {
      const result = { protocol: s.getProtocol(), group: s.getEphemeralKeyInfo()?.name, reused: s.isSessionReused() };
      setTimeout(() => { s.end(); resolve({ ...result, session: ticket }); }, 20);  // a ticket may follow the handshake
    });
    let ticket;
    s.on('session', (t) => { ticket = t; });
    s.on('error', reject);
  });
}

/// The certificate a TLS server at `port` presents right now (its subject's CN).
function presentedCn(port) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.end();
      resolve(cn);
    });
    s.on('error', reject);
  });
}

/// Debian's nginx terminating https on `port` in front of `upstream` (host:port), as docs/deploy.md shows.
function startHttpsProxy(dir, port, upstream) {
  return startNginx(dir, {
    workers: 1,
    http: `  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${pki.server.cert};
    ssl_certificate_key ${pki.server.key};
    ${gatewayLocation(upstream)}
  }`,
    ready: async () => (await httpsRequest(`https://127.0.0.1:${port}/healthz`)).status > 0,
  });
}

describe('latchkeyd behind https', () => {
  let as; let api; let cli; let keys; let proxied; let direct; let nginx; let nginxPort; let tlsPort; let certDir;
  before(async () => {
    nginxPort = await freePort();
    tlsPort = await freePort();
    // A confidential web client whose only redirect URIs are the two https origins under test.
    const web = {
      client_id: 'latchkey-web',
      client_secret: 'web-secret',
      client_name: 'latchkey gateway (web)',
      application_type: 'web',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [`https://127.0.0.1:${nginxPort}/oauth/callback`, `https://127.0.0.1:${tlsPort}/oauth/callback`],
    };
    as = await startAuthServer({ pki, clients: [...defaultClients, web] });
    api = await startApiServer({ pki, authServer: as });
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    const file = cli.writeFile('provider.json', JSON.stringify(providerFor(as, api, { key: 'webas' })));
    assert.equal((await cli.run(['providers', 'register', '--file', file])).status, 0);
    const app = await cli.run(['apps', 'upsert', '--provider', 'webas', '--client-id', 'latchkey-web',
      '--client-secret-stdin'], { input: 'web-secret\n' });
    assert.equal(app.status, 0, app.stderr);
    keys = await createKeys(cli, [['alice', 'user'], ['admin', 'admin']]);

    // Only 127.0.0.1 (nginx) is a trusted proxy: clients use 127.0.0.2, so a header they forge is
    // told apart from what nginx adds.
    proxied = await startWith(['serve', '--listen', '127.0.0.1:0', '--public-url', `https://127.0.0.1:${nginxPort}`,
      '--trusted-proxy', '127.0.0.1/32'], cli.env).ready;
    nginx = await startHttpsProxy(join(cli.dir, 'nginx'), nginxPort, new URL(proxied.url).host);

    certDir = join(cli.dir, 'certs');
    mkdirSync(certDir);
    copyFileSync(pki.server.cert, join(certDir, 'gw.pem'));
    copyFileSync(pki.server.key, join(certDir, 'gw.key'));
    direct = startWith(['serve', '--listen', `127.0.0.1:${tlsPort}`, '--tls-cert', join(certDir, 'gw.pem'),
      '--tls-key', join(certDir, 'gw.key')], cli.env);
    await direct.ready;
  });
  after(async () => {
    nginx?.kill('SIGTERM');
    for (const g of [proxied, direct]) if (g && g.child.exitCode === null) g.child.kill('SIGKILL');
    await api?.close();
    await as?.close();
  });

  test('behind nginx: the whole sign-in runs over https with the public redirect URI', async () => {
    const origin = `https://127.0.0.1:${nginxPort}`;
    const info = await httpsRequest(`${origin}/v1/info`, { key: keys.alice, localAddress: '127.0.0.2' });
    assert.equal(info.status, 200, info.text);
    assert.equal(info.json().public_url, origin);
    assert.equal(info.json().callback_url, `${origin}/oauth/callback`);

    const started = await httpsRequest(`${origin}/v1/providers/webas/authorize?scopes=openid,api:read`,
      { key: keys.alice, localAddress: '127.0.0.2' });
    assert.equal(started.status, 200, started.text);
    const url = new URL(started.json().authorization_url);
    assert.equal(url.searchParams.get('redirect_uri'), `${origin}/oauth/callback`, 'the provider sees the https URI');
    // The browser comes back through nginx over https (consent.mjs fetches the callback with the CA).
    const consent = await completeConsent(url.href, { caFile: pki.ca.cert });
    assert.ok(consent.callbackUrl.startsWith(`${origin}/oauth/callback?`), consent.callbackUrl);
    assert.equal(consent.status, 200, consent.body);
    assert.match(consent.body, /connected/);
    const list = await httpsRequest(`${origin}/v1/connections`, { key: keys.alice, localAddress: '127.0.0.2' });
    assert.deepEqual(list.json().map((c) => c.id), ['webas/alice']);
    // And the connection works through the proxy.
    const token = await httpsRequest(`${origin}/v1/connections/webas/alice/token`, { method: 'POST', key: keys.alice });
    assert.equal(token.status, 200, token.text);
    assert.equal((await as.introspect(token.json().access_token)).active, true);
  });

  test('an app\'s own redirect_uri wins over the public callback', async () => {
    const origin = `https://127.0.0.1:${nginxPort}`;
    const def = providerFor(as, api, { key: 'ownredirect' });
    assert.equal((await httpsRequest(`${origin}/v1/providers`, { method: 'POST', key: keys.admin, body: JSON.stringify(def) })).status, 201);
    const put = await httpsRequest(`${origin}/v1/providers/ownredirect/app`, { method: 'PUT', key: keys.admin,
      body: JSON.stringify({ client_id: 'latchkey-web', redirect_uri: 'https://app.example/oauth/done' }) });
    assert.equal(put.status, 200, put.text);
    const r = await httpsRequest(`${origin}/v1/providers/ownredirect/authorize`, { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    assert.equal(new URL(r.json().authorization_url).searchParams.get('redirect_uri'), 'https://app.example/oauth/done');
  });

  test('forwarded headers are believed from the trusted proxy only', async () => {
    const origin = `https://127.0.0.1:${nginxPort}`;
    const mark = proxied.stderr.length;
    // Through nginx from 127.0.0.2, with a forged X-Forwarded-For: nginx appends the real peer,
    // and the right-most untrusted address is the client the log names.
    const r = await httpsRequest(`${origin}/v1/whoami`, { key: keys.alice, localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(r.status, 200);
    // Straight to the gateway from 127.0.0.2 (not trusted): its forged headers change nothing.
    const forged = await request(`${proxied.url}/v1/info`, { key: keys.alice, localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
    assert.equal(forged.status, 200);
    assert.equal(forged.json().callback_url, `${origin}/oauth/callback`, 'the public URL, whatever was forwarded');
    // /healthz checks the Host: the public host passes through nginx, a forged one does not.
    assert.equal((await httpsRequest(`${origin}/healthz`)).status, 200);
    const rebinding = await request(`${proxied.url}/healthz`, { headers: { host: 'evil.example' }, localAddress: '127.0.0.2' });
    assert.equal(rebinding.status, 421);
    await sleep(200);  // the access log is written in batches within 50 ms
    const lines = proxied.stderr.slice(mark).trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const whoami = lines.find((l) => l.route === '/v1/whoami');
    assert.equal(whoami?.client, '127.0.0.2', JSON.stringify(lines));
    const info = lines.find((l) => l.route === '/v1/info');
    assert.equal(info?.client, '127.0.0.2', 'an untrusted peer is logged as itself');
    assert.ok(!proxied.stderr.includes('198.51.100.7'), 'a forged address is never logged');
  });

  test('TLS on the listener: sign-in over https://127.0.0.1:PORT, TLS 1.2 at least', async () => {
    const origin = `https://127.0.0.1:${tlsPort}`;
    const started = await httpsRequest(`${origin}/v1/providers/webas/authorize?account=direct`, { key: keys.alice });
    assert.equal(started.status, 200, started.text);
    const url = new URL(started.json().authorization_url);
    assert.equal(url.searchParams.get('redirect_uri'), `${origin}/oauth/callback`);
    const consent = await completeConsent(url.href, { caFile: pki.ca.cert });
    assert.equal(consent.status, 200, consent.body);
    const list = await httpsRequest(`${origin}/v1/connections`, { key: keys.alice });
    assert.ok(list.json().some((c) => c.id === 'webas/direct'), list.text);
    const first = await handshake(tlsPort, 'TLSv1.2');
    assert.equal(first.protocol, 'TLSv1.2');
    // A group browsers offer first (mbedTLS's own default would pick P-521: ~20 ms a handshake).
    assert.ok(['X25519', 'prime256v1'].includes(first.group), first.group);
    assert.ok(first.session, 'a session ticket was issued');
    const again = await handshake(tlsPort, 'TLSv1.2', first.session);
    assert.equal(again.reused, true, 'a returning client resumes (RFC 5077 ticket)');
    await assert.rejects(handshake(tlsPort, 'TLSv1.1'), 'TLS 1.1 is refused by the server');
    // Plain http on the TLS port gets no answer, and the gateway keeps serving.
    await assert.rejects(request(`http://127.0.0.1:${tlsPort}/healthz`));
    assert.equal((await httpsRequest(`${origin}/healthz`)).status, 200);
  });

  test('SIGHUP reloads the certificate; a broken one leaves the old in use', async () => {
    assert.equal(await presentedCn(tlsPort), 'localhost');
    copyFileSync(pki.wrongHost.cert, join(certDir, 'gw.pem'));
    copyFileSync(pki.wrongHost.key, join(certDir, 'gw.key'));
    direct.child.kill('SIGHUP');
    let cn;
    for (let i = 0; i < 50 && (cn = await presentedCn(tlsPort)) !== 'wrong.example'; i++) await sleep(50);
    assert.equal(cn, 'wrong.example', 'new connections get the new certificate');

    writeFileSync(join(certDir, 'gw.pem'), 'not a certificate');
    direct.child.kill('SIGHUP');
    for (let i = 0; i < 50 && !direct.stderr.includes('kept the certificate in use'); i++) await sleep(50);
    assert.match(direct.stderr, /SIGHUP: kept the certificate in use: --tls-cert .*gw\.pem/);
    assert.equal(await presentedCn(tlsPort), 'wrong.example', 'still serving with the last good pair');
    assert.equal(direct.child.exitCode, null);
  });

  test('bad TLS settings stop the start with a message naming the file', async () => {
    const bad = join(cli.dir, 'bad.pem');
    writeFileSync(bad, 'nope');
    for (const [args, pattern] of [
      [['--tls-cert', bad, '--tls-key', pki.server.key], /--tls-cert .*bad\.pem/],
      [['--tls-cert', pki.server.cert, '--tls-key', pki.wrongHost.key], /is not the private key of --tls-cert/],
      [['--tls-cert', pki.server.cert], /--tls-cert and --tls-key go together/],
      [['--public-url', 'https://vault.example.com/sub'], /--public-url .* without a path/],
      [['--trusted-proxy', '10.0.0.0/33'], /--trusted-proxy '10\.0\.0\.0\/33'/],
    ]) {
      const g = startWith(['serve', '--listen', '127.0.0.1:0', ...args], cli.env);
      await assert.rejects(g.ready);
      const { code } = await g.exited;
      assert.equal(code, 1);
      assert.match(g.stderr, pattern);
    }
  });
});
