import type { Redis } from 'ioredis';
import type { ReadingValues } from './reading';

/**
 * One hash per device: `ts` and `reading` (its signed payload) of the newest reading, `seen` = last message
 * received, `tenant` = the device's tenant (so a reader checks scope without a query).
 */
export const latestKey = (deviceId: string): string => `telemetry:latest:${deviceId}`;

export interface LatestReading {
  deviceId: string;
  tenantId: string | null;
  lastSeenAt: Date | null;
  reading: ReadingValues | null;
}

// A late or redelivered reading must not replace a newer one, nor an older receipt a newer
// last-seen time; the comparison runs in Redis so that several workers can update the same
// device. One call takes many devices: KEYS are their hashes, ARGV four values per key.
const RECORD_LATEST = `
for i, key in ipairs(KEYS) do
  local a = (i - 1) * 4
  local current = redis.call('HMGET', key, 'ts', 'seen')
  local fields = {'tenant', ARGV[a + 4]}
  if not current[1] or tonumber(current[1]) < tonumber(ARGV[a + 1]) then
    table.insert(fields, 'ts'); table.insert(fields, ARGV[a + 1])
    table.insert(fields, 'reading'); table.insert(fields, ARGV[a + 2])
  end
  if not current[2] or tonumber(current[2]) < tonumber(ARGV[a + 3]) then
    table.insert(fields, 'seen'); table.insert(fields, ARGV[a + 3])
  end
  redis.call('HSET', key, unpack(fields))
end
return #KEYS`;

/**
 * Devices per script call: Redis runs a script to its end before serving anyone else, so a
 * call is kept to about a millisecond of its time.
 */
const DEVICES_PER_CALL = 500;

type LatestRedis = Redis & { recordLatest(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number> };

function withScript(redis: Redis): LatestRedis {
  if (!(redis as unknown as Partial<LatestRedis>).recordLatest) redis.defineCommand('recordLatest', { lua: RECORD_LATEST });
  return redis as LatestRedis;
}

export interface LatestItem {
  deviceId: string;
  tenantId: string;
  /** The reading's timestamp (unix seconds). */
  timestamp: number;
  /** The reading's payload as the device signed it, already checked by the worker. */
  payload: Buffer;
  receivedAt: Date;
}

/**
 * Records the newest stored reading of each device in `items` (one item per device). The
 * reading is kept as its signed payload, read back by `latest`: measured, serialising each
 * reading's numbers again and a command per device were 10 % of the ingestion worker's CPU
 * at 100,000 devices. A script call covers up to DEVICES_PER_CALL devices. Against a Redis
 * Cluster, whose scripts may only touch keys of one slot, each device is its own call.
 */
export async function recordLatest(redis: Redis, items: readonly LatestItem[]) {
  if (items.length === 0) return;
  const scripted = withScript(redis);
  const perCall = (redis as { isCluster?: boolean }).isCluster ? 1 : DEVICES_PER_CALL;
  const calls: Promise<number>[] = [];
  for (let start = 0; start < items.length; start += perCall) {
    const chunk = items.slice(start, start + perCall);
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const item of chunk) {
      keys.push(latestKey(item.deviceId));
      // as text, the way the worker parsed it: a Buffer argument puts ioredis in its buffer
      // mode, which copies every argument of the call once more (measured: 2 % of the worker)
      args.push(item.timestamp, item.payload.toString(), item.receivedAt.getTime(), item.tenantId);
    }
    calls.push(scripted.recordLatest(keys.length, ...keys, ...args));
  }
  await Promise.all(calls);
}

/** The reading fields of a stored payload (it carries more: deviceId, seq, `le` extras). */
function readingOf(text: string): ReadingValues {
  const body = JSON.parse(text) as ReadingValues;
  const { timestamp, duration, frequency, eReal, eReactive, vRMS, iRMS } = body;
  return { timestamp, duration, frequency: frequency ?? null, eReal, eReactive, vRMS, iRMS };
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
      reading: reading ? readingOf(reading) : null,
    };
  });
}
