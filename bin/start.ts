import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { exitOnConfigError, loadConfig, type Config } from '../lib/config';
import { migrate } from '../lib/migrate';
import { redactUrl } from '../lib/postgres';
import { unreachableMessage, type DependencyKind } from '../lib/dependencies';
import { onStopSignal } from '../lib/signals';
import { services, type ServiceSpec } from './services';

const distRoot = path.resolve(__dirname, '..');
const READY_TIMEOUT_MS = 60_000;
const say = (line: string) => process.stdout.write(`${line}\n`);

interface Running {
  spec: ServiceSpec;
  child: ChildProcess | null;
  restarts: number;
  startedAt: number;
}

let stopping = false;
const running: Running[] = [];

async function main(): Promise<void> {
  const started = Date.now();
  // Loaded here first, so that the development master key is generated once, before any service.
  const config = loadConfig();
  await requireServices(config);
  const result = await migrate(config.DATABASE_URL, (line) => say(`migrate: ${line}`));
  if (result.createdDatabase) say(`migrate: created database ${redactUrl(config.DATABASE_URL)}`);

  const present = services.filter((spec) => fs.existsSync(path.join(distRoot, spec.entry)));
  onStopSignal(() => void stopAll(0));

  const first = present.filter((spec) => !spec.last);
  for (const spec of first) launch(spec);
  await Promise.all(first.map((spec) => waitReady(config, spec)));
  const last = present.filter((spec) => spec.last);
  for (const spec of last) launch(spec);
  await Promise.all(last.map((spec) => waitReady(config, spec)));

  say('');
  say(`Cypernex is ready in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  for (const spec of present) say(`  ${spec.name.padEnd(10)} ${spec.describe(config)}`);
  say('');
  say('Ctrl-C stops every service.');
}

async function requireServices(config: Config): Promise<void> {
  const checks: [DependencyKind, string][] = [
    ['PostgreSQL', config.DATABASE_URL],
    ['Redis', config.REDIS_URL],
    ['MQTT', config.MQTT_URL],
  ];
  for (const [kind, url] of checks) {
    const parsed = new URL(url);
    const defaults: Record<DependencyKind, number> = { PostgreSQL: 5432, Redis: 6379, MQTT: 1883 };
    try {
      await tcpProbe(parsed.hostname, Number(parsed.port || defaults[kind]));
    } catch (error) {
      console.error(unreachableMessage('start', kind, url, error));
      process.exit(69);
    }
  }
}

function tcpProbe(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
    });
    socket.once('error', reject);
  });
}

function launch(spec: ServiceSpec, previous?: Running): void {
  const entry: Running = previous ?? { spec, child: null, restarts: 0, startedAt: 0 };
  if (!previous) running.push(entry);
  entry.startedAt = Date.now();
  const child = spawn(process.execPath, ['--enable-source-maps', ...(spec.nodeFlags ?? []), path.join(distRoot, spec.entry)], {
    env: { ...process.env, CYPERNEX_SERVICE: spec.name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  entry.child = child;
  prefixLines(child.stdout!, spec.name, process.stdout);
  prefixLines(child.stderr!, spec.name, process.stderr);
  child.once('exit', (code, signal) => {
    entry.child = null;
    if (stopping) return;
    // A service that stayed up a minute starts its backoff again from one second.
    if (Date.now() - entry.startedAt > 60_000) entry.restarts = 0;
    const delay = Math.min(1000 * 2 ** entry.restarts, 30_000);
    entry.restarts += 1;
    console.error(`start: ${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s`);
    setTimeout(() => {
      if (!stopping) launch(spec, entry);
    }, delay).unref();
  });
}

function prefixLines(stream: NodeJS.ReadableStream, name: string, out: NodeJS.WriteStream): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
}

async function waitReady(config: Config, spec: ServiceSpec): Promise<void> {
  const url = `http://127.0.0.1:${spec.port(config)}/readyz`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.error(`start: ${spec.name} did not become ready within ${READY_TIMEOUT_MS / 1000} s (${url}: ${last})`);
  await stopAll(1);
}

/**
 * Stops every service (SIGTERM, SIGKILL after 10 s) and exits with `code`, or with 1 when a
 * service did not stop cleanly (killed, or a non-zero exit): an unclean stop can leave a
 * batch unacknowledged or a connection unclosed, and the operator should hear of it.
 */
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const alive = running.filter((entry) => entry.child);
  if (alive.length) say('\nstopping...');
  const unclean: string[] = [];
  await Promise.all(
    alive.map(
      (entry) =>
        new Promise<void>((resolve) => {
          const child = entry.child!;
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', (exitCode, signal) => {
            clearTimeout(kill);
            if (exitCode !== 0) unclean.push(`${entry.spec.name} (${signal ?? `code ${exitCode}`})`);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  if (unclean.length) console.error(`start: did not stop cleanly: ${unclean.join(', ')}`);
  process.exit(unclean.length && code === 0 ? 1 : code);
}

main().catch((error: unknown) => {
  try {
    exitOnConfigError(error);
  } catch {
    console.error(`start: ${(error as Error).message}`);
    void stopAll(1);
  }
});
