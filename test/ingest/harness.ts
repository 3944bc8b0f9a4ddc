import crypto from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import { createLogger } from '../../lib/logger';
import { createPool } from '../../lib/postgres';
import { createRedis, type Redis } from '../../lib/redis';
import { createIngestWorker, type IngestWorker, type IngestWorkerOptions } from '../../subgraphs/device/ingest';
import { testConfig } from '../helpers/config';
import { createTestTenant, provisionTestDevice, type TestDevice } from '../helpers/devices';
import type { SimulatedDevice } from '../../subgraphs/device/simulator/message';

/**
 * Each test file gets a region and shared-subscription group of its own, so a developer's
 * running worker (group `ingest`) and other test files never see its messages.
 */
export function ingestHarness() {
  const config = testConfig();
  const region = `ti${crypto.randomBytes(4).toString("hex")}`;
  const group = `ingest-test-${crypto.randomBytes(4).toString('hex')}`;
  const clientId = `cypernex-ingest-test-${crypto.randomBytes(4).toString('hex')}`;
  const pool: Pool = createPool(config.DATABASE_URL, { service: 'ingest-test', max: 4 });
  const redis: Redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'ingest-test' });
  const workers: IngestWorker[] = [];
  const clientIds = new Set([clientId]);
  const publishers: MqttClient[] = [];

  return {
    config,
    region,
    pool,
    redis,

    async startWorker(options: Partial<IngestWorkerOptions> = {}): Promise<IngestWorker> {
      const worker = createIngestWorker({
        config,
        pool,
        redis,
        logger: createLogger('ingest-test', config.LOG_LEVEL),
        options: { group, region, clientId, batchDelayMs: 50, ...options },
      });
      clientIds.add(options.clientId ?? clientId);
      await worker.start();
      workers.push(worker);
      return worker;
    },

    async device(channels = 6): Promise<TestDevice> {
      const tenantId = await createTestTenant(pool, region);
      return provisionTestDevice(pool, config.masterKey, { tenantId, region, channels });
    },

    async publisher(): Promise<MqttClient> {
      const client = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5, clientId: `pub-${crypto.randomBytes(4).toString('hex')}` });
      publishers.push(client);
      return client;
    },

    /** Also ends the persistent session of every client id used, so none keeps queuing. */
    forget(id: string): void {
      clientIds.add(id);
    },

    async close(): Promise<void> {
      for (const worker of workers) await worker.stop();
      for (const client of publishers) await client.endAsync();
      for (const id of clientIds) {
        const cleaner = await mqtt.connectAsync(config.MQTT_URL, { protocolVersion: 5, clientId: id, clean: true, properties: { sessionExpiryInterval: 0 } });
        await cleaner.endAsync();
      }
      await pool.end();
      redis.disconnect();
    },
  };
}

export async function publish(client: MqttClient, topic: string, payload: Buffer | string, mac?: string): Promise<void> {
  await client.publishAsync(topic, payload, { qos: 1, properties: mac === undefined ? {} : { userProperties: { mac } } });
}

/** Polls until `probe` returns a truthy value (ingestion is asynchronous by design). */
export async function waitFor<T>(probe: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function storedCount(pool: Pool, deviceId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from telemetry.readings where device_id = $1', [deviceId]);
  return rows[0]!.n;
}

export async function deadLetterReasons(pool: Pool, deviceId: string): Promise<string[]> {
  const { rows } = await pool.query<{ reason: string }>('select reason from telemetry.dead_letters where device_id = $1 order by id', [deviceId]);
  return rows.map((row) => row.reason);
}

/** A provisioned test device as the simulator plays it, with its counters starting where a test wants. */
export function simulated(
  device: { deviceId: string; region: string; channels: number; dataKey: string },
  counters: { bootSeq: number; seq: number } = { bootSeq: 1, seq: 0 },
): SimulatedDevice {
  return { deviceId: device.deviceId, region: device.region, channels: device.channels, dataKey: Buffer.from(device.dataKey, 'base64url'), ...counters };
}
