import type { Redis } from 'ioredis';
import type { StatusPayload } from './reading-schema';

export const statusKey = (deviceId: string): string => `device:status:${deviceId}`;

// A replayed or late status must not overwrite a newer one.
const RECORD_STATUS = `
local current = redis.call('HGET', KEYS[1], 'timestamp')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'timestamp', ARGV[1], 'online', ARGV[2], 'firmwareVersion', ARGV[3], 'signalQualityDbm', ARGV[4], 'receivedAt', ARGV[5])
return 1`;

type StatusRedis = Redis & { recordStatus(key: string, ...args: string[]): Promise<number> };

/**
 * Device status from the signed `status` topic (online, or offline from the will) in one
 * hash per device; the device subgraph reads it (issue 4 extends this).
 */
export async function recordStatuses(redis: Redis, items: readonly { deviceId: string; status: StatusPayload; receivedAt: Date }[]) {
  if (items.length === 0) return;
  const scripted = redis as StatusRedis;
  if (!scripted.recordStatus) redis.defineCommand('recordStatus', { numberOfKeys: 1, lua: RECORD_STATUS });
  const pipeline = scripted.pipeline() as unknown as StatusRedis & { exec(): Promise<unknown> };
  for (const { deviceId, status, receivedAt } of items) {
    void pipeline.recordStatus(
      statusKey(deviceId),
      String(status.timestamp),
      status.online ? '1' : '0',
      status.firmwareVersion ?? '',
      status.signalQualityDbm === undefined ? '' : String(status.signalQualityDbm),
      String(receivedAt.getTime()),
    );
  }
  await pipeline.exec();
}
