import type { Pool } from 'pg';
import type { Logger } from '../lib/logger';
import type { Redis } from '../lib/redis';
import { keysChangedChannel } from './key-rotation';
import { signingKeysFingerprint } from './keys';

export interface KeyWatcherOptions {
  pool: Pool;
  redis: Redis;
  redisPrefix: string;
  logger: Logger;
  /** The fingerprint of the keys the running provider was built with. */
  fingerprint: string;
  /** Rebuilds the provider with the keys now in the database. */
  reload: () => Promise<void>;
  /** Polling is the fallback when a pub/sub message was missed (Redis restarted, issuer reconnecting). */
  pollMs?: number;
}

/**
 * Lets a running issuer pick up rotated keys without a restart: on the rotation's pub/sub
 * message, and by polling the key table's fingerprint.
 */
export function watchSigningKeys(options: KeyWatcherOptions): { stop: () => Promise<void> } {
  let known = options.fingerprint;
  let running: Promise<void> | null = null;
  const check = (): Promise<void> =>
    (running ??= (async () => {
      try {
        const now = await signingKeysFingerprint(options.pool);
        if (now === known) return;
        await options.reload();
        known = now;
        options.logger.info({ keys: now }, 'signing keys reloaded');
      } catch (error) {
        options.logger.error({ err: error }, 'signing keys could not be reloaded');
      } finally {
        running = null;
      }
    })());

  // A subscribed connection can do nothing else: a dedicated one.
  const subscriber = options.redis.duplicate();
  subscriber.on('error', () => undefined);
  subscriber.on('message', () => void check());
  void subscriber.subscribe(keysChangedChannel(options.redisPrefix)).catch((error: unknown) => options.logger.warn({ err: error }, 'key rotation channel unavailable; polling only'));
  const timer = setInterval(() => void check(), options.pollMs ?? 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      subscriber.disconnect();
    },
  };
}
