// The real catalog entries, run end to end against providers that behave as their documentation
// says (tests/fixtures/quirks_server.mjs): connect → token → refresh → request → disconnect
// --revoke, with every host pointed at loopback (tests/fixtures/catalog_at_loopback.mjs) and
// nothing else of the entry changed. Assertions read what the fixture was sent.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  differences, LOCAL_STATE_MEMBERS, registerAtLoopback, URL_MEMBERS,
} from '../fixtures/catalog_at_loopback.mjs';
import { request } from '../fixtures/http_util.mjs';
import {
  FB_LONG_LIVED_SECONDS, MAILCHIMP_DC, QUICKBOOKS_REALM, SALESFORCE_INSTANCE, SHOPIFY_SHOP, startQuirksServer,
} from '../fixtures/quirks_server.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, tempDir } from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

let q;
let cli;
before(async () => {
  q = await startQuirksServer({ pki });
  cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
});
after(async () => { await q?.close(); });

/// Registers the catalog's `key` at the fixture, checking the rewrite changed hosts only.
async function atLoopback(key, options = {}) {
  const lb = await registerAtLoopback(cli, key, q.origin, { clientId: q.CLIENT_ID, clientSecret: q.CLIENT_SECRET, ...options });
  assertOnlyHostsChanged(lb);
  return lb;
}

/// The registered entry differs from the catalog's exactly where lb.changes says, and each of
/// those is the key, a URL whose host became the fixture's first path segment, or an injection host.
function assertOnlyHostsChanged(lb) {
  const { original, entry, changes } = lb;
  const stated = changes.map((c) => c.path).sort();
  const found = differences(original, entry).filter((p) => !LOCAL_STATE_MEMBERS.includes(p)).sort();
  assert.deepEqual(found, stated, 'the entry changed beyond what the helper lists');
  for (const c of changes) {
    if (c.path === 'key') continue;
    if (c.path.startsWith('injection.hosts.')) {
      assert.equal(c.to, q.origin);
      continue;
    }
    assert.ok(URL_MEMBERS.includes(c.path), c.path);
    const host = /^https:\/\/([^/?#]+)/.exec(c.from)[1];
    assert.equal(c.to, `${q.origin}/${host}${c.from.slice(`https://${host}`.length)}`);
  }
}

const connect = (key) => cli.connect(key);

/// A connect whose callback carries a code the provider never issued.
async function connectWithBadCode(key) {
  q.badCodes = true;
  try { return await connect(key); } finally { q.badCodes = false; }
}

const since = (n) => q.requests.slice(n);
const mark = () => q.requests.length;

describe('salesforce: API base from instance_url, no expires_in, refresh answer without a refresh token', () => {
  test('connect → token → refresh → request on the instance → revoke', async () => {
    const lb = await atLoopback('salesforce');
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, 'alice@quirks.example');  // the identity endpoint on the login host

    const code = q.to('login.salesforce.com', '/services/oauth2/token');
    assert.equal(code.length, 1);
    assert.equal(code[0].form.grant_type, 'authorization_code');

    // No expires_in: the token is taken as it is, and not refreshed before it is used.
    const tok = await cli.run(['token', lb.key, '--json']);
    assert.equal(tok.status, 0, tok.stderr);
    const t1 = tok.json();
    assert.equal(q.isActive(t1.access_token), true);
    assert.equal(t1.expires_at_ms, null);
    assert.equal(q.to('login.salesforce.com', '/services/oauth2/token').length, 1, 'no refresh for a token without expiry');

    // Forced refresh: the answer has no refresh token, so the first one must be kept and sent again.
    const r1 = await cli.run(['token', lb.key, '--force-refresh']);
    assert.equal(r1.status, 0, r1.stderr);
    const r2 = await cli.run(['token', lb.key, '--force-refresh']);
    assert.equal(r2.status, 0, r2.stderr);
    const refreshes = q.to('login.salesforce.com', '/services/oauth2/token').filter((r) => r.form.grant_type === 'refresh_token');
    assert.equal(refreshes.length, 2);
    assert.ok(refreshes[0].form.refresh_token.length > 10);
    assert.equal(refreshes[1].form.refresh_token, refreshes[0].form.refresh_token, 'the old refresh token was kept');
    const t3 = r2.stdout.trim();
    assert.notEqual(t3, t1.access_token);

    // A request goes to the org's instance (learned from instance_url), with the current token.
    const n = mark();
    const api = await cli.run(['request', lb.key, '/v60.0/limits']);
    assert.equal(api.status, 0, api.stderr);
    assert.equal(JSON.parse(api.stdout).DailyApiRequests.Max, 15000);
    const sent = since(n);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].host, SALESFORCE_INSTANCE);
    assert.equal(sent[0].path, '/services/data/v60.0/limits');
    assert.equal(sent[0].headers.authorization, `Bearer ${t3}`);

    // Revocation: the refresh token (which takes its access tokens with it) at the login host.
    const d = await cli.run(['disconnect', lb.key, '--revoke', '--json']);
    assert.equal(d.status, 0, d.stderr);
    const revokes = q.to('login.salesforce.com', '/services/oauth2/revoke');
    assert.ok(revokes.length >= 1);
    assert.equal(revokes[0].form.token, refreshes[0].form.refresh_token);
    assert.equal(q.isActive(t3), false);
    assert.equal((await cli.run(['token', lb.key])).status, 1, 'the connection is gone');
  });
});

