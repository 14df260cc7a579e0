// The Debian package from `cpack -G DEB`, taken apart as an operator's machine would see it:
// its control data (`dpkg-deb -I`), its files (`dpkg-deb -x`), the systemd unit checked by this
// machine's systemd (`systemd-analyze verify`, `security --offline`) and its sysusers entry
// applied to an empty root, then the unpacked binaries run with the packaged config file: serve,
// /healthz, the vault page, an admin key, SIGTERM. When strace can trace here, every system call
// latchkeyd made meanwhile must be one the unit's SystemCallFilter allows.
// LATCHKEY_BUILD_DIR: the native build directory (ctest sets it).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BUILD, ROOT, VERSION, run } from './support.mjs';

const UNIT = 'lib/systemd/system/latchkeyd.service';
const CONFIG = 'etc/latchkeyd/latchkeyd.toml';

/// A unit file as { key: [values...] } for its [Service] and [Unit] sections (later lines append).
function parseUnit(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) (out[m[1]] ??= []).push(m[2]);
  }
  return out;
}

/// `systemd-analyze syscall-filter` groups expanded to system call names.
function syscallGroup(name, seen = new Set()) {
  const names = new Set();
  if (seen.has(name)) return names;
  seen.add(name);
  const lines = run('systemd-analyze', ['syscall-filter', name]).split('\n').slice(1);
  for (const raw of lines) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    if (l.startsWith('@')) for (const n of syscallGroup(l, seen)) names.add(n);
    else names.add(l);
  }
  return names;
}

let dir;
let deb;
let pkg; // the package's files, as dpkg-deb -x leaves them
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-deb-'));
  const out = join(dir, 'out');
  run('cpack', ['-G', 'DEB', '--config', join(BUILD, 'CPackConfig.cmake'), '-B', out]);
  const debs = readdirSync(out).filter((f) => f.endsWith('.deb'));
  assert.equal(debs.length, 1, `one .deb in ${debs}`);
  deb = join(out, debs[0]);
  pkg = join(dir, 'pkg');
  run('dpkg-deb', ['-x', deb, pkg]);
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('the package', () => {
  test('control: name, version, architecture, and the Debian runtime libraries it needs', () => {
    const info = run('dpkg-deb', ['-I', deb]);
    const field = (name) => run('dpkg-deb', ['-f', deb, name]).trim();
    assert.equal(field('Package'), 'latchkey');
    assert.equal(field('Version'), VERSION);
    assert.equal(field('Architecture'), run('dpkg', ['--print-architecture']).trim());
    assert.equal(deb.split('/').pop(), `latchkey_${VERSION}_${field('Architecture')}.deb`);
    const depends = field('Depends').split(/,\s*/).map((d) => d.split(' ')[0]);
    // latchkeyd speaks TLS (mbedTLS 2.28: libmbedtls14, libmbedx509-1, libmbedcrypto7) and keeps
    // its store in SQLite; the user comes from systemd-sysusers or adduser.
    for (const lib of ['libc6', 'libstdc++6', 'libmbedtls14', 'libmbedx509-1', 'libmbedcrypto7', 'libsqlite3-0']) {
      assert.ok(depends.includes(lib), `Depends names ${lib}: ${field('Depends')}`);
    }
    assert.match(field('Depends'), /(^|, )systemd \| adduser(,|$)/);
    assert.ok(depends.includes('procps'), 'ExecReload runs procps\'s /bin/kill');
    for (const part of ['postinst', 'prerm', 'postrm', 'conffiles', 'shlibs']) assert.match(info, new RegExp(`\\b${part}\\b`));
  });

  test('maintainer scripts: valid sh, the user, ldconfig; the config file is a conffile', () => {
    const control = join(dir, 'control');
    run('dpkg-deb', ['-e', deb, control]);
    for (const s of ['postinst', 'prerm', 'postrm']) {
      assert.equal(statSync(join(control, s)).mode & 0o777, 0o755, `${s} is executable`);
      run('sh', ['-n', join(control, s)]);
    }
    const postinst = readFileSync(join(control, 'postinst'), 'utf8');
    assert.match(postinst, /systemd-sysusers \/usr\/lib\/sysusers\.d\/latchkeyd\.conf/);
    assert.match(postinst, /^\s*ldconfig$/m, 'our postinst replaces CPack\'s, which would have run ldconfig');
    const conffiles = readFileSync(join(control, 'conffiles'), 'utf8').trim().split('\n');
    assert.deepEqual(conffiles.sort(), ['/etc/default/latchkeyd', `/${CONFIG}`]);
    for (const f of conffiles) assert.ok(existsSync(join(pkg, f)), `${f} is in the package`);
  });

  test('files: programs, library, headers, pkg-config, CMake config, unit, user, config, vault page, license', () => {
    for (const f of ['usr/bin/latchkey', 'usr/bin/latchkeyd']) {
      assert.ok(statSync(join(pkg, f)).mode & 0o111, `${f} is executable`);
    }
    for (const f of ['usr/lib/liblatchkey.so.0', 'usr/lib/liblatchkey.so', 'usr/lib/liblatchkey.a',
      'usr/include/latchkey/latchkey.h', 'usr/include/latchkey/engine.hpp', 'usr/include/latchkey/picojson/picojson.h',
      'usr/lib/pkgconfig/latchkey.pc', 'usr/lib/cmake/latchkey/latchkeyConfig.cmake', UNIT,
      'usr/lib/sysusers.d/latchkeyd.conf', CONFIG, 'etc/default/latchkeyd', 'usr/share/latchkeyd/web/index.html',
      'usr/share/doc/latchkey/deploy.md']) {
      assert.ok(existsSync(join(pkg, f)), f);
    }
    assert.equal(readFileSync(join(pkg, 'usr/share/doc/latchkey/LICENSE'), 'utf8'), readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  });

  test('the sysusers entry makes a system user latchkeyd, home /var/lib/latchkeyd, no login shell', () => {
    const root = join(dir, 'sysusers-root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    run('systemd-sysusers', [`--root=${root}`, join(pkg, 'usr/lib/sysusers.d/latchkeyd.conf')]);
    const [name, , uid, gid, , home, shell] = readFileSync(join(root, 'etc/passwd'), 'utf8').trim().split(':');
    assert.equal(name, 'latchkeyd');
    assert.ok(Number(uid) > 0 && Number(uid) < 1000, `a system uid: ${uid}`);
    assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), new RegExp(`^latchkeyd:x:${gid}:`, 'm'));
    assert.equal(home, '/var/lib/latchkeyd');
    assert.match(shell, /nologin$/);
  });
});

