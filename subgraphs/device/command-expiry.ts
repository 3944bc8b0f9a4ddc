import type { Pool } from 'pg';
import type { Logger } from '../../lib/logger';
import type { Redis } from '../../lib/redis';
import { expireOverdue } from './commands.store';

/** Open commands by expiry time (ms), shared by the replicas: the sweeper asks Redis, not SQL, whether anything is due. */
const DUE_KEY = 'device:commands:due';

export async function scheduleExpiry(redis: Redis, commandId: string, expiresAt: Date): Promise<void> {
  await redis.zadd(DUE_KEY, expiresAt.getTime(), commandId);
}

/** Expires the commands now due; those answered meanwhile are left as they are. */
export async function sweepDue(pool: Pool, redis: Redis): Promise<number> {
  const due = await redis.zrangebyscore(DUE_KEY, '-inf', Date.now(), 'LIMIT', 0, 1000);
  if (due.length === 0) return 0;
  const expired = await expireOverdue(pool, due);
  await redis.zrem(DUE_KEY, ...due);
  return expired;
}

/**
 * Sweeps due commands every `intervalMs` (config COMMAND_SWEEP_MS) and, as a backstop for a
 * schedule Redis lost, every open command past its expiry every `backstopMs`.
 */
export function startExpirySweeper(pool: Pool, redis: Redis, logger: Logger, intervalMs: number, backstopMs = 300_000): { stop(): void } {
  const warn = (error: unknown) => logger.warn({ err: error }, 'device: expiry sweep failed');
  const timers = [
    setInterval(() => void sweepDue(pool, redis).catch(warn), intervalMs),
    setInterval(() => void expireOverdue(pool).catch(warn), backstopMs),
  ];
  return {
    stop: () => timers.forEach((timer) => clearInterval(timer)),
  };
}
