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
// device. One call takes many devices: KEYS are their hashes, ARGV[1] one binary record per
// key, in order: timestamp (s) and receipt (ms) as big-endian doubles, the lengths of the
// tenant id and of the payload (uint32), then those two strings.
const RECORD_LATEST = `
local records = ARGV[1]
local at = 1
for _, key in ipairs(KEYS) do
  local ts, seen, tenantLength, payloadLength
  ts, seen, tenantLength, payloadLength, at = struct.unpack('>ddI4I4', records, at)
  local fields = {'tenant', string.sub(records, at, at + tenantLength - 1)}
  at = at + tenantLength
  local current = redis.call('HMGET', key, 'ts', 'seen')
  if not current[1] or tonumber(current[1]) < ts then
    table.insert(fields, 'ts'); table.insert(fields, ts)
    table.insert(fields, 'reading'); table.insert(fields, string.sub(records, at, at + payloadLength - 1))
  end
  at = at + payloadLength
  if not current[2] or tonumber(current[2]) < seen then
    table.insert(fields, 'seen'); table.insert(fields, seen)
  end
  redis.call('HSET', key, unpack(fields))
end
return #KEYS`;

/**
 * Devices per script call: Redis runs a script to its end before serving anyone else, so a
 * call is kept to about a millisecond of its time.
 */
const DEVICES_PER_CALL = 500;

/** Fixed part of a device's record in the script's ARGV[1]. */
const RECORD_HEADER_BYTES = 8 + 8 + 4 + 4;

type LatestRedis = Redis & { recordLatest(keyCount: number, ...keysThenRecords: (string | Buffer)[]): Promise<number> };

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
 * at 100,000 devices. A script call covers up to DEVICES_PER_CALL devices, whose values go
 * as one binary argument: with four arguments per device, the payload as text, the call
 * cost 5.8-8.1 µs of the worker's CPU per device (ioredis decoding and encoding the
 * payload again), against 4.0-5.5 µs (`node dist/bench/micro/run.js`, "latest"). Against a
 * Redis Cluster, whose scripts may only touch keys of one slot, each device is its own call.
 */
export async function recordLatest(redis: Redis, items: readonly LatestItem[]) {
  if (items.length === 0) return;
  const scripted = withScript(redis);
  const perCall = (redis as { isCluster?: boolean }).isCluster ? 1 : DEVICES_PER_CALL;
  const calls: Promise<number>[] = [];
  for (let start = 0; start < items.length; start += perCall) {
    const chunk = items.slice(start, start + perCall);
    calls.push(scripted.recordLatest(chunk.length, ...chunk.map((item) => latestKey(item.deviceId)), latestRecords(chunk)));
  }
  await Promise.all(calls);
}

/** The script's ARGV[1] for `items`: one record per device, in the order of its KEYS. */
function latestRecords(items: readonly LatestItem[]): Buffer {
  let size = 0;
  for (const item of items) size += RECORD_HEADER_BYTES + Buffer.byteLength(item.tenantId) + item.payload.length;
  const records = Buffer.allocUnsafe(size);
  let at = 0;
  for (const item of items) {
    at = records.writeDoubleBE(item.timestamp, at);
    at = records.writeDoubleBE(item.receivedAt.getTime(), at);
    const tenantLength = Buffer.byteLength(item.tenantId);
    at = records.writeUInt32BE(tenantLength, at);
    at = records.writeUInt32BE(item.payload.length, at);
    at += records.write(item.tenantId, at);
    at += item.payload.copy(records, at);
  }
  return records;
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