describe('the systemd unit', () => {
  let unit;
  let verifyRoot;
  before(() => {
    unit = parseUnit(readFileSync(join(pkg, UNIT), 'utf8'));
    // `verify --root` resolves the unit's paths inside a root: the package's files, plus what a
    // Debian system around it provides and the unit refers to (systemd's own units such as
    // sysinit.target, and /bin/kill for ExecReload). ExecStart is then checked against the
    // packaged /usr/bin/latchkeyd itself, and the unit file is the packaged one, unchanged.
    verifyRoot = join(dir, 'verify-root');
    const systemUnits = realpathSync('/lib/systemd/system');
    cpSync(systemUnits, join(verifyRoot, 'lib/systemd/system'), {
      recursive: true, filter: (src) => !src.endsWith('/latchkeyd.service'),
    });
    mkdirSync(join(verifyRoot, 'bin'), { recursive: true });
    cpSync(realpathSync('/bin/kill'), join(verifyRoot, 'bin/kill'));
    cpSync(pkg, verifyRoot, { recursive: true });
  });

  test('systemd-analyze verify finds nothing to report', () => {
    const r = spawnSync('systemd-analyze', ['verify', `--root=${verifyRoot}`, 'latchkeyd.service'], { encoding: 'utf8' });
    // Unknown keys and bad values are warnings with exit status 0: any output is a failure.
    assert.equal(`${r.stdout}${r.stderr}`, '');
    assert.equal(r.status, 0);
  });

  test('runs as latchkeyd with its state in /var/lib/latchkeyd, and the config\'s paths match the package', () => {
    assert.deepEqual(unit.User, ['latchkeyd']);
    assert.deepEqual(unit.StateDirectory, ['latchkeyd']);
    assert.deepEqual(unit.Restart, ['on-failure']);
    assert.match(unit.ExecReload.join(), /^\/bin\/kill -HUP \$MAINPID$/);
    const [exec, ...args] = unit.ExecStart[0].split(' ');
    assert.equal(exec, '/usr/bin/latchkeyd');
    assert.ok(existsSync(join(pkg, exec)));
    const config = args[args.indexOf('--config') + 1];
    assert.equal(config, `/${CONFIG}`);
    assert.equal(args.at(-1), 'serve');
    const toml = readFileSync(join(pkg, CONFIG), 'utf8');
    const setting = (k) => new RegExp(`^${k} = "([^"]*)"$`, 'm').exec(toml)?.[1];
    assert.equal(dirname(setting('store')), '/var/lib/latchkeyd', 'the store is in the StateDirectory');
    assert.ok(existsSync(join(pkg, setting('web-root'), 'index.html')), 'web-root is the packaged vault page');
    assert.match(setting('listen'), /^127\.0\.0\.1:\d+$/, 'loopback until the operator says otherwise');
  });

  test('hardening options', () => {
    const expected = {
      NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes', ProtectKernelModules: 'yes', ProtectControlGroups: 'yes', LockPersonality: 'yes',
      MemoryDenyWriteExecute: 'yes', RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX', RestrictNamespaces: 'yes',
      RestrictSUIDSGID: 'yes', SystemCallArchitectures: 'native', CapabilityBoundingSet: '', LimitCORE: '0', UMask: '0077',
    };
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(unit[k], [v], k);
    assert.ok(unit.SystemCallFilter.includes('@system-service'), 'SystemCallFilter=@system-service');
  });

  test('systemd-analyze security rates the unit at most 2.0 (on its 0-10 scale)', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', `--root=${verifyRoot}`, '--no-pager',
      'latchkeyd.service'], { encoding: 'utf8' });
    const m = /Overall exposure level for latchkeyd\.service: (\d+\.\d+)/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    assert.ok(Number(m[1]) <= 2.0, `exposure ${m[1]}`);
  });
});

