import type { Pool } from 'pg';
import { findApiKeyByHash, hashApiKey, touchApiKey, type ApiKeyRecord } from '../auth/api-keys.store';
import { isWellFormedApiKey } from '../lib/api-key';
import type { Principal } from '../lib/principal';
import type { Redis } from '../lib/redis';
import { AuthenticationError } from './authenticate';

/**
 * Lookups are cached in Redis (shared by every replica) for less than the 5 seconds within
 * which a revocation must take effect; unknown keys are cached too, so a flood of made-up
 * keys with valid checksums does not reach PostgreSQL.
 */
export const API_KEY_CACHE_SECONDS = 4;
/** last_used_at is written at most this often per key, not on every request. */
const LAST_USED_RESOLUTION_SECONDS = 60;

type Cached = Pick<ApiKeyRecord, 'id' | 'tenantId' | 'scopes' | 'deviceIds'> | { missing: true };

async function lookup(redis: Redis, pool: Pool, keyHash: string): Promise<Cached> {
  const cacheKey = `apikey:lookup:${keyHash}`;
  const cached = await redis.get(cacheKey);
  if (cached) return JSON.parse(cached) as Cached;
  const record = await findApiKeyByHash(pool, keyHash);
  const value: Cached = record ? { id: record.id, tenantId: record.tenantId, scopes: record.scopes, deviceIds: record.deviceIds } : { missing: true };
  await redis.set(cacheKey, JSON.stringify(value), 'EX', API_KEY_CACHE_SECONDS);
  return value;
}

/**
 * `X-Api-Key` → the same Principal a token gives (CONTRACT §3): subject = key id, the key's
 * tenant, its read-only scopes and optional device allow-list. A key whose checksum does
 * not match is refused before any lookup.
 */
export async function apiKeyPrincipal(key: string, deps: { redis: Redis; pool: Pool; masterKey: Buffer }): Promise<Principal> {
  if (!isWellFormedApiKey(key)) throw new AuthenticationError('API key is malformed');
  const found = await lookup(deps.redis, deps.pool, hashApiKey(deps.masterKey, key));
  if ('missing' in found) throw new AuthenticationError('API key is not valid');
  if (await deps.redis.set(`apikey:used:${found.id}`, '1', 'EX', LAST_USED_RESOLUTION_SECONDS, 'NX')) {
    await touchApiKey(deps.pool, found.id);
  }
  return {
    subject: found.id,
    clientId: null,
    tenantId: found.tenantId,
    principalType: 'apikey',
    scopes: found.scopes,
    ...(found.deviceIds ? { deviceIds: found.deviceIds } : {}),
  };
}