describe('salesforce revocation', () => {
  test('disconnect --revoke reports the tokens revoked', async () => {
    const lb = await atLoopback('salesforce', { key: 'lb-salesforce-revoke' });
    assert.equal((await connect(lb.key)).status, 0);
    const d = await cli.run(['disconnect', lb.key, '--revoke', '--json']);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.json().revoked, true, d.stdout);
  });
});

describe('quickbooks: realmId from the callback in every API path', () => {
  test('connect → token → refresh → request under the company', async () => {
    const lb = await atLoopback('quickbooks');
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.browser.params.realmId, QUICKBOOKS_REALM);
    assert.equal(c.json().account, 'alice@quirks.example');
    const [exchange] = q.to('oauth.platform.intuit.com', '/oauth2/v1/tokens/bearer');
    assert.match(exchange.headers.authorization, /^Basic /);  // client_secret_basic, as Intuit requires
    assert.equal(exchange.form.client_secret, undefined);

    const t1 = (await cli.run(['token', lb.key])).stdout.trim();
    assert.equal(q.isActive(t1), true);
    const r = await cli.run(['token', lb.key, '--force-refresh']);
    assert.equal(r.status, 0, r.stderr);
    const t2 = r.stdout.trim();
    assert.notEqual(t2, t1);
    const refresh = q.to('oauth.platform.intuit.com', '/oauth2/v1/tokens/bearer').at(-1);
    assert.equal(refresh.form.grant_type, 'refresh_token');
    assert.match(refresh.headers.authorization, /^Basic /);

    const n = mark();
    const api = await cli.run(['request', lb.key, `/companyinfo/${QUICKBOOKS_REALM}`]);
    assert.equal(api.status, 0, api.stderr);
    assert.equal(JSON.parse(api.stdout).CompanyInfo.Id, QUICKBOOKS_REALM);
    const [sent] = since(n);
    assert.equal(sent.host, 'quickbooks.api.intuit.com');
    assert.equal(sent.path, `/v3/company/${QUICKBOOKS_REALM}/companyinfo/${QUICKBOOKS_REALM}`);
    assert.equal(sent.headers.authorization, `Bearer ${t2}`);
  });

  test('disconnect --revoke sends Intuit\'s JSON body', async () => {
    const lb = await atLoopback('quickbooks', { key: 'lb-quickbooks-revoke' });
    assert.equal((await connect(lb.key)).status, 0);
    const token = (await cli.run(['token', lb.key])).stdout.trim();
    const d = await cli.run(['disconnect', lb.key, '--revoke', '--json']);
    assert.equal(d.status, 0, d.stderr);
    const revokes = q.to('developer.api.intuit.com', '/v2/oauth2/tokens/revoke');
    assert.ok(revokes.length >= 1);
    assert.match(revokes[0].headers['content-type'], /^application\/json/);
    assert.equal(typeof revokes[0].json?.token, 'string');
    assert.equal(d.json().revoked, true, d.stdout);
    assert.equal(q.isActive(token), false);
  });
});

