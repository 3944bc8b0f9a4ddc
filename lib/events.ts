import crypto from 'node:crypto';
import os from 'node:os';
import type { Redis } from './redis';

/**
 * A platform event: what partner webhooks receive (CONTRACT §8) and what parts tell each
 * other instead of writing each other's tables (DESIGN: storage).
 */
export interface PlatformEvent {
  id: string;
  type: string;
  /** The tenant the event belongs to; webhooks of it and of its ancestors receive it. */
  tenantId: string;
  deviceId?: string;
  /** ISO 8601 */
  occurredAt: string;
  data: Record<string, unknown>;
}

/**
 * Internal: a device applied a maintenance command (data: commandId, type, params). Fleet
 * records a new CT rating from it and then announces `device.channel.updated`.
 */
export const COMMAND_APPLIED = 'device.command.applied';

/** One stream for every replica (keys carry the deployment's prefix). */
export const EVENT_STREAM = 'events:v1';
/** Enough history for a consumer group that was down for a while; trimmed approximately. */
const STREAM_MAX_LENGTH = 100_000;

export function newEvent(type: string, tenantId: string, data: Record<string, unknown>, deviceId?: string): PlatformEvent {
  return { id: crypto.randomUUID(), type, tenantId, ...(deviceId ? { deviceId } : {}), occurredAt: new Date().toISOString(), data };
}

export async function publishEvent(redis: Redis, event: PlatformEvent): Promise<void> {
  await redis.xadd(EVENT_STREAM, 'MAXLEN', '~', String(STREAM_MAX_LENGTH), '*', 'event', JSON.stringify(event));
}

export interface EventConsumerOptions {
  /** One group per consuming part: each group sees every event once, its replicas share it. */
  group: string;
  handle: (event: PlatformEvent) => Promise<void>;
  onError: (error: unknown, event: PlatformEvent | null) => void;
  blockMs?: number;
  /** An entry another consumer took and did not acknowledge for this long is taken over. */
  claimAfterMs?: number;
}

export interface EventConsumer {
  stop(): Promise<void>;
}

type Entries = [id: string, fields: string[]][];

/**
 * Reads the stream as one consumer of `group` with a blocking connection of its own. An
 * event is acknowledged only after `handle` resolved; a failed one stays pending and is
 * retried (by this or, after a crash, another replica through XAUTOCLAIM): at least once.
 */
export async function consumeEvents(redis: Redis, options: EventConsumerOptions): Promise<EventConsumer> {
  const reader = redis.duplicate();
  const consumer = `${os.hostname()}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const claimAfterMs = options.claimAfterMs ?? 30_000;
  try {
    // from the beginning of the stream: a group created late still sees retained events.
    // ioredis does not apply its keyPrefix to XGROUP's key, so it is applied here.
    await redis.xgroup('CREATE', `${redis.options.keyPrefix ?? ''}${EVENT_STREAM}`, options.group, '0', 'MKSTREAM');
  } catch (error) {
    if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
  }
  let running = true;
  let lastClaim = 0;

  const handleEntries = async (entries: Entries) => {
    for (const [id, fields] of entries) {
      let event: PlatformEvent | null = null;
      try {
        event = JSON.parse(fields[fields.indexOf('event') + 1] ?? 'null') as PlatformEvent;
        if (event) await options.handle(event);
        await redis.xack(EVENT_STREAM, options.group, id);
      } catch (error) {
        options.onError(error, event);
      }
    }
  };

  const loop = async () => {
    while (running) {
      try {
        if (Date.now() - lastClaim > claimAfterMs / 2) {
          lastClaim = Date.now();
          const claimed = (await redis.xautoclaim(EVENT_STREAM, options.group, consumer, claimAfterMs, '0', 'COUNT', 100)) as [string, Entries];
          await handleEntries(claimed[1].filter((entry) => entry !== null && entry[1] !== null));
        }
        const read = (await reader.xreadgroup(
          'GROUP', options.group, consumer, 'COUNT', 100, 'BLOCK', options.blockMs ?? 1000, 'STREAMS', EVENT_STREAM, '>',
        )) as [string, Entries][] | null;
        if (read) await handleEntries(read[0]![1]);
      } catch (error) {
        if (!running) return;
        options.onError(error, null);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  const done = loop();
  return {
    async stop() {
      running = false;
      reader.disconnect();
      await done;
    },
  };
}
