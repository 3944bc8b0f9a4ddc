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
