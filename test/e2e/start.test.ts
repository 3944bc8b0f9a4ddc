import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { dropDatabase } from '../../lib/postgres';
import { fromRoot } from '../../lib/paths';
import { freePort } from '../../lib/ports';
import { buildOnce } from '../helpers/run-cli';

const portNames = ['GATEWAY_PORT', 'TENANCY_PORT', 'FLEET_PORT', 'TELEMETRY_PORT', 'DEVICE_PORT', 'INGEST_PORT', 'AUTH_PORT'] as const;
// Its own database: the services it starts (the ingestion worker included) never touch the other tests' data.
const databaseUrl = `${process.env.DATABASE_URL}_start`;

let child: ChildProcess | null = null;
afterAll(async () => {
  // A failed test must not leave services behind: they run in start's own process group.
  if (child?.pid) process.kill(-child.pid, 'SIGKILL');
  await dropDatabase(databaseUrl);
});

describe('npm start', () => {
  it('starts every service, is ready well within 60 s, and stops them all cleanly on Ctrl-C', async () => {
    buildOnce();
    const ports = Object.fromEntries(await Promise.all(portNames.map(async (name) => [name, await freePort()] as const)));
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      DATABASE_URL: databaseUrl,
      AUTH_ISSUER: `http://127.0.0.1:${ports.AUTH_PORT}`,
      TENANCY_URL: `http://127.0.0.1:${ports.TENANCY_PORT}/graphql`,
      FLEET_URL: `http://127.0.0.1:${ports.FLEET_PORT}/graphql`,
      TELEMETRY_URL: `http://127.0.0.1:${ports.TELEMETRY_PORT}/graphql`,
      DEVICE_URL: `http://127.0.0.1:${ports.DEVICE_PORT}/graphql`,
      LOG_LEVEL: 'warn',
    };
    const started = Date.now();
    child = spawn(process.execPath, [fromRoot('dist', 'bin', 'start.js')], { cwd: fromRoot(), env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within 60 s:\n${output}`)), 60_000);
      child!.stdout!.on('data', () => {
        if (output.includes('Ctrl-C stops every service.')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child!.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${output}`)));
    });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(output).toContain(`http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`);

    const ready = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/readyz`);
    expect(ready.status).toBe(200);
    const unauthenticated = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { subject } }' }),
    });
    expect(unauthenticated.status).toBe(401);

    // idle keep-alive connections into every service, as the gateway keeps to the subgraphs
    const agent = new http.Agent({ keepAlive: true });
    for (const port of Object.values(ports)) {
      await new Promise<void>((resolve, reject) =>
        http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => res.resume().once('end', resolve)).once('error', reject),
      );
    }

    // Ctrl-C in a terminal signals the whole process group: every service gets SIGINT, then
    // start's own SIGTERM. start exits 0 only when every service stopped by itself, cleanly.
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const stopped = Date.now();
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(output).not.toContain('did not stop cleanly');
    expect(Date.now() - stopped).toBeLessThan(8_000);
    agent.destroy();
    child = null;
    for (const port of Object.values(ports)) {
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    }
  }, 90_000);
});