describe('mailchimp: data centre from the metadata endpoint, a token that never expires', () => {
  test('connect: the metadata call, then the identity on the learned data centre', async () => {
    const lb = await atLoopback('mailchimp');
    const n = mark();
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    const meta = since(n).filter((r) => r.host === 'login.mailchimp.com' && r.path === '/oauth2/metadata');
    assert.equal(meta.length, 1, 'one metadata request at connect');
    const token = /^(?:OAuth|Bearer) (\S+)$/.exec(meta[0].headers.authorization)?.[1];
    assert.ok(token && q.isActive(token), 'the metadata request carries the new token');
    // The account is named by the identity endpoint, on the data centre the metadata gave.
    assert.equal(c.json().account, 'alice@quirks.example');
    const identity = since(n).filter((r) => r.path === '/3.0/');
    assert.equal(identity.length, 1);
    assert.equal(identity[0].host, `${MAILCHIMP_DC}.api.mailchimp.com`);
    assert.equal(identity[0].headers.authorization, `Bearer ${token}`);
  });

  test('token → request at the dc host → disconnect (expires_in 0 means "never")', async () => {
    const lb = await atLoopback('mailchimp', { key: 'lb-mailchimp-later' });
    assert.equal((await connect(lb.key)).status, 0);
    const t = await cli.run(['token', lb.key]);
    assert.equal(t.status, 0, t.stderr);
    const token = t.stdout.trim();
    assert.equal(q.isActive(token), true);
    const m = mark();
    const api = await cli.run(['request', lb.key, '/ping']);
    assert.equal(api.status, 0, api.stderr);
    assert.equal(JSON.parse(api.stdout).health_status, "Everything's Chimpy!");
    const [sent] = since(m);
    assert.equal(sent.host, `${MAILCHIMP_DC}.api.mailchimp.com`);
    assert.equal(sent.path, '/3.0/ping');
    assert.equal(sent.headers.authorization, `Bearer ${token}`);
    const d = await cli.run(['disconnect', lb.key, '--revoke', '--json']);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.json().deleted, true);
    assert.match(d.json().revocation_error, /no revocation endpoint/);
  });
});

describe('tiktok: client_key instead of client_id', () => {
  test('connect → token → refresh → request → revoke, client_key everywhere', async () => {
    const lb = await atLoopback('tiktok');
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, 'afd97af1-b87b-48b9-ac98-410aghda5344');
    const [auth] = q.to('www.tiktok.com', '/v2/auth/authorize/');
    assert.equal(auth.query.client_key, q.CLIENT_ID);
    assert.equal(auth.query.client_id, undefined);
    const [exchange] = q.to('open.tiktokapis.com', '/v2/oauth/token/');
    assert.equal(exchange.form.client_key, q.CLIENT_ID);
    assert.equal(exchange.form.client_id, undefined);
    assert.equal(exchange.form.client_secret, q.CLIENT_SECRET);

    const r = await cli.run(['token', lb.key, '--force-refresh']);
    assert.equal(r.status, 0, r.stderr);
    const token = r.stdout.trim();
    const refresh = q.to('open.tiktokapis.com', '/v2/oauth/token/').at(-1);
    assert.equal(refresh.form.grant_type, 'refresh_token');
    assert.equal(refresh.form.client_key, q.CLIENT_ID);
    assert.equal(refresh.form.client_id, undefined);

    const n = mark();
    const api = await cli.run(['request', lb.key, '/user/info/?fields=open_id,display_name']);
    assert.equal(api.status, 0, api.stderr);
    assert.equal(JSON.parse(api.stdout).data.user.display_name, 'quirky');
    const [sent] = since(n);
    assert.equal(sent.host, 'open.tiktokapis.com');
    assert.equal(sent.path, '/v2/user/info/');
    assert.equal(sent.headers.authorization, `Bearer ${token}`);

    const d = await cli.run(['disconnect', lb.key, '--revoke', '--json']);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.json().revoked, true, d.stdout);
    const revokes = q.to('open.tiktokapis.com', '/v2/oauth/revoke/');
    assert.ok(revokes.length >= 1);
    for (const rv of revokes) {
      assert.equal(rv.form.client_key, q.CLIENT_ID);
      assert.equal(rv.form.client_id, undefined);
    }
    assert.equal(q.isActive(token), false);
  });
});

