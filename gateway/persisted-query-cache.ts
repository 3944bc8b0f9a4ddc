import type { Pool } from 'pg';
import type { Redis } from '../lib/redis';
import { findTrustedDocument } from './security.store';

/** Apollo Server prefixes the keys it passes with `apq:`; what follows is the hash. */
const HASH_KEY = /^apq:([0-9a-f]{64})$/;

/**
 * Apollo Server's `persistedQueries.cache` (a KeyValueCache) over Redis, so that automatic
 * persisted queries are shared by every gateway process. A miss falls back to the
 * registered trusted documents, so a trusted-documents client can send only the hash.
 */
export function createPersistedQueryCache(redis: Redis, pool: Pool, defaultTtl: number) {
  return {
    async get(key: string): Promise<string | undefined> {
      const cached = await redis.get(key);
      if (cached !== null) return cached;
      const hash = HASH_KEY.exec(key)?.[1];
      return hash ? findTrustedDocument(pool, hash) : undefined;
    },
    async set(key: string, query: string, options?: { ttl?: number | null }): Promise<void> {
      await redis.set(key, query, 'EX', options?.ttl ?? defaultTtl);
    },
    async delete(key: string): Promise<boolean> {
      return (await redis.del(key)) > 0;
    },
  };
}
