import type { Redis } from 'ioredis';
import type { ReadingValues } from './reading';

/**
 * One hash per device: `ts` and `reading` of the newest reading, `seen` = last message
 * received, `tenant` = the device's tenant (so a reader checks scope without a query).
 */
export const latestKey = (deviceId: string): string => `telemetry:latest:${deviceId}`;

export interface LatestReading {
  deviceId: string;
  tenantId: string | null;
  lastSeenAt: Date | null;
  reading: ReadingValues | null;
}

// A late or redelivered reading must not replace a newer one; the comparison runs in Redis
// so that several workers can update the same device.
const RECORD_LATEST = `
local current = redis.call('HGET', KEYS[1], 'ts')
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'ts', ARGV[1], 'reading', ARGV[2])
end
redis.call('HSET', KEYS[1], 'tenant', ARGV[4])
local seen = redis.call('HGET', KEYS[1], 'seen')
if not seen or tonumber(seen) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'seen', ARGV[3])
end
return 1`;

type LatestRedis = Redis & { recordLatest(key: string, ts: number, reading: string, seen: number, tenantId: string): Promise<number> };

function withScript(redis: Redis): LatestRedis {
  if (!(redis as unknown as Partial<LatestRedis>).recordLatest) redis.defineCommand('recordLatest', { numberOfKeys: 1, lua: RECORD_LATEST });
  return redis as LatestRedis;
}

/** One pipeline per batch; `items` holds the newest stored reading of each device in it. */
export async function recordLatest(redis: Redis, items: readonly { deviceId: string; tenantId: string; reading: ReadingValues; receivedAt: Date }[]) {
  if (items.length === 0) return;
  const scripted = withScript(redis);
  const pipeline = scripted.pipeline() as unknown as LatestRedis & { exec(): Promise<unknown> };
  for (const item of items) {
    const { timestamp, duration, frequency, eReal, eReactive, vRMS, iRMS } = item.reading;
    const reading = JSON.stringify({ timestamp, duration, frequency, eReal, eReactive, vRMS, iRMS });
    void pipeline.recordLatest(latestKey(item.deviceId), timestamp, reading, item.receivedAt.getTime(), item.tenantId);
  }
  await pipeline.exec();
}

/**
 * Latest reading and last-seen time of a page of devices in ONE round trip (a pipeline of
 * HMGET). Callers check tenant visibility of the ids first (the telemetry subgraph does).
 */
export async function latest(redis: Redis, deviceIds: readonly string[]): Promise<LatestReading[]> {
  if (deviceIds.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of deviceIds) pipeline.hmget(latestKey(id), 'reading', 'seen', 'tenant');
  const results = (await pipeline.exec()) ?? [];
  return deviceIds.map((deviceId, i) => {
    const [error, value] = results[i] ?? [null, null];
    if (error) throw error;
    const [reading, seen, tenant] = (value as (string | null)[] | null) ?? [null, null, null];
    return {
      deviceId,
      tenantId: tenant ?? null,
      lastSeenAt: seen ? new Date(Number(seen)) : null,
      reading: reading ? (JSON.parse(reading) as ReadingValues) : null,
    };
  });
}