describe('github: errors in an HTTP 200, expires_in as a string', () => {
  test('a bad code, answered HTTP 200 {"error":"bad_verification_code"}, fails the connect', async () => {
    const lb = await atLoopback('github', { key: 'lb-github-badcode' });
    const c = await connectWithBadCode(lb.key);
    const [exchange] = q.to('github.com', '/login/oauth/access_token');
    assert.ok(exchange, 'the code was exchanged');
    assert.equal(c.status, 3, c.stderr);  // authorize again: the 200 was read as the grant's rejection
    assert.match(c.stderr, /rejected the authorization code/);
    assert.equal((await cli.run(['status', lb.key])).status, 1, 'nothing stored');
  });

  test('... and the message carries GitHub\'s own error code', async () => {
    const lb = await atLoopback('github', { key: 'lb-github-badcode-2' });
    const c = await connectWithBadCode(lb.key);
    assert.equal(c.status, 3, c.stderr);
    assert.match(c.stderr, /bad_verification_code/);
  });

  test('connect → refresh (expires_in "28800") → request', async () => {
    const lb = await atLoopback('github');
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, 'octocat');
    const r = await cli.run(['token', lb.key, '--force-refresh']);
    assert.equal(r.status, 0, r.stderr);
    const t = await cli.run(['token', lb.key, '--json']);
    const now = Date.now();
    const { access_token: token, expires_at_ms: expiresAt } = t.json();
    assert.ok(token.startsWith('ghu_'));
    // 28800 s from the refresh, read from the string.
    assert.ok(Math.abs(expiresAt - (now + 28800 * 1000)) < 60 * 1000, `expires_at ${expiresAt} vs now ${now}`);

    const n = mark();
    const api = await cli.run(['request', lb.key, '/user']);
    assert.equal(api.status, 0, api.stderr);
    const [sent] = since(n);
    assert.equal(sent.host, 'api.github.com');
    assert.equal(sent.headers.authorization, `Bearer ${token}`);
  });
});

describe('slack: the user token under authed_user, errors and revocation in HTTP 200s', () => {
  test('connect → token → request → revoke', async () => {
    const lb = await atLoopback('slack');
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, 'U1234');  // auth.test's user_id
    const [auth] = q.to('slack.com', '/oauth/v2/authorize');
    assert.equal(auth.query.user_scope, 'users:read');
    const token = (await cli.run(['token', lb.key])).stdout.trim();
    assert.ok(token.startsWith('xoxe.xoxp-1-'), 'the user token from authed_user');
    assert.equal(q.isActive(token), true);

    const n = mark();
    const api = await cli.run(['request', lb.key, '/users.info?user=U1234']);
    assert.equal(api.status, 0, api.stderr);
    assert.equal(JSON.parse(api.stdout).ok, true);
    const [sent] = since(n);
    assert.equal(sent.host, 'slack.com');
    assert.equal(sent.path, '/api/users.info');
    assert.equal(sent.headers.authorization, `Bearer ${token}`);

    const d = await cli.run(['disconnect', lb.key, '--revoke', '--json']);
    assert.equal(d.status, 0, d.stderr);
    assert.ok(q.to('slack.com', '/api/auth.revoke').some((r) => r.form?.token === token));
    assert.equal(q.isActive(token), false);
  });

  test('a bad code, answered HTTP 200 {"ok":false,"error":"invalid_code"}, fails the connect', async () => {
    const lb = await atLoopback('slack', { key: 'lb-slack-badcode' });
    const c = await connectWithBadCode(lb.key);
    assert.ok(q.to('slack.com', '/api/oauth.v2.access').length >= 1, 'the code was exchanged');
    assert.equal(c.status, 3, c.stderr);
    assert.match(c.stderr, /rejected the authorization code/);
    assert.equal((await cli.run(['status', lb.key])).status, 1, 'nothing stored');
  });

  test('... and the message carries Slack\'s own error code', async () => {
    const lb = await atLoopback('slack', { key: 'lb-slack-badcode-2' });
    const c = await connectWithBadCode(lb.key);
    assert.equal(c.status, 3, c.stderr);
    assert.match(c.stderr, /invalid_code/);
  });

  test('a rotated refresh (token at the top level of the answer) keeps the connection', async () => {
    const lb = await atLoopback('slack', { key: 'lb-slack-refresh' });
    assert.equal((await connect(lb.key)).status, 0);
    const r = await cli.run(['token', lb.key, '--force-refresh']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(q.isActive(r.stdout.trim()), true);
    const refresh = q.to('slack.com', '/api/oauth.v2.access').at(-1);
    assert.equal(refresh.form.grant_type, 'refresh_token');
  });

  test('ping sees a revoked token in auth.test\'s {"ok":false}', async () => {
    const lb = await atLoopback('slack', { key: 'lb-slack-ping' });
    assert.equal((await connect(lb.key)).status, 0);
    assert.equal((await cli.run(['ping', lb.key])).status, 0);
    q.revoke((await cli.run(['token', lb.key])).stdout.trim());
    const p = await cli.run(['ping', lb.key]);
    assert.equal(p.status, 3, p.stdout);  // the token is refused: connect again
    assert.match(p.stdout, /failed: HTTP 200 .*ok is not true: invalid_auth/);
  });
});

