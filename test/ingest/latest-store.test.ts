import crypto from 'node:crypto';
import { createRedis } from '../../lib/redis';
import { latest, latestKey, recordLatest, recordsOneByOne } from '../../subgraphs/telemetry/latest-store';
import { statusesOf } from '../../subgraphs/device/status.store';
import type { ReadingValues } from '../../subgraphs/telemetry/reading';
import { testConfig } from '../helpers/config';

const config = testConfig();
const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'latest-store-test' });
const run = crypto.randomBytes(4).toString('hex');
const tenantId = crypto.randomUUID();
const ids: string[] = [];

afterAll(async () => {
  if (ids.length) await redis.del(...ids.map(latestKey));
  redis.disconnect();
});

function reading(timestamp: number, joules: number): ReadingValues {
  return { timestamp, duration: 5, frequency: 50, eReal: [joules, -joules], eReactive: [1, 2], vRMS: [230, 231], iRMS: [1.5, 2.5] };
}

/** What the worker hands over: the signed payload, which carries more than the reading. */
function item(deviceId: string, values: ReadingValues, receivedAt: Date) {
  const payload = Buffer.from(JSON.stringify({ v: 1, deviceId, bootSeq: 1, seq: values.timestamp, ...values, eRealPositive: [1, 1] }));
  return { deviceId, tenantId, timestamp: values.timestamp, payload, receivedAt };
}

function deviceId(i: number): string {
  const id = `latest-${run}-${i}`;
  ids.push(id);
  return id;
}

describe('recordLatest', () => {
  it('keeps the newest reading (its fields, not the rest of the payload) and the latest receipt of every device, over several script calls', async () => {
    // more devices than one script call takes, so the chunks are exercised
    const devices = Array.from({ length: 1203 }, (_, i) => deviceId(i));
    const at = (ms: number) => new Date(1_800_000_000_000 + ms);
    await recordLatest(redis, devices.map((id, i) => item(id, reading(1_800_000_000 + i, i + 1), at(10_000))));
    // older readings (a late one, a redelivery) received later: the reading stays, last-seen moves on
    await recordLatest(redis, devices.map((id, i) => item(id, reading(1_799_999_000 + i, -1), at(20_000))));
    const afterLate = await latest(redis, devices);
    afterLate.forEach((entry, i) => {
      expect(entry.reading).toEqual(reading(1_800_000_000 + i, i + 1));
      expect(entry.lastSeenAt).toEqual(at(20_000));
      expect(entry.tenantId).toBe(tenantId);
    });
    // newer readings, handed over by a worker that received them earlier than the last receipt
    await recordLatest(redis, devices.map((id, i) => item(id, reading(1_800_000_100 + i, 7), at(15_000))));
    const afterNewer = await latest(redis, devices);
    afterNewer.forEach((entry, i) => {
      expect(entry.reading).toEqual(reading(1_800_000_100 + i, 7));
      expect(entry.lastSeenAt).toEqual(at(20_000));
    });
  });

  it("keeps each device's payload whole when payloads hold multi-byte characters (lengths are in bytes)", async () => {
    const devices = [deviceId(50_001), deviceId(50_002), deviceId(50_003)];
    const items = devices.map((id, i) => {
      const values = reading(1_800_000_000 + i, i + 10);
      const payload = Buffer.from(JSON.stringify({ v: 1, deviceId: id, bootSeq: 1, seq: i, ...values, label: 'Küche ☀'.repeat(i + 1) }));
      return { deviceId: id, tenantId, timestamp: values.timestamp, payload, receivedAt: new Date(1_800_000_000_000) };
    });
    await recordLatest(redis, items);
    const stored = await latest(redis, devices);
    stored.forEach((entry, i) => expect(entry.reading).toEqual(reading(1_800_000_000 + i, i + 10)));
    // the payload is kept byte for byte, at the end of the device's record
    const record = await redis.getBuffer(latestKey(devices[2]!));
    expect(record!.subarray(record!.length - items[2]!.payload.length).equals(items[2]!.payload)).toBe(true);
  });

  it('replaces the hash an earlier version kept per device, reading it as nothing until then', async () => {
    const id = deviceId(99_999);
    const old = reading(1_700_000_000, 1);
    await redis.hset(latestKey(id), 'ts', old.timestamp, 'seen', 1_700_000_000_000, 'tenant', tenantId, 'reading', JSON.stringify(old));
    expect(await latest(redis, [id])).toEqual([{ deviceId: id, tenantId: null, lastSeenAt: null, reading: null }]);
    expect((await statusesOf(redis, [id]))[0]?.lastSeenAt).toBeNull();
    await recordLatest(redis, [item(id, reading(1_800_000_000, 3), new Date(1_800_000_000_000))]);
    expect(await redis.type(latestKey(id))).toBe('string');
    expect(await latest(redis, [id])).toEqual([{ deviceId: id, tenantId, lastSeenAt: new Date(1_800_000_000_000), reading: reading(1_800_000_000, 3) }]);
    expect((await statusesOf(redis, [id]))[0]?.lastSeenAt).toEqual(new Date(1_800_000_000_000));
  });

  it('reads a page with MGET, and with a GET per device against a cluster, alike: records, nothing yet, and an old hash', async () => {
    const [stored, none, hashed] = [deviceId(70_001), deviceId(70_002), deviceId(70_003)];
    await recordLatest(redis, [item(stored, reading(1_800_000_100, 7), new Date(1_800_000_100_000))]);
    await redis.hset(latestKey(hashed), 'ts', 1_700_000_000, 'reading', '{}');
    expect(await latest(redis, [stored, none, hashed])).toEqual([
      { deviceId: stored, tenantId, lastSeenAt: new Date(1_800_000_100_000), reading: reading(1_800_000_100, 7) },
      { deviceId: none, tenantId: null, lastSeenAt: null, reading: null },
      { deviceId: hashed, tenantId: null, lastSeenAt: null, reading: null },
    ]);
    // the cluster path (an ioredis Cluster cannot be stood up on one Redis): the same records
    const records = await recordsOneByOne(redis, [stored, none, hashed]);
    expect(records.map((record) => record === null)).toEqual([false, true, true]);
    expect((await redis.getBuffer(latestKey(stored)))!.equals(records[0]!)).toBe(true);
  });
});