describe('the unpacked binaries', () => {
  const bin = (name) => join(pkg, 'usr/bin', name);

  test('report the package version and need no liblatchkey at run time', () => {
    assert.equal(run(bin('latchkey'), ['--version']).trim(), `latchkey ${VERSION}`);
    assert.equal(run(bin('latchkeyd'), ['--version']).trim(), `latchkeyd ${VERSION}`);
    for (const b of ['latchkey', 'latchkeyd']) assert.doesNotMatch(run('readelf', ['-d', bin(b)]), /liblatchkey/);
  });

  test('latchkeyd serves with the packaged config: /healthz, the vault page, an admin key; SIGTERM ends it', async (t) => {
    // As the unit runs it: not as root (run as root, SQLite would also fchown the files it makes),
    // no new privileges, no capabilities. The state directory is the service user's own.
    const asRoot = process.getuid() === 0;
    const drop = ['setpriv', ...(asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', '--bounding-set=-all',
      '--inh-caps=-all'] : []), '--no-new-privs', '--'];
    chmodSync(dir, 0o755);
    const state = join(dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    if (asRoot) chownSync(state, 65534, 65534);
    const store = join(state, 'latchkey.db');
    const webRoot = join(pkg, 'usr/share/latchkeyd/web');
    // The packaged config file with only the paths that need root moved to this test's directories.
    const common = ['--config', join(pkg, CONFIG)];
    const serveArgs = [...common, 'serve', '--listen', '127.0.0.1:0', '--store', store, '--web-root', webRoot];
    const env = { PATH: process.env.PATH };

    const straceWorks = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true']).status === 0;
    const trace = join(state, 'syscalls.txt');
    const [cmd, ...args] = [...drop, ...(straceWorks ? ['strace', '-f', '-qq', '-o', trace] : []), bin('latchkeyd'),
      ...serveArgs];
    const child = spawn(cmd, args, { env });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    // A failed assertion must not leave the gateway (and so this test) running until the timeout.
    t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(`http://${JSON.parse(out.split('\n')[0]).listening}`);
      });
      child.on('close', (code) => reject(new Error(`latchkeyd exited ${code}: ${stderr}`)));
    });

    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { ok: true });
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), readFileSync(join(webRoot, 'index.html'), 'utf8'));

    // The first admin key, as docs/deploy.md has the operator make it (beside the running gateway).
    const key = run(drop[0], [...drop.slice(1), bin('latchkeyd'), ...common, 'keys', 'create', '--principal', 'admin',
      '--role', 'admin', '--store', store], { env }).trim();
    assert.equal(statSync(`${store}.key`).mode & 0o777, 0o600, 'the master key file beside the store is 0600');
    const who = await fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(who.status, 200);
    const me = await who.json();
    assert.deepEqual([me.principal, me.role, me.session], ['admin', 'admin', false]);
    assert.equal((await fetch(`${url}/v1/whoami`)).status, 401);

    // SIGTERM to latchkeyd itself (under strace, its child; setpriv execs what it runs), as
    // `systemctl stop` sends it; strace then exits with latchkeyd's status.
    const pid = straceWorks
      ? Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0])
      : child.pid;
    process.kill(pid, 'SIGTERM');
    const { code, signal } = await exited;
    assert.equal(signal, null, stderr);
    assert.equal(code, 0, stderr);

    if (!straceWorks) {
      t.diagnostic('strace cannot trace here: the system calls were not compared with SystemCallFilter');
      return;
    }
    // Every system call made after exec (systemd applies the filter before exec'ing latchkeyd).
    const used = new Set();
    for (const line of readFileSync(trace, 'utf8').split('\n')) {
      const m = /^\d+\s+(?:<\.\.\. ([a-z0-9_]+) resumed>|([a-z0-9_]+)\()/.exec(line);
      if (m) used.add(m[1] ?? m[2]);
    }
    assert.ok(used.has('accept4') || used.has('accept'), 'the trace saw the server work');
    t.diagnostic(`latchkeyd made ${used.size} distinct system calls`);
    const allowed = syscallGroup('@system-service');
    for (const denied of readFileSync(join(pkg, UNIT), 'utf8').matchAll(/^SystemCallFilter=~(.*)$/gm)) {
      for (const g of denied[1].split(/\s+/)) for (const n of (g.startsWith('@') ? syscallGroup(g) : [g])) allowed.delete(n);
    }
    assert.deepEqual([...used].filter((n) => !allowed.has(n)).sort(), [], 'system calls the unit\'s filter refuses');
  });
});
