// The CLI's usage errors: a misspelt verb or option, a missing value, a bad choice, an extra or
// missing argument each exit 1 (not CLI11's 105–114) with one sentence naming the mistake and the
// closest valid verb or option. Nothing here needs a server: parsing fails before anything runs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';

import { Cli, tempDir } from './harness.mjs';

const cli = new Cli({ dir: tempDir(), caFile: '' });

/// Runs `args`, which must be a usage error: exit 1, nothing on stdout, one line on stderr.
async function usageError(args) {
  const r = await cli.run(args);
  assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '', args.join(' '));
  assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /Run with --help/);  // CLI11's own words are replaced
  return r.stderr.trim();
}

describe('usage errors exit 1 and name the closest valid verb or option', () => {
  const cases = [
    [['conect', 'testas'], "latchkey: unknown command 'conect'; did you mean 'connect'?"],
    [['sttaus', 'testas'], "latchkey: unknown command 'sttaus'; did you mean 'status'?"],
    [['providers', 'lst'], "latchkey: unknown command 'providers lst'; did you mean 'providers list'?"],
    [['apps', 'delte', 'testas'], "latchkey: unknown command 'apps delte'; did you mean 'apps delete'?"],
    [['connect', 'testas', '--scope', 'api:read'], 'latchkey: unknown option --scope; did you mean --scopes?'],
    [['connect', 'testas', '--no-brow'], 'latchkey: unknown option --no-brow; did you mean --no-browser?'],
    [['status', '--acount', 'bob', 'testas'], 'latchkey: unknown option --acount; did you mean --account?'],
    [['request', 'testas', '/me', '-x', 'POST'], 'latchkey: unknown option -x; did you mean -X?'],
    [['connect', 'testas', '--scopes'], 'latchkey: --scopes needs a value'],
    [['request', 'testas', '/me', '-H'], 'latchkey: --header needs a value'],
    [['mode', 'testas', '--set', 'manged'],
      "latchkey: --set: 'manged' is not one of managed, your-own; did you mean 'managed'?"],
    [['mode', 'testas', '--set', 'your_own'],
      "latchkey: --set: 'your_own' is not one of managed, your-own; did you mean 'your-own'?"],
    [['status', 'testas', 'extra'],
      "latchkey: unexpected argument 'extra' for `latchkey status` (`latchkey status --help` says what it takes)"],
    [['connect'], 'latchkey: missing PROVIDER for `latchkey connect` (`latchkey connect --help` says what it takes)'],
    [['apps', 'upsert', '--provider', 'testas'],
      'latchkey: missing --client-id for `latchkey apps upsert` (`latchkey apps upsert --help` says what it takes)'],
    [['providers'], 'latchkey: `latchkey providers` needs a command: list, get, register, update, discover, delete '
      + '(`latchkey providers --help` says what each does)'],
    // A global option after the verb: CLI11 takes those only before it.
    [['status', 'testas', '--store', 'x.db'], 'latchkey: --store belongs to `latchkey`: put it before `status`'],
  ];
  for (const [args, message] of cases) {
    test(args.join(' '), async () => {
      assert.equal(await usageError(args), message);
    });
  }

  test('no suggestion when nothing is close', async () => {
    const verb = await usageError(['frobnicate']);
    assert.match(verb, /^latchkey: unknown command 'frobnicate'; `latchkey --help` lists them: providers, mode, apps, connect,/);
    assert.doesNotMatch(verb, /did you mean/);
    const option = await usageError(['connect', 'testas', '--zzzz']);
    assert.equal(option, 'latchkey: unknown option --zzzz for `latchkey connect` (`latchkey connect --help` lists its options)');
    const choice = await usageError(['mode', 'testas', '--set', 'nonsense']);
    assert.equal(choice, "latchkey: --set: 'nonsense' is not one of managed, your-own");
  });

  test('with --json the error is also a JSON document on stdout', async () => {
    const r = await cli.run(['status', 'testas', '--jsn', '--json']);
    assert.equal(r.status, 1);
    assert.deepEqual(r.json(), {
      error: { code: 'invalid_request', message: 'unknown option --jsn; did you mean --json?' },
    });
  });

  test('nothing runs: the store is not even created', async () => {
    await usageError(['connect', 'testas', '--scope', 'x']);
    assert.equal(existsSync(cli.env.LATCHKEY_STORE), false);
  });
});

describe('--help and --version still exit 0', () => {
  for (const args of [['--help'], ['connect', '--help'], ['providers', 'list', '--help'], ['request', '-h']]) {
    test(args.join(' '), async () => {
      const r = await cli.run(args);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Usage: /m);
    });
  }
  test('--version', async () => {
    const r = await cli.run(['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^latchkey \d+\.\d+\.\d+/);
  });
  test('request --help names the curl flags', async () => {
    const r = await cli.run(['request', '--help']);
    for (const flag of ['-G,--get', '-I,--head', '-s,--silent', '-v,--verbose', '--json']) assert.ok(r.stdout.includes(flag), flag);
  });
});
