import type { Redis } from 'ioredis';
import type { ReadingValues } from './reading';

/**
 * One string per device, a binary record: the newest reading's timestamp (unix seconds) and
 * the last receipt (epoch ms) as big-endian doubles, the length of the device's tenant id
 * (uint32), the tenant id (so that a reader checks scope without a query), then the
 * reading's signed payload. Measured (`node dist/bench/micro/run.js`, "latest": 5,000 devices
 * a round, three pairs of runs back to back): Redis spent 6.1-8.5 µs of CPU per device on
 * this record against 9.1-12.1 on the hash of four fields (`ts`, `seen`, `tenant`, `reading`)
 * it replaces, whose update read two fields and wrote four.
 */
export const latestKey = (deviceId: string): string => `telemetry:latest:${deviceId}`;

export interface LatestReading {
  deviceId: string;
  tenantId: string | null;
  lastSeenAt: Date | null;
  reading: ReadingValues | null;
}

/** Bytes before the tenant id in a record: timestamp, receipt, tenant id length. */
const RECORD_HEADER_BYTES = 8 + 8 + 4;
/** Where the receipt time and the tenant id's length sit in a record. */
const SEEN_OFFSET = 8;
const TENANT_LENGTH_OFFSET = 16;

// A late or redelivered reading must not replace a newer one, nor an older receipt a newer
// last-seen time; the comparison runs in Redis so that several workers can update the same
// device. One call takes many devices: KEYS are their records' keys, ARGV[1] their new
// records in order, each after its length (uint32). Only the first 16 bytes of a stored
// record are read. A key that holds something else (the hash of earlier versions) fails
// GETRANGE and is replaced.
const RECORD_LATEST = `
local records = ARGV[1]
local at = 1
for _, key in ipairs(KEYS) do
  local length
  length, at = struct.unpack('>I4', records, at)
  local record = string.sub(records, at, at + length - 1)
  at = at + length
  local head = redis.pcall('GETRANGE', key, 0, 15)
  if type(head) ~= 'string' or #head < 16 then
    redis.call('SET', key, record)
  else
    local ts, seen = struct.unpack('>dd', head)
    local newTs, newSeen = struct.unpack('>dd', record)
    if ts < newTs then
      if seen > newSeen then record = string.sub(record, 1, 8) .. string.sub(head, 9, 16) .. string.sub(record, 17) end
      redis.call('SET', key, record)
    elseif seen < newSeen then
      redis.call('SETRANGE', key, ${SEEN_OFFSET}, string.sub(record, ${SEEN_OFFSET + 1}, ${SEEN_OFFSET + 8}))
    end
  end
end
return #KEYS`;

/**
 * Devices per script call: Redis runs a script to its end before serving anyone else, so a
 * call is kept to about a millisecond of its time.
 */
const DEVICES_PER_CALL = 500;

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
 * at 100,000 devices. A script call covers up to DEVICES_PER_CALL devices, whose records go
 * as one binary argument: with four arguments per device, the payload as text, the call
 * cost 5.8-8.1 µs of the worker's CPU per device (ioredis decoding and encoding the
 * payload again), against 4.0-5.5 µs (`node dist/bench/micro/run.js`, "latest"). Against a
 * Redis Cluster, whose scripts may only touch keys of one slot, each device is its own call.
 */
export async function recordLatest(redis: Redis, items: readonly LatestItem[]) {
  if (items.length === 0) return;
  const scripted = withScript(redis);
  const perCall = isCluster(redis) ? 1 : DEVICES_PER_CALL;
  const calls: Promise<number>[] = [];
  for (let start = 0; start < items.length; start += perCall) {
    const chunk = items.slice(start, start + perCall);
    calls.push(scripted.recordLatest(chunk.length, ...chunk.map((item) => latestKey(item.deviceId)), latestRecords(chunk)));
  }
  await Promise.all(calls);
}

