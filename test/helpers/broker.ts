import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accepts, freePort } from '../../lib/ports';

export interface TestBroker {
  url: string;
  stop(): Promise<void>;
}

/**
 * A Mosquitto of the test run's own, on a free port of 127.0.0.1, nothing kept on disk.
 * The machine's broker serves the development platform: its worker subscribes to every
 * region (`$share/ingest/telemetry/v1/+/+/+`) and would dead-letter every test reading as an
 * unknown device in the development database, and the machine's broker persists retained
 * messages, so each run's retained device statuses would pile up there for good.
 *
 * Mosquitto runs under a shell that waits on its stdin: when this process ends, however it
 * ends, the pipe closes and the shell stops the broker, so none outlives the run.
 */
export async function startTestBroker(): Promise<TestBroker> {
  const port = await freePort();
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cypernex-test-broker-'));
  const config = path.join(directory, 'mosquitto.conf');
  // loopback only, as the machine's broker; no persistence file
  fs.writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_type error\nlog_type warning\n`);
  const shell = spawn('sh', ['-c', 'PATH="$PATH:/usr/sbin:/usr/local/sbin"; mosquitto -c "$1" 2>"$2/log" & broker=$!; trap \'kill $broker 2>/dev/null; rm -rf "$2"\' EXIT; read _; exit 0', 'test-broker', config, directory], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => shell.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (shell.exitCode !== null || Date.now() > deadline) {
      const log = fs.existsSync(path.join(directory, 'log')) ? fs.readFileSync(path.join(directory, 'log'), 'utf8').trim() : '';
      shell.stdin!.end();
      throw new Error(`the tests' own Mosquitto did not start on port ${port} (the mosquitto binary must be on PATH): ${log || 'no output'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // the shell must not keep the test run's process alive
  shell.unref();
  (shell.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      // referenced again while it stops: an unreferenced child's exit does not keep the
      // loop alive, so jest's process ran out of work before `exited` resolved and ended
      // with code 0 without reporting, whatever had failed
      shell.ref();
      shell.stdin!.end();
      await exited;
    },
  };
}
