import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import mqtt from 'mqtt';
import { createPool } from '../../lib/postgres';
import { fromRoot } from '../../lib/paths';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { testConfig } from '../helpers/config';
import { createTestTenant, provisionTestDevice, type TestDevice } from '../helpers/devices';
import { buildOnce } from '../helpers/run-cli';

/**
 * `npm run simulate` stops on Ctrl-C: with its broker there (the devices' offline status
 * published, the counts printed), and with its broker gone, when the QoS 1 offline status
 * can never be acknowledged (it once waited for ever, and the benchmark's clean-up left it
 * running); a second Ctrl-C stops it at once.
 */
const config = testConfig();
const pool = createPool(config.DATABASE_URL, { service: 'test' });
const region = `ss${crypto.randomBytes(3).toString('hex')}`;
let devices: TestDevice[] = [];
const brokers: TestBroker[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  buildOnce();
  const tenantId = await createTestTenant(pool, region);
  devices = [await provisionTestDevice(pool, config.masterKey, { tenantId, region }), await provisionTestDevice(pool, config.masterKey, { tenantId, region })];
});

afterAll(async () => {
  // a simulator that failed to stop must not outlive the run
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const broker of brokers) await broker.stop().catch(() => undefined);
  await pool.end();
});

interface Simulation {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exit: Promise<{ code: number | null; afterMs: number }>;
}

/** The simulator on a broker of its own, once it publishes (its first progress line). */
async function simulate(broker: TestBroker): Promise<Simulation> {
  const child = spawn(process.execPath, [fromRoot('dist', 'bin', 'simulate.js'), '--devices', '2', '--interval', '1', '--region', region, '--drain-seconds', '2'], {
    env: { ...process.env, MQTT_URL: broker.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  let signalledAt = 0;
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; afterMs: number }>((resolve) => child.on('exit', (code) => resolve({ code, afterMs: Date.now() - signalledAt })));
  const deadline = Date.now() + 20_000;
  while (!/simulate: 2 devices · \d+ msg\/s · published [1-9]/.test(stderr)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the simulator did not start publishing:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const kill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => ((signalledAt ||= Date.now()), kill(signal));
  return { child, output: () => ({ stdout, stderr }), exit };
}

/** The simulator, publishing, whose broker then goes away. */
async function simulateThenLoseBroker(): Promise<Simulation> {
  const broker = await startTestBroker();
  const simulation = await simulate(broker);
  await broker.stop();
  return simulation;
}

async function retainedStatuses(url: string): Promise<Record<string, { online: boolean }>> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5 });
  const statuses: Record<string, { online: boolean }> = {};
  client.on('message', (topic, payload) => (statuses[topic.split('/')[3]!] = JSON.parse(payload.toString()) as { online: boolean }));
  await client.subscribeAsync(`telemetry/v1/${region}/+/status`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await client.endAsync();
  return statuses;
}

describe('simulate stops on Ctrl-C', () => {
  it('with its broker there: each device offline (retained), the counts printed, exit 0', async () => {
    const broker = await startTestBroker();
    brokers.push(broker);
    const simulation = await simulate(broker);
    simulation.child.kill('SIGINT');
    const { code } = await simulation.exit;
    expect(code).toBe(0);
    const counts = JSON.parse(simulation.output().stdout.trim().split('\n').pop()!) as { published: number; errors: number };
    expect(counts.published).toBeGreaterThan(0);
    expect(counts.errors).toBe(0);
    const statuses = await retainedStatuses(broker.url);
    expect(Object.keys(statuses).sort()).toEqual(devices.map((device) => device.deviceId).sort());
    expect(Object.values(statuses).every((status) => status.online === false)).toBe(true);
  }, 40_000);

  it('with its broker gone: within the status wait (5 s) and the drain (2 s), saying so', async () => {
    const simulation = await simulateThenLoseBroker();
    simulation.child.kill('SIGINT');
    const { code, afterMs } = await simulation.exit;
    expect(code).toBe(0);
    expect(afterMs).toBeLessThan(9_000);
    expect(simulation.output().stderr).toContain('simulate: the broker did not take the offline status within 5 s; stopping without it');
  }, 40_000);

  it('at once on a second Ctrl-C while it waits', async () => {
    const simulation = await simulateThenLoseBroker();
    simulation.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 500));
    simulation.child.kill('SIGINT');
    const { code, afterMs } = await simulation.exit;
    expect(code).toBe(1);
    expect(afterMs).toBeLessThan(2_000);
    expect(simulation.output().stderr).toContain('simulate: stopped before the drain ended');
  }, 40_000);
});
