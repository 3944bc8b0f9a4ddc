import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { COMMAND_APPLIED, consumeEvents, newEvent, publishEvent, type EventConsumer, type PlatformEvent } from '../../lib/events';
import type { Logger } from '../../lib/logger';
import type { Redis } from '../../lib/redis';
import { tenantsScope } from '../../lib/tenant-scope';
import { setChannelCtRating } from './store';

/** Fleet's consumer group on the event stream. */
export const FLEET_EVENT_GROUP = 'fleet';

/** The same command always announces the same event id, so a redelivery is recognisable. */
function eventIdFor(commandId: string): string {
  const hex = crypto.createHash('sha256').update(`device.channel.updated/${commandId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A device applied a new CT coil rating: fleet records it in its own table (within the
 * device's tenant only) and tells partners. Idempotent, as the stream delivers at least once.
 */
export async function applyCtRating(pool: Pool, redis: Redis, event: PlatformEvent): Promise<boolean> {
  if (event.type !== COMMAND_APPLIED || event.data.type !== 'setCtRating' || !event.deviceId) return false;
  const params = event.data.params as { channel: number; ctRating: number };
  const updated = await setChannelCtRating(pool, tenantsScope([event.tenantId]), event.deviceId, params.channel, params.ctRating);
  if (!updated) return false;
  const announced = newEvent('device.channel.updated', event.tenantId, { channel: params.channel, ctRating: params.ctRating, commandId: event.data.commandId }, event.deviceId);
  await publishEvent(redis, { ...announced, id: eventIdFor(String(event.data.commandId)) });
  return true;
}

export function startCtRatingConsumer(pool: Pool, redis: Redis, logger: Logger): Promise<EventConsumer> {
  return consumeEvents(redis, {
    group: FLEET_EVENT_GROUP,
    handle: async (event) => {
      await applyCtRating(pool, redis, event);
    },
    onError: (error, event) => logger.warn({ err: error, eventId: event?.id }, 'fleet: event not applied, will retry'),
  });
}
