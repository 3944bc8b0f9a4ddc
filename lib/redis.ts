import { Redis } from 'ioredis';

export type { Redis };

/** A Redis connection with the platform's key prefix; commands fail fast while Redis is down. */
export function createRedis(url: string, options: { keyPrefix: string; service: string; lazy?: boolean }): Redis {
  const redis = new Redis(url, {
    keyPrefix: options.keyPrefix,
    connectionName: `cypernex-${options.service}`,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: options.lazy ?? false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', () => {
    // Reconnection is automatic; readiness probes and failing commands report the outage.
  });
  return redis;
}

/** Deletes every key under a prefix (a test run's or a benchmark's own), without KEYS. */
export async function dropKeysWithPrefix(url: string, prefix: string): Promise<number> {
  if (!prefix) throw new Error('dropKeysWithPrefix: refusing an empty prefix');
  const redis = new Redis(url, { lazyConnect: false });
  let dropped = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) dropped += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return dropped;
}