describe('dropbox: offline refresh keeps the first refresh token; Bearer revocation', () => {
  test('connect → token → refresh twice → POST request', async () => {
    const lb = await atLoopback('dropbox');
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(q.to('www.dropbox.com', '/oauth2/authorize')[0].query.token_access_type, 'offline');
    for (let i = 0; i < 2; i += 1) {
      const r = await cli.run(['token', lb.key, '--force-refresh']);
      assert.equal(r.status, 0, r.stderr);
    }
    const grants = q.to('api.dropboxapi.com', '/oauth2/token').map((r) => r.form);
    assert.equal(grants.length, 3);
    assert.deepEqual(grants.map((g) => g.grant_type), ['authorization_code', 'refresh_token', 'refresh_token']);
    assert.equal(grants[2].refresh_token, grants[1].refresh_token, 'the first refresh token was kept');
    const token = (await cli.run(['token', lb.key])).stdout.trim();

    const n = mark();
    const api = await cli.run(['request', lb.key, '/users/get_current_account', '-X', 'POST']);
    assert.equal(api.status, 0, api.stderr);
    const [sent] = since(n);
    assert.equal(sent.host, 'api.dropboxapi.com');
    assert.equal(sent.path, '/2/users/get_current_account');
    assert.equal(sent.headers.authorization, `Bearer ${token}`);
  });

  test('disconnect --revoke sends the token in a Bearer header, no body', async () => {
    const lb = await atLoopback('dropbox', { key: 'lb-dropbox-revoke' });
    assert.equal((await connect(lb.key)).status, 0);
    const token = (await cli.run(['token', lb.key])).stdout.trim();
    const d = await cli.run(['disconnect', lb.key, '--revoke', '--json']);
    assert.equal(d.status, 0, d.stderr);
    const [rv] = q.to('api.dropboxapi.com', '/2/auth/token/revoke');
    assert.equal(rv.headers.authorization, `Bearer ${token}`);
    assert.equal(rv.raw, '');
    assert.equal(d.json().revoked, true, d.stdout);
    assert.equal(q.isActive(token), false);
  });
});

