import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromRoot } from '../../lib/paths';
import { buildOnce } from '../helpers/run-cli';

/**
 * A benchmark interrupted by Ctrl-C or `kill` still drops what it made (bench/clean-up.ts):
 * a stand-in benchmark whose clean-up writes a file, and whose own work fails once the
 * clean-up has begun, as a poll on an ended pool does.
 */
function standIn(marker: string) {
  const script = `
    const fs = require('node:fs');
    const { cleanUpOnce } = require(${JSON.stringify(fromRoot('dist', 'bench', 'clean-up.js'))});
    const cleanUp = cleanUpOnce(async () => {
      fs.appendFileSync(${JSON.stringify(marker)}, 'begun\\n');
      await new Promise((resolve) => setTimeout(resolve, 300));
      fs.appendFileSync(${JSON.stringify(marker)}, 'cleaned\\n');
    });
    // the run's own work once the clean-up has begun: its finally reaching the clean-up too,
    // and a poll failing with nothing awaiting it
    const interrupted = () => setTimeout(() => { void cleanUp(); Promise.reject(new Error('pool ended')); }, 50);
    process.on('SIGINT', interrupted);
    process.on('SIGTERM', interrupted);
    process.stdout.write('running\\n');
    setTimeout(async () => { await cleanUp(); process.stdout.write('finished\\n'); process.exit(0); }, Number(process.env.FINISH_AFTER_MS));
  `;
  return script;
}

async function run(marker: string, finishAfterMs: number, signal: NodeJS.Signals | null) {
  const child = spawn(process.execPath, ['-e', standIn(marker)], { env: { ...process.env, FINISH_AFTER_MS: String(finishAfterMs) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('running')) resolve();
    }),
  );
  if (signal) child.kill(signal);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
  return { code, stdout, stderr, cleaned: fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '' };
}

describe('bench clean-up', () => {
  let directory: string;
  beforeAll(() => {
    buildOnce();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cpx-bench-clean-up-'));
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('on %s runs the clean-up once, reports the run failing meanwhile, and exits %i', async (signal, status) => {
    const marker = path.join(directory, signal);
    const result = await run(marker, 60_000, signal);
    expect(result.code).toBe(status);
    expect(result.cleaned).toBe('begun\ncleaned\n');
    expect(result.stderr).toContain(`bench: ${signal}: stopping and cleaning up`);
    expect(result.stderr).toContain('bench: interrupted: pool ended');
    expect(result.stdout).not.toContain('finished');
  });

  it('runs the clean-up once when the benchmark finishes by itself', async () => {
    const marker = path.join(directory, 'finished');
    const result = await run(marker, 100, null);
    expect(result.code).toBe(0);
    expect(result.cleaned).toBe('begun\ncleaned\n');
    expect(result.stdout).toContain('finished');
  });
});
