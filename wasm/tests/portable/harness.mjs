// A test harness that needs nothing but the language: the package's portable suites run under
// Node, Deno, Bun and inside a workerd Worker, where node:test does not exist.
//
//   const t = createSuite();
//   t.test('name', async () => { ... });          // throw (or reject) to fail
//   const failed = await runSuite(t.tests, (line) => out.push(line));
//
// Output is one line per test, TAP-like ("ok - name (12 ms)", "not ok - name: message" followed
// by "#"-prefixed stack lines), then "# pass N fail M": the driver (driver.mjs) reads it back.

export function createSuite() {
  const tests = [];
  return { tests, test: (name, fn, { skip } = {}) => tests.push({ name, fn, skip }) };
}

export async function runSuite(tests, write, { only } = {}) {
  let pass = 0;
  let fail = 0;
  for (const { name, fn, skip } of tests) {
    if (only && !only.test(name)) continue;
    if (skip) { write(`ok - ${name} # SKIP ${skip}`); continue; }
    const started = Date.now();
    try {
      await fn();
      pass += 1;
      write(`ok - ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      fail += 1;
      write(`not ok - ${name}: ${describe(e)}`);
      for (const line of String(e?.stack ?? '').split('\n').slice(1, 8)) write(`#   ${line.trim()}`);
      if (e?.cause) write(`#   cause: ${describe(e.cause)}`);
    }
  }
  write(`# pass ${pass} fail ${fail}`);
  return fail;
}

function describe(e) {
  if (e?.name === 'LatchkeyError') return `LatchkeyError ${e.code}: ${e.message}`;
  return `${e?.name ?? 'Error'}: ${e?.message ?? e}`.replace(/\n/g, ' ');
}