/** The script's ARGV[1] for `items`: each device's record after its length, in the order of its KEYS. */
function latestRecords(items: readonly LatestItem[]): Buffer {
  let size = 0;
  for (const item of items) size += 4 + RECORD_HEADER_BYTES + Buffer.byteLength(item.tenantId) + item.payload.length;
  const records = Buffer.allocUnsafe(size);
  let at = 0;
  for (const item of items) {
    const tenantLength = Buffer.byteLength(item.tenantId);
    at = records.writeUInt32BE(RECORD_HEADER_BYTES + tenantLength + item.payload.length, at);
    at = records.writeDoubleBE(item.timestamp, at);
    at = records.writeDoubleBE(item.receivedAt.getTime(), at);
    at = records.writeUInt32BE(tenantLength, at);
    at += records.write(item.tenantId, at);
    at += item.payload.copy(records, at);
  }
  return records;
}

/** The receipt time in a record (or in its first SEEN_RANGE bytes); null for anything shorter. */
export function seenOf(record: Buffer | null | undefined): Date | null {
  return record && record.length >= SEEN_OFFSET + 8 ? new Date(record.readDoubleBE(SEEN_OFFSET)) : null;
}

/** The bytes of a record that `seenOf` reads: GETRANGE's start and end (inclusive). */
export const SEEN_RANGE = [0, SEEN_OFFSET + 7] as const;

/** The reading fields of a stored payload (it carries more: deviceId, seq, `le` extras). */
function readingOf(text: string): ReadingValues {
  const body = JSON.parse(text) as ReadingValues;
  const { timestamp, duration, frequency, eReal, eReactive, vRMS, iRMS } = body;
  return { timestamp, duration, frequency: frequency ?? null, eReal, eReactive, vRMS, iRMS };
}

/**
 * Latest reading and last-seen time of a page of devices in ONE round trip: one `MGET`
 * (measured for 100 keys: 70-90 µs of the caller's CPU against 350-450 for a pipeline of 100
 * `GET`, and Redis 30 against 50). Against a Redis Cluster, whose multi-key commands and
 * pipelines must stay within one slot, a `GET` per device, each routed to its slot. Callers
 * check tenant visibility of the ids first (the telemetry subgraph does). A device whose key
 * holds no record (none yet, or the hash of an earlier version until its next reading
 * replaces it: `MGET` answers nil for a key of another type, a `GET` WRONGTYPE) has neither.
 */
export async function latest(redis: Redis, deviceIds: readonly string[]): Promise<LatestReading[]> {
  if (deviceIds.length === 0) return [];
  const records = isCluster(redis) ? await recordsOneByOne(redis, deviceIds) : await redis.mgetBuffer(...deviceIds.map(latestKey));
  return deviceIds.map((deviceId, i) => {
    const record = records[i];
    if (!record || record.length < RECORD_HEADER_BYTES) return { deviceId, tenantId: null, lastSeenAt: null, reading: null };
    const tenantEnd = RECORD_HEADER_BYTES + record.readUInt32BE(TENANT_LENGTH_OFFSET);
    return {
      deviceId,
      tenantId: record.toString('utf8', RECORD_HEADER_BYTES, tenantEnd),
      lastSeenAt: seenOf(record),
      reading: readingOf(record.toString('utf8', tenantEnd)),
    };
  });
}

/** `latest`'s records with a `GET` each (for a Redis Cluster); a key of another type reads as none. */
export function recordsOneByOne(redis: Redis, deviceIds: readonly string[]): Promise<(Buffer | null)[]> {
  return Promise.all(
    deviceIds.map((id) =>
      redis.getBuffer(latestKey(id)).catch((error: Error) => {
        if (isWrongType(error)) return null;
        throw error;
      }),
    ),
  );
}

/** An ioredis Cluster client: its scripts, multi-key commands and pipelines stay within one slot. */
const isCluster = (redis: Redis): boolean => (redis as { isCluster?: boolean }).isCluster === true;

/** Redis's answer to a string command on a key of another type. */
export const isWrongType = (error: Error): boolean => error.message.startsWith('WRONGTYPE');
