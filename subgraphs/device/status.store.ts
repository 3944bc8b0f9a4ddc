import type { Redis } from '../../lib/redis';
import { SEEN_RANGE, isWrongType, latestKey, seenOf } from '../telemetry/latest-store';
import { statusKey } from './ingest/device-status';

export interface StatusRow {
  online: boolean;
  lastSeenAt: Date | null;
  firmwareVersion: string | null;
  signalQualityDbm: number | null;
}

const toDate = (ms: string | null | undefined) => (ms ? new Date(Number(ms)) : null);
const newest = (a: Date | null, b: Date | null) => (a && b ? (a > b ? a : b) : (a ?? b));

/**
 * Status of devices in one round trip: the status hash (written from the signed, retained
 * status message and its will) and the time of the newest reading. Callers check that the
 * caller sees the devices first. A device that never reported is offline.
 */
export async function statusesOf(redis: Redis, deviceIds: readonly string[]): Promise<StatusRow[]> {
  if (deviceIds.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of deviceIds) {
    pipeline.hmget(statusKey(id), 'online', 'firmwareVersion', 'signalQualityDbm', 'receivedAt');
    pipeline.getrangeBuffer(latestKey(id), ...SEEN_RANGE);
  }
  const results = (await pipeline.exec()) ?? [];
  // the newest reading's key may still hold an earlier version's hash: no time from it
  results.forEach(([error], n) => {
    if (error && !(n % 2 === 1 && isWrongType(error))) throw error;
  });
  return deviceIds.map((_, i) => {
    const [online, firmware, signal, receivedAt] = (results[2 * i]?.[1] as (string | null)[] | null) ?? [];
    const [seenError, seen] = results[2 * i + 1] ?? [null, null];
    return {
      online: online === '1',
      lastSeenAt: newest(toDate(receivedAt), seenError ? null : seenOf(seen as Buffer | null)),
      firmwareVersion: firmware || null,
      signalQualityDbm: signal ? Number(signal) : null,
    };
  });
}
