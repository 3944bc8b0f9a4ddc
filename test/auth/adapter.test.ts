import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { createAdapterFactory } from '../../auth/adapter';
import { createClient, disableClient } from '../../auth/clients.store';
import { createPool } from '../../lib/postgres';
import { createRedis, type Redis } from '../../lib/redis';
import { operatorScope } from '../../lib/tenant-scope';
import { testConfig } from '../helpers/config';

const config = testConfig();
let pool: Pool;
let redis: Redis;
let adapterFor: ReturnType<typeof createAdapterFactory>;

beforeAll(() => {
  pool = createPool(config.DATABASE_URL, { service: 'auth-test' });
  redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'auth-test' });
  adapterFor = createAdapterFactory({ pool, redis });
});

afterAll(async () => {
  await pool.end();
  await redis.quit();
});

const id = () => crypto.randomBytes(12).toString('base64url');

describe('the Redis adapter', () => {
  it('keeps a record under the key prefix until its expiry', async () => {
    const jti = id();
    await adapterFor('Interaction').upsert(jti, { uid: jti, returnTo: '/auth' }, 60);
    expect(await adapterFor('Interaction').find(jti)).toEqual({ uid: jti, returnTo: '/auth' });
    expect(await adapterFor('Session').find(jti)).toBeUndefined();

    const raw = redis.duplicate({ keyPrefix: '' });
    try {
      const ttl = await raw.ttl(`${config.REDIS_KEY_PREFIX}oidc:Interaction:${jti}`);
      expect(ttl).toBeGreaterThan(60);
      expect(ttl).toBeLessThanOrEqual(75);
    } finally {
      raw.disconnect();
    }
  });

  it('marks a code consumed, and does not resurrect one that expired', async () => {
    const code = id();
    await adapterFor('AuthorizationCode').upsert(code, { clientId: 'c', grantId: id() }, 60);
    await adapterFor('AuthorizationCode').consume(code);
    const consumed = await adapterFor('AuthorizationCode').find(code);
    expect(consumed?.consumed).toBeGreaterThan(Date.now() / 1000 - 5);

    const gone = id();
    await adapterFor('AuthorizationCode').consume(gone);
    expect(await redis.exists(`oidc:AuthorizationCode:${gone}`)).toBe(0);
  });

  it('finds sessions by uid and device codes by user code', async () => {
    const session = id();
    await adapterFor('Session').upsert(session, { uid: 'uid-1', accountId: 'a' }, 60);
    expect((await adapterFor('Session').findByUid('uid-1'))?.accountId).toBe('a');

    const deviceCode = id();
    const userCode = `${id().slice(0, 4)}-${id().slice(0, 4)}`;
    await adapterFor('DeviceCode').upsert(deviceCode, { userCode, clientId: 'c' }, 60);
    expect((await adapterFor('DeviceCode').findByUserCode(userCode))?.clientId).toBe('c');
    expect(await adapterFor('DeviceCode').findByUserCode('none-none')).toBeUndefined();
  });

  it('revokes every artifact of a grant at once', async () => {
    const grantId = id();
    const refresh = id();
    const code = id();
    const other = id();
    await adapterFor('RefreshToken').upsert(refresh, { grantId }, 3600);
    await adapterFor('AuthorizationCode').upsert(code, { grantId }, 60);
    await adapterFor('RefreshToken').upsert(other, { grantId: id() }, 3600);

    await adapterFor('RefreshToken').revokeByGrantId(grantId);
    expect(await adapterFor('RefreshToken').find(refresh)).toBeUndefined();
    expect(await adapterFor('AuthorizationCode').find(code)).toBeUndefined();
    expect(await adapterFor('RefreshToken').find(other)).toBeDefined();
  });
});

describe('the Client model', () => {
  it('is read from PostgreSQL, with the hash as the secret, and disappears when disabled', async () => {
    const tenantId = crypto.randomUUID();
    const { clientId, clientSecret } = await createClient(pool, config.masterKey, { tenantId, name: 'p', grant: 'client_credentials', scopes: ['fleet:read'] });
    const metadata = await adapterFor('Client').find(clientId);
    expect(metadata).toMatchObject({
      client_id: clientId,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      scope: 'fleet:read',
      tenant_id: tenantId,
      control: false,
    });
    expect(metadata?.client_secret).not.toBe(clientSecret);

    await disableClient(pool, operatorScope, clientId);
    expect(await adapterFor('Client').find(clientId)).toBeUndefined();
    await expect(adapterFor('Client').upsert(clientId, {}, 60)).rejects.toThrow(/CLI/);
  });
});