describe('facebook and instagram: long-lived tokens by exchange, no refresh tokens', () => {
  test('facebook: connect → token → request', async () => {
    const lb = await atLoopback('facebook');
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, '10158123456789');
    const token = (await cli.run(['token', lb.key])).stdout.trim();
    const n = mark();
    const api = await cli.run(['request', lb.key, '/me']);
    assert.equal(api.status, 0, api.stderr);
    const [sent] = since(n);
    assert.equal(sent.host, 'graph.facebook.com');
    assert.equal(sent.path, '/v25.0/me');
    assert.equal(sent.headers.authorization, `Bearer ${token}`);
  });

  test('facebook: connect trades the short-lived token for a long-lived one (grant_type=fb_exchange_token)', async () => {
    const lb = await atLoopback('facebook', { key: 'lb-facebook-exchange' });
    const n = mark();
    assert.equal((await connect(lb.key)).status, 0);
    const grants = since(n).filter((r) => r.host === 'graph.facebook.com' && r.path === '/v25.0/oauth/access_token');
    assert.equal(grants.length, 2, 'the code exchange, then the long-lived exchange');
    const ex = grants[1];
    assert.equal(ex.method, 'GET');
    assert.equal(ex.query.grant_type, 'fb_exchange_token');
    assert.equal(ex.query.client_secret, q.CLIENT_SECRET);
    const r = await cli.run(['token', lb.key, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(ex.query.fb_exchange_token && ex.query.fb_exchange_token !== r.json().access_token,
      'the connection keeps the long-lived token, not the one it traded');
    assert.ok(Math.abs(r.json().expires_at_ms - (Date.now() + FB_LONG_LIVED_SECONDS * 1000)) < 60 * 1000);
  });

  test('instagram: connect → token → request', async () => {
    const lb = await atLoopback('instagram');
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, 'quirky');
    const token = (await cli.run(['token', lb.key])).stdout.trim();
    const n = mark();
    const api = await cli.run(['request', lb.key, '/me?fields=user_id,username']);
    assert.equal(api.status, 0, api.stderr);
    const [sent] = since(n);
    assert.equal(sent.host, 'graph.instagram.com');
    assert.equal(sent.path, '/me');
    assert.equal(sent.headers.authorization, `Bearer ${token}`);
  });

  test('instagram: connect trades the token (ig_exchange_token), a refresh renews it (ig_refresh_token)', async () => {
    const lb = await atLoopback('instagram', { key: 'lb-instagram-exchange' });
    assert.equal((await connect(lb.key)).status, 0);
    const [ex] = q.to('graph.instagram.com', '/access_token');
    assert.equal(ex.method, 'GET');
    assert.equal(ex.query.grant_type, 'ig_exchange_token');
    const long = (await cli.run(['token', lb.key])).stdout.trim();
    assert.ok(ex.query.access_token && ex.query.access_token !== long, 'the connection keeps the long-lived token');
    const r = await cli.run(['token', lb.key, '--force-refresh']);
    assert.equal(r.status, 0, r.stderr);
    const [rf] = q.to('graph.instagram.com', '/refresh_access_token');
    assert.equal(rf.query.grant_type, 'ig_refresh_token');
    assert.equal(rf.query.access_token, long);
    assert.equal(rf.headers.authorization, undefined);
    assert.notEqual(r.stdout.trim(), long);
  });
});

describe('shopify: the shop host, X-Shopify-Access-Token, expiring=1 on the code exchange only', () => {
  test('connect → token → request on the shop', async () => {
    const lb = await atLoopback('shopify', { templates: [`shop=${SHOPIFY_SHOP}`] });
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, `${SHOPIFY_SHOP}.myshopify.com`);
    const token = (await cli.run(['token', lb.key])).stdout.trim();
    const n = mark();
    const api = await cli.run(['request', lb.key, '/shop.json']);
    assert.equal(api.status, 0, api.stderr);
    const [sent] = since(n);
    assert.equal(sent.host, `${SHOPIFY_SHOP}.myshopify.com`);
    assert.equal(sent.path, '/admin/api/2026-10/shop.json');
    assert.equal(sent.headers['x-shopify-access-token'], token);
    assert.equal(sent.headers.authorization, undefined);
  });

  test('an expiring offline token: expiring=1 on the code exchange, not on refresh', async () => {
    const lb = await atLoopback('shopify', { key: 'lb-shopify-expiring', templates: [`shop=${SHOPIFY_SHOP}`] });
    const n = mark();
    assert.equal((await connect(lb.key)).status, 0);
    const [exchange] = since(n).filter((r) => r.path === '/admin/oauth/access_token');
    assert.equal(exchange.form.expiring, '1');
    const t = (await cli.run(['token', lb.key, '--json'])).json();
    assert.ok(t.expires_at_ms > Date.now());
    const r = await cli.run(['token', lb.key, '--force-refresh']);
    assert.equal(r.status, 0, r.stderr);
    const refresh = since(n).filter((x) => x.path === '/admin/oauth/access_token').at(-1);
    assert.equal(refresh.form.grant_type, 'refresh_token');
    assert.equal(refresh.form.expiring, undefined);
  });
});

