import { spawn, type ChildProcess } from 'node:child_process';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { createLogger } from '../../lib/logger';
import { createIngestWorker } from '../../subgraphs/device/ingest';
import { testConfig } from '../helpers/config';
import { createPool } from '../../lib/postgres';
import { accepts, freePort } from '../../lib/ports';
import { ingestHarness, publish, storedCount, waitFor, simulated } from './harness';
import mqtt from 'mqtt';

const h = ingestHarness();
afterAll(() => h.close());

describe('nothing is lost while the worker or the broker is away', () => {
  it('stores QoS 1 readings published while the worker was stopped, once it restarts (persistent session)', async () => {
    const first = await h.startWorker();
    const device = await h.device(4);
    const sim = simulated(device, { bootSeq: 2, seq: 0 });
    const publisher = await h.publisher();
    const start = Math.floor(Date.now() / 1000) - 600;
    const before = readingMessage(sim, start);
    await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), before.payload, before.mac);
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 1, 'reading before the stop');
    await first.stop();

    for (let i = 1; i <= 40; i += 1) {
      const { payload, mac } = readingMessage(sim, start + i * 5);
      await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), payload, mac);
    }
    expect(await storedCount(h.pool, device.deviceId)).toBe(1);

    await h.startWorker();
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 41, 'the 40 readings queued by the broker');
  });

  it('acknowledges a reading only after its batch commits: a batch lost in a crash is redelivered and stored once', async () => {
    const workerPool = createPool(h.config.DATABASE_URL, { service: 'ingest-crash', max: 2 });
    const clientId = `${h.region}-crash`;
    h.forget(clientId);
    const options = { region: h.region, group: `${h.region}-crash`, clientId, batchDelayMs: 20 };
    const logger = createLogger('ingest-test', h.config.LOG_LEVEL);
    const crashing = createIngestWorker({ config: h.config, pool: workerPool, redis: h.redis, logger, options });
    await crashing.start();
    const device = await h.device(3);
    const sim = simulated(device, { bootSeq: 2, seq: 0 });
    const publisher = await h.publisher();
    const blocker = await h.pool.connect();
    try {
      // the archive insert opens every batch: while it is locked no batch can commit
      await blocker.query('begin');
      await blocker.query('lock table telemetry.archive in exclusive mode');
      const start = Math.floor(Date.now() / 1000) - 300;
      for (let i = 0; i < 10; i += 1) {
        const { payload, mac } = readingMessage(sim, start + i * 5);
        await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), payload, mac);
      }
      await waitFor(async () => /} 10$/m.test(await crashing.metrics.registry.getSingleMetricAsString('cypernex_ingest_messages_received_total')), '10 received');
      // the batch must be waiting on the lock when the crash comes, and its backend gone
      // (the timeout waits for that) before the lock is released: else it could commit
      await waitFor(
        async () =>
          (await h.pool.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where application_name = 'cypernex-ingest-crash' and wait_event_type = 'Lock'")).rows[0]!.n > 0,
        'the batch blocked on the archive lock',
      );
      await crashing.stop({ drain: false });
      await h.pool.query("select pg_terminate_backend(pid, 5000) from pg_stat_activity where application_name = 'cypernex-ingest-crash'");
    } finally {
      await blocker.query('rollback');
      blocker.release();
      await workerPool.end().catch(() => undefined);
    }
    expect(await storedCount(h.pool, device.deviceId)).toBe(0);

    await h.startWorker({ clientId, group: options.group });
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 10, 'the 10 unacknowledged readings redelivered');
    const { rows } = await h.pool.query<{ n: number }>('select sum(readings)::int as n from telemetry.rollups_five_minutes where device_id = $1', [device.deviceId]);
    expect(rows[0]!.n).toBe(10);
  });

  it('reconnects to a restarted broker and keeps storing', async () => {
    const port = await freePort();
    let broker = startBroker(port);
    const config = testConfig({ MQTT_URL: `mqtt://127.0.0.1:${port}` });
    await waitForPort(port);
    const worker = createIngestWorker({
      config,
      pool: h.pool,
      redis: h.redis,
      logger: createLogger('ingest-test', config.LOG_LEVEL),
      options: { region: h.region, group: 'broker-restart', clientId: 'broker-restart-worker', batchDelayMs: 50 },
    });
    try {
      await worker.start();
      const device = await h.device(2);
      const sim = simulated(device, { bootSeq: 2, seq: 0 });
      const now = Math.floor(Date.now() / 1000) - 60;

      broker.kill('SIGKILL');
      await waitFor(async () => !worker.connected(), 'the worker noticing the broker is gone');
      broker = startBroker(port);
      await waitFor(async () => worker.connected(), 'the worker reconnecting', 15_000);

      const publisher = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5 });
      const { payload, mac } = readingMessage(sim, now);
      await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), payload, mac);
      await publisher.endAsync();
      await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 1, 'a reading through the restarted broker');
    } finally {
      await worker.stop();
      broker.kill('SIGKILL');
    }
  });
});

function startBroker(port: number): ChildProcess {
  return spawn('mosquitto', ['-p', String(port)], { stdio: 'ignore' });
}

async function waitForPort(port: number): Promise<void> {
  await waitFor(() => accepts(port), `broker on port ${port}`);
}
