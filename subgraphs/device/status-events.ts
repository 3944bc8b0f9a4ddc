import type { Pool } from 'pg';
import { newEvent, publishEvent } from '../../lib/events';
import type { Redis } from '../../lib/redis';
import { macVerifies } from './command-message';
import { recordStatuses } from './ingest/device-status';
import { statusSchema } from './ingest/reading-schema';
import { parseTopic } from './ingest/topics';
import { loadDeviceSecrets } from './keys.store';

const MAX_STATUS_BYTES = 4096;

// Compare-and-set on the last announced state: a status older than the last one (a
// replayed retained message) announces nothing; only a flip of `online` is a change.
const ANNOUNCE = `
local current = redis.call('HMGET', KEYS[1], 'timestamp', 'online')
if current[1] and tonumber(current[1]) >= tonumber(ARGV[1]) then return -1 end
redis.call('HSET', KEYS[1], 'timestamp', ARGV[1], 'online', ARGV[2])
if current[2] == ARGV[2] then return 0 end
return 1`;

type AnnouncingRedis = Redis & { announceStatus(key: string, timestamp: string, online: string): Promise<number> };

const announcedKey = (deviceId: string) => `device:status-announced:${deviceId}`;

/**
 * The device service's own reader of `telemetry/v1/+/+/status` (shared subscription of
 * its replicas): it verifies the data-key MAC like the ingestion worker, keeps the status
 * hash current (the same guarded write as the worker, so either may run alone), and
 * publishes `device.status.changed` when a device goes online or offline. Unverifiable
 * messages are ignored here: the ingestion worker dead-letters them.
 */
export async function handleStatusMessage(pool: Pool, redis: Redis, masterKey: Buffer, topic: string, payload: Buffer, mac: unknown): Promise<boolean> {
  const parsedTopic = parseTopic(topic);
  if (!parsedTopic || parsedTopic.kind !== 'status' || payload.length > MAX_STATUS_BYTES) return false;
  const secrets = (await loadDeviceSecrets(pool, masterKey, [parsedTopic.deviceId])).get(parsedTopic.deviceId);
  if (!secrets || secrets.region !== parsedTopic.region) return false;
  if (!secrets.dataKeys.some((key) => macVerifies(key, payload, mac))) return false;
  let status;
  try {
    status = statusSchema.safeParse(JSON.parse(payload.toString('utf8')));
  } catch {
    return false;
  }
  if (!status.success || status.data.deviceId !== parsedTopic.deviceId) return false;
  await recordStatuses(redis, [{ deviceId: parsedTopic.deviceId, status: status.data, receivedAt: new Date() }]);
  const scripted = redis as AnnouncingRedis;
  if (!scripted.announceStatus) redis.defineCommand('announceStatus', { numberOfKeys: 1, lua: ANNOUNCE });
  const changed = await scripted.announceStatus(announcedKey(parsedTopic.deviceId), String(status.data.timestamp), status.data.online ? '1' : '0');
  if (changed !== 1) return false;
  const { online, firmwareVersion, signalQualityDbm, timestamp } = status.data;
  await publishEvent(
    redis,
    newEvent('device.status.changed', secrets.tenantId, { online, firmwareVersion: firmwareVersion ?? null, signalQualityDbm: signalQualityDbm ?? null, timestamp }, parsedTopic.deviceId),
  );
  return true;
}
