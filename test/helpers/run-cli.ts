import { execFileSync, spawnSync } from 'node:child_process';
import { fromRoot } from '../../lib/paths';

let built = false;

/** Compiles dist/ once per test file, as `npm run cli` does before running. */
export function buildOnce(): void {
  if (built) return;
  execFileSync(process.execPath, [fromRoot('bin', 'build.cjs'), '--quiet'], { cwd: fromRoot(), stdio: 'pipe' });
  built = true;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the operator CLI as a user would, against this test run's database. */
export function runCli(args: string[], env: Record<string, string> = {}): CliResult {
  buildOnce();
  const result = spawnSync(process.execPath, [fromRoot('dist', 'bin', 'cli.js'), ...args], {
    cwd: fromRoot(),
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a verb with --json and parses the one object it must print. */
export function cliJson<T = Record<string, unknown>>(args: string[]): T {
  const result = runCli([...args, '--json']);
  if (result.status !== 0) throw new Error(`cli ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
