// Runs the store tests that need PostgreSQL (the conformance suite and PostgresStore's own)
// against a real server started for them: node run_with_postgres.mjs PATH/latchkey_native_tests
// [more gtest arguments]. The server is stopped and removed afterwards, whatever the outcome.
import { spawnSync } from 'node:child_process';

import { startPostgres } from '../../fixtures/postgres.mjs';

const [binary, ...extra] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node run_with_postgres.mjs PATH/latchkey_native_tests [gtest arguments]');
  process.exit(2);
}
const pg = await startPostgres();
let status = 1;
try {
  const run = spawnSync(binary, ['--gtest_filter=Stores/StoreConformance.*/postgres:PostgresStore*', ...extra], {
    stdio: 'inherit',
    env: { ...process.env, LATCHKEY_TEST_POSTGRES: pg.uri, LATCHKEY_TEST_POSTGRES_CTL: pg.ctl },
  });
  status = run.status ?? 1;
  if (status !== 0) console.error(`--- PostgreSQL's log (${pg.log}) ---\n${pg.logText()}`);
} finally {
  await pg.stop();
}
process.exit(status);