describe('notion: JSON token request, Notion-Version on every API request', () => {
  test('connect → token → ping → revoke', async () => {
    const lb = await atLoopback('notion');
    const c = await connect(lb.key);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, 'Quirks');  // the identity request carries Notion-Version
    const [exchange] = q.to('api.notion.com', '/v1/oauth/token');
    assert.match(exchange.headers.authorization, /^Basic /);
    assert.equal(exchange.json.grant_type, 'authorization_code');
    const token = (await cli.run(['token', lb.key])).stdout.trim();
    const p = await cli.run(['ping', lb.key]);
    assert.equal(p.status, 0, p.stderr);
    const d = await cli.run(['disconnect', lb.key, '--revoke', '--json']);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.json().revoked, true, d.stdout);
    assert.equal(q.isActive(token), false);
  });

  test('latchkey request adds Notion-Version', async () => {
    const lb = await atLoopback('notion', { key: 'lb-notion-headers' });
    assert.equal((await connect(lb.key)).status, 0);
    const n = mark();
    const api = await cli.run(['request', lb.key, '/users/me']);
    assert.equal(api.status, 0, api.stderr);
    assert.ok(since(n)[0].headers['notion-version']);
  });
});

// The fixture tells the quirks apart: the same flows with the quirk taken out of the entry fail
// where the tests above assert, so those tests can fail.
describe('controls: entries with the quirk removed fail', () => {
  test('salesforce with its API base on the login host: the request is not served', async () => {
    const lb = await registerAtLoopback(cli, 'salesforce', q.origin, {
      key: 'lb-salesforce-noinstance', clientId: q.CLIENT_ID, clientSecret: q.CLIENT_SECRET,
      mutate: (e) => {
        e.api_base_url = `${q.origin}/{login_host}/services/data`;
        delete e.template_params.instance;
      },
    });
    assert.equal((await connect(lb.key)).status, 0);
    const api = await cli.run(['request', lb.key, '/v60.0/limits']);
    assert.equal(api.status, 2, api.stdout);
  });

  test('quickbooks reading realmId from a callback parameter Intuit does not send: no connection', async () => {
    const lb = await registerAtLoopback(cli, 'quickbooks', q.origin, {
      key: 'lb-quickbooks-norealm', clientId: q.CLIENT_ID, clientSecret: q.CLIENT_SECRET,
      mutate: (e) => { e.template_params.realm.from = 'callback.companyId'; },
    });
    const c = await connect(lb.key);
    assert.notEqual(c.status, 0);
    assert.match(c.stderr, /callback\.companyId/);
  });

  test('tiktok without client_id_param: TikTok refuses the authorization request', async () => {
    const lb = await registerAtLoopback(cli, 'tiktok', q.origin, {
      key: 'lb-tiktok-noclientkey', clientId: q.CLIENT_ID, clientSecret: q.CLIENT_SECRET,
      mutate: (e) => { delete e.client_id_param; },
    });
    const run = cli.start(['connect', lb.key, '--no-browser', '--json', '--timeout', '60']);
    const url = await run.link;
    const page = await fetchText(url);
    run.child.kill();
    await run.done;
    assert.equal(page.status, 400);
    assert.match(page.body, /no client_key/);
  });

  test('shopify with the token in Authorization: the Admin API refuses it', async () => {
    const lb = await registerAtLoopback(cli, 'shopify', q.origin, {
      key: 'lb-shopify-authorization', clientId: q.CLIENT_ID, clientSecret: q.CLIENT_SECRET, templates: [`shop=${SHOPIFY_SHOP}`],
      mutate: (e) => { e.injection.header = 'Authorization'; e.injection.prefix = 'Bearer '; },
    });
    assert.equal((await connect(lb.key)).status, 0);
    const api = await cli.run(['request', lb.key, '/shop.json']);
    assert.equal(api.status, 3, api.stdout);  // 401 even after a refresh
  });
});

/// GET `url` with the test CA trusted, without following redirects.
const fetchText = (url) => request(url, { ca: readFileSync(pki.ca.cert) });
