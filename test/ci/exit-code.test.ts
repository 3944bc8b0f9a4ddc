import { spawnSync } from 'node:child_process';
import { fromRoot } from '../../lib/paths';

// CI trusts jest's exit code: a run with a failed test must end non-zero, with the whole
// global set-up and teardown (throwaway database, the run's own Mosquitto) in place. It
// did not: the teardown awaited the exit of an unreferenced child, the process ran out of
// work first and ended with 0 before jest reported.
describe("the test run's exit code", () => {
  it('is non-zero when a test fails, and the summary line counts the failure', () => {
    const env = { ...process.env };
    delete env.TEST_MQTT_URL;
    delete env.DATABASE_URL;
    delete env.REDIS_KEY_PREFIX;
    const run = spawnSync(process.execPath, [fromRoot('node_modules/jest/bin/jest.js'), '--ci', '--testMatch', '**/test/ci/fails.fixture.ts'], {
      cwd: fromRoot('.'),
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stdout).toMatch(/^jest: 0 passed, 1 failed, 0 skipped$/m);
    expect(run.status).toBe(1);
  }, 130_000);
});
