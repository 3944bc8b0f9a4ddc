import net from 'node:net';
import type { Pool } from 'pg';
import { createLogger } from '../../lib/logger';
import { createPool } from '../../lib/postgres';
import { createIngestWorker, type IngestWorker } from '../../subgraphs/device/ingest';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { ingestHarness, publish, simulated, storedCount, waitFor } from './harness';

const h = ingestHarness();

/**
 * A TCP proxy to the real PostgreSQL that can play a database restart: `down()` cuts every
 * connection and refuses new ones on the same port until `up()`.
 */
async function databaseProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((inbound) => {
        const outbound = net.connect(Number(target.port || 5432), target.hostname);
        for (const socket of [inbound, outbound]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        inbound.pipe(outbound).pipe(inbound);
        inbound.on('close', () => outbound.destroy());
        outbound.on('close', () => inbound.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    async down() {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    up: listen,
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server?.listening) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}

describe('the ingestion worker rides out a database restart', () => {
  let proxy: Awaited<ReturnType<typeof databaseProxy>>;
  let workerPool: Pool;
  let worker: IngestWorker;

  beforeAll(async () => {
    proxy = await databaseProxy(new URL(h.config.DATABASE_URL));
    workerPool = createPool(proxy.url, { service: 'ingest-outage', max: 4, countStatements: false });
    const clientId = `${h.region}-outage`;
    h.forget(clientId);
    worker = createIngestWorker({
      config: h.config,
      pool: workerPool,
      redis: h.redis,
      logger: createLogger('ingest-test', h.config.LOG_LEVEL),
      options: { region: h.region, group: `${h.region}-outage`, clientId, batchDelayMs: 20 },
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker.stop();
    await workerPool.end();
    await proxy.close();
    await h.close();
  });

  it('keeps every reading received while PostgreSQL is away, unacknowledged, and stores it once PostgreSQL is back', async () => {
    const device = await h.device(3);
    const sim = simulated(device, { bootSeq: 4, seq: 0 });
    const publisher = await h.publisher();
    const start = Math.floor(Date.now() / 1000) - 600;
    const first = readingMessage(sim, start);
    await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), first.payload, first.mac);
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 1, 'the reading before the outage');

    await proxy.down();
    for (let i = 1; i <= 20; i += 1) {
      const { payload, mac } = readingMessage(sim, start + i * 5);
      await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), payload, mac);
    }
    // a device registered during the outage: the worker cannot load its key until the
    // database is back, so its reading waits in the worker, unjudged, rather than being refused
    const newcomer = await h.device(2);
    const late = readingMessage(simulated(newcomer, { bootSeq: 1, seq: 0 }), start);
    await publish(publisher, telemetryTopic(h.region, newcomer.deviceId, 'se'), late.payload, late.mac);

    await waitFor(async () => /_total [1-9]\d*$/m.test(await worker.metrics.registry.getSingleMetricAsString('cypernex_ingest_flush_failures_total')), 'a failed batch commit');
    // a restart takes a while: the worker keeps retrying meanwhile
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(worker.unacknowledged()).toBeGreaterThanOrEqual(21);
    expect(worker.connected()).toBe(true);
    expect(await storedCount(h.pool, device.deviceId)).toBe(1);

    await proxy.up();
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 21, 'the 20 readings of the outage', 20_000);
    await waitFor(async () => (await storedCount(h.pool, newcomer.deviceId)) === 1, "the newcomer's reading", 20_000);
    await waitFor(async () => worker.unacknowledged() === 0, 'every reading acknowledged');
    const { rows } = await h.pool.query<{ n: number }>('select sum(readings)::int as n from telemetry.rollups_five_minutes where device_id = $1', [device.deviceId]);
    expect(rows[0]!.n).toBe(21);
    const { rows: letters } = await h.pool.query<{ n: number }>('select count(*)::int as n from telemetry.dead_letters where device_id = any($1)', [
      [device.deviceId, newcomer.deviceId],
    ]);
    expect(letters[0]!.n).toBe(0);
  });
});
