import type { Redis } from '../../lib/redis';
import { latestKey } from '../telemetry/latest-store';
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
    pipeline.hget(latestKey(id), 'seen');
  }
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  return deviceIds.map((_, i) => {
    const [online, firmware, signal, receivedAt] = (results[2 * i]?.[1] as (string | null)[] | null) ?? [];
    const seen = results[2 * i + 1]?.[1] as string | null;
    return {
      online: online === '1',
      lastSeenAt: newest(toDate(receivedAt), toDate(seen)),
      firmwareVersion: firmware || null,
      signalQualityDbm: signal ? Number(signal) : null,
    };
  });
}
