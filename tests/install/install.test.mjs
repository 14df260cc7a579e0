// `cmake --install` of the native build into a fresh prefix, then programs built against that
// tree alone: a C program through pkg-config (shared, and static through `--static`), and a C++
// project through find_package(latchkey) (latchkey::core, latchkey::core_static). Each program
// prints what the library answers; the expected values come from outside it (the version in the
// top-level CMakeLists.txt, RFC 7636 Appendix B).
// LATCHKEY_BUILD_DIR: the native build directory (ctest sets it).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BUILD, HERE, ROOT, VERSION, run } from './support.mjs';

// RFC 7636 Appendix B: this verifier's S256 challenge.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/// The shared objects a program needs (readelf's NEEDED entries).
function needed(program) {
  return [...run('readelf', ['-d', program]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/// Where the dynamic loader finds liblatchkey.so.0 for `program` under `env` (ldd), or null.
function resolvedLatchkey(program, env) {
  const m = /liblatchkey\.so\.\d+ => (\S+)/.exec(run('ldd', [program], { env }));
  return m ? realpathSync(m[1]) : null;
}

let dir;
let prefix;
let libdir;
let pkgEnv;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-install-'));
  prefix = join(dir, 'prefix');
  run('cmake', ['--install', BUILD, '--prefix', prefix]);
  const pc = readdirSync(prefix, { recursive: true }).find((f) => f.endsWith('pkgconfig/latchkey.pc'));
  assert.ok(pc, 'latchkey.pc is installed');
  pkgEnv = { ...process.env, PKG_CONFIG_PATH: dirname(join(prefix, pc)) };
  libdir = realpathSync(run('pkg-config', ['--variable=libdir', 'latchkey'], { env: pkgEnv }).trim());
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('the installed tree', () => {
  test('has the programs, both libraries, the license and every public header', () => {
    for (const f of ['bin/latchkey', 'bin/latchkeyd', 'share/doc/latchkey/LICENSE']) {
      assert.ok(existsSync(join(prefix, f)), f);
    }
    assert.equal(dirname(libdir), realpathSync(prefix), 'the library directory is directly under the prefix');
    for (const f of ['liblatchkey.a', 'liblatchkey.so', 'liblatchkey.so.0', 'cmake/latchkey/latchkeyConfig.cmake',
      'cmake/latchkey/latchkeyConfigVersion.cmake']) {
      assert.ok(existsSync(join(libdir, f)), f);
    }
    const headers = readdirSync(join(ROOT, 'core/include/latchkey')).sort();
    const installed = readdirSync(join(prefix, 'include/latchkey')).filter((f) => f !== 'picojson').sort();
    assert.deepEqual(installed, headers);
    assert.ok(existsSync(join(prefix, 'include/latchkey/picojson/picojson.h')));
    assert.equal(readFileSync(join(prefix, 'share/doc/latchkey/LICENSE'), 'utf8'), readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  });

  test('the installed programs run and report the version', () => {
    assert.equal(run(join(prefix, 'bin/latchkeyd'), ['--version']).trim(), `latchkeyd ${VERSION}`);
    assert.match(run(join(prefix, 'bin/latchkey'), ['--version']), new RegExp(`\\b${VERSION.replaceAll('.', '\\.')}\\b`));
  });

  test('the shared library needs nothing but the C/C++ runtime and Debian\'s libmbedcrypto', () => {
    const so = join(libdir, 'liblatchkey.so');
    assert.equal(run('readelf', ['-d', so]).match(/\(SONAME\)\s+Library soname: \[([^\]]+)\]/)[1], 'liblatchkey.so.0');
    assert.deepEqual(needed(so).filter((n) => !/^lib(c|m|stdc\+\+|gcc_s)\.so\./.test(n)), ['libmbedcrypto.so.7']);
  });
});

/// The C program's lines: version, the PKCE answer, the error answer.
function checkCOutput(out) {
  const [version, pkce, error] = out.trim().split('\n');
  assert.equal(version, VERSION);
  assert.deepEqual(JSON.parse(pkce), { ok: { challenge: CHALLENGE, method: 'S256' } });
  assert.equal(JSON.parse(error).error.code, 'invalid_request');
}

describe('a C program through pkg-config', () => {
  test('pkg-config knows the package and its version', () => {
    assert.equal(run('pkg-config', ['--modversion', 'latchkey'], { env: pkgEnv }).trim(), VERSION);
  });

  test('linked with liblatchkey.so, runs against the installed library', () => {
    const flags = run('pkg-config', ['--cflags', '--libs', 'latchkey'], { env: pkgEnv }).trim().split(/\s+/);
    const exe = join(dir, 'c_shared');
    run('cc', ['-Wall', '-Wextra', '-Werror', join(HERE, 'consumer.c'), '-o', exe, ...flags]);
    assert.ok(needed(exe).includes('liblatchkey.so.0'));
    const env = { ...process.env, LD_LIBRARY_PATH: libdir };
    assert.equal(resolvedLatchkey(exe, env), realpathSync(join(libdir, 'liblatchkey.so.0')));
    checkCOutput(run(exe, [], { env }));
  });

  test('linked with liblatchkey.a and `pkg-config --static`, needs no liblatchkey at run time', () => {
    const cflags = run('pkg-config', ['--cflags', 'latchkey'], { env: pkgEnv }).trim().split(/\s+/).filter(Boolean);
    // The archive by name (-l:liblatchkey.a), with everything --static says it needs.
    const libs = run('pkg-config', ['--static', '--libs', 'latchkey'], { env: pkgEnv }).trim().split(/\s+/)
      .map((f) => (f === '-llatchkey' ? '-l:liblatchkey.a' : f));
    assert.ok(libs.includes('-l:liblatchkey.a'));
    const exe = join(dir, 'c_static');
    run('cc', [join(HERE, 'consumer.c'), '-o', exe, ...cflags, ...libs]);
    assert.ok(!needed(exe).some((n) => n.startsWith('liblatchkey')));
    checkCOutput(run(exe, []));
  });
});

describe('a C++ project through find_package(latchkey)', () => {
  for (const linkage of ['shared', 'static']) {
    test(`linked with latchkey::${linkage === 'shared' ? 'core' : 'core_static'}`, () => {
      const build = join(dir, `cxx_${linkage}`);
      const configured = run('cmake', ['-S', join(HERE, 'cmake_consumer'), '-B', build, '-G', 'Ninja',
        '-DCMAKE_BUILD_TYPE=Release', `-DCMAKE_PREFIX_PATH=${prefix}`, `-DLATCHKEY_STATIC=${linkage === 'static' ? 'ON' : 'OFF'}`]);
      // The package found is the one just installed, not one elsewhere on the machine.
      assert.equal(realpathSync(/latchkey_DIR=(.*)/.exec(configured)[1].trim()), join(libdir, 'cmake/latchkey'));
      run('cmake', ['--build', build]);
      const exe = join(build, 'consumer');
      if (linkage === 'shared') {
        assert.ok(needed(exe).includes('liblatchkey.so.0'));
        // CMake's build RPATH points at the installed library.
        assert.equal(resolvedLatchkey(exe, process.env), realpathSync(join(libdir, 'liblatchkey.so.0')));
      } else {
        assert.ok(!needed(exe).some((n) => n.startsWith('liblatchkey')));
      }
      const [versions, challenge, json, bad, github] = run(exe, []).trim().split('\n');
      assert.equal(versions, `${VERSION} ${VERSION}`);
      assert.equal(challenge, CHALLENGE);
      assert.equal(json, '{"a":null,"b":[1,2.5,"x"]}');
      assert.equal(bad, 'refused');
      assert.equal(github, 'github in the catalog');
    });
  }
});
