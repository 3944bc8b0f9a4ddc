import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Pool } from 'pg';
import type { Redis } from '../lib/redis';
import { ClientAdapter } from './client-adapter';
import { CLOCK_TOLERANCE } from './clock';

/** Models whose artifacts a grant revocation must find again (oidc-provider's grantable set). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

// Marks a record consumed only while it still exists: an expired code must not come back
// as a payload-less record without a TTL.
const CONSUME = "if redis.call('exists', KEYS[1]) == 1 then redis.call('hset', KEYS[1], 'consumed', ARGV[1]) end";

/**
 * oidc-provider's short-lived state (sessions, interactions, codes, device codes, grants,
 * refresh tokens) in Redis, shared by every issuer replica, each record expiring with its
 * artifact. Keys live under the connection's prefix, as `oidc:<model>:<id>`.
 */
export class RedisAdapter implements Adapter {
  constructor(
    private readonly redis: Redis,
    private readonly model: string,
    /** Records outlive their `exp` by the provider's clock tolerance, as it still accepts them. */
    private readonly clockTolerance: number,
  ) {}

  private key(id: string): string {
    return `oidc:${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    const ttl = typeof expiresIn === 'number' ? expiresIn + this.clockTolerance : undefined;
    const multi = this.redis.multi().del(key).hset(key, 'payload', JSON.stringify(payload));
    if (ttl) multi.expire(key, ttl);
    const index = (indexKey: string) => {
      multi.set(indexKey, id);
      if (ttl) multi.expire(indexKey, ttl);
    };
    if (this.model === 'Session' && payload.uid) index(`oidc:sessionUid:${payload.uid}`);
    if (payload.userCode) index(`oidc:userCode:${payload.userCode}`);
    if (GRANTABLE.has(this.model) && payload.grantId) {
      const grantKey = `oidc:grant:${payload.grantId}`;
      multi.sadd(grantKey, key);
      // The grant's member list lives as long as its longest-lived artifact.
      if (ttl) multi.expire(grantKey, ttl, 'NX').expire(grantKey, ttl, 'GT');
    }
    await multi.exec();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const stored = await this.redis.hgetall(this.key(id));
    if (!stored.payload) return undefined;
    const payload = JSON.parse(stored.payload) as AdapterPayload;
    return stored.consumed ? { ...payload, consumed: Number(stored.consumed) } : payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(`oidc:sessionUid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(`oidc:userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    await this.redis.eval(CONSUME, 1, this.key(id), Math.floor(Date.now() / 1000));
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = `oidc:grant:${grantId}`;
    const members = await this.redis.smembers(grantKey);
    await this.redis.del(grantKey, ...members);
  }
}

/** Clients come from PostgreSQL (registered with the CLI); everything else lives in Redis. */
export function createAdapterFactory({ pool, redis }: { pool: Pool; redis: Redis }): AdapterFactory {
  return (model: string) => (model === 'Client' ? new ClientAdapter(pool) : new RedisAdapter(redis, model, CLOCK_TOLERANCE));
}
