import { decodeJwt } from 'jose';
import { createApiKey, hashApiKey, revokeApiKey } from '../../auth/api-keys.store';
import { generateApiKey } from '../../lib/api-key';
import { deny, lift } from '../../lib/deny-list';
import { operatorScope } from '../../lib/tenant-scope';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices } from '../helpers/tenants';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform();
});

afterAll(async () => {
  await platform.close();
});

const DEVICES = '{ devices(first: 50) { edges { node { id } } } }';
const withKey = (key: string) => platform.query(null, DEVICES, undefined, { 'x-api-key': key });
const deviceIds = (result: Awaited<ReturnType<typeof withKey>>) =>
  ((result.body.data?.devices as { edges: { node: { id: string } }[] } | undefined)?.edges ?? []).map((edge) => edge.node.id).sort();
const code = (result: Awaited<ReturnType<typeof withKey>>) => result.body.errors?.[0]?.extensions?.code;

async function keyFor(tenantId: string, deviceIds?: string[]) {
  return createApiKey(platform.pool, platform.config.masterKey, operatorScope, { tenantId, scopes: ['fleet:read'], ...(deviceIds ? { deviceIds } : {}) });
}

describe('X-Api-Key at the gateway', () => {
  it('sees its tenant\'s devices, or only the one it is limited to, and records when it was used', async () => {
    const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'keys', 3);
    const all = await keyFor(tenant.id);
    expect(deviceIds(await withKey(all.key))).toEqual(tenant.devices.map((device) => device.id).sort());

    const one = await keyFor(tenant.id, [tenant.devices[1]!.id]);
    const result = await withKey(one.key);
    expect(result.status).toBe(200);
    expect(deviceIds(result)).toEqual([tenant.devices[1]!.id]);
    const { rows } = await platform.pool.query<{ last_used_at: Date | null }>('select last_used_at from auth.api_keys where id = $1', [one.id]);
    expect(rows[0]!.last_used_at).toBeInstanceOf(Date);
  });

  it('refuses a key with one character changed, or a bad checksum, as unauthenticated', async () => {
    const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'keys', 1);
    const { key } = await keyFor(tenant.id);
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1);
    for (const bad of [flip(key, 10), flip(key, key.length - 1), `${key.slice(0, -6)}000000`, key.replace('cpx_', 'cpz_'), 'nonsense']) {
      const result = await withKey(bad);
      expect({ bad, status: result.status, code: code(result) }).toEqual({ bad, status: 401, code: 'UNAUTHENTICATED' });
    }
    // Refused before any lookup: a lookup (found or not) always leaves a cache entry.
    const badChecksum = `${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}`;
    expect((await withKey(badChecksum)).status).toBe(401);
    expect(await platform.redis.exists(`apikey:lookup:${hashApiKey(platform.config.masterKey, badChecksum)}`)).toBe(0);
    const wellFormedUnknown = generateApiKey();
    expect((await withKey(wellFormedUnknown)).status).toBe(401);
    expect(await platform.redis.exists(`apikey:lookup:${hashApiKey(platform.config.masterKey, wellFormedUnknown)}`)).toBe(1);
    expect(deviceIds(await withKey(key))).toHaveLength(1);
  });

  it('stops a revoked key within 5 seconds even without a deny-list entry', async () => {
    const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'keys', 1);
    const { id, key } = await keyFor(tenant.id);
    expect((await withKey(key)).status).toBe(200);
    await revokeApiKey(platform.pool, operatorScope, id);
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 6000) {
      status = (await withKey(key)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(5000);
  });
});

describe('the deny-list', () => {
  it('cuts off a token by jti, its client, or its subject at once, and lifting restores access', async () => {
    const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'deny', 1);
    const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, ['fleet:read']);
    const token = await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'fleet:read');
    const jti = decodeJwt(token).jti!;
    expect((await platform.query(token, DEVICES)).status).toBe(200);

    for (const [kind, value] of [['jti', jti], ['client', client.clientId], ['subject', client.clientId]] as const) {
      await deny(platform.redis, kind, value);
      const refused = await platform.query(token, DEVICES);
      expect({ kind, status: refused.status, message: refused.body.errors?.[0]?.message }).toEqual({ kind, status: 401, message: 'access revoked' });
      await lift(platform.redis, kind, value);
    }
    expect((await platform.query(token, DEVICES)).status).toBe(200);
  });

  it('cuts off an API key by its id', async () => {
    const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'deny', 1);
    const { id, key } = await keyFor(tenant.id);
    await deny(platform.redis, 'subject', id, 60);
    expect((await withKey(key)).status).toBe(401);
    await lift(platform.redis, 'subject', id);
    expect((await withKey(key)).status).toBe(200);
  });

  it('refuses a request with both a token and an API key', async () => {
    const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'both', 0);
    const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, ['fleet:read']);
    const token = await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'fleet:read');
    const { key } = await keyFor(tenant.id);
    expect((await platform.query(token, DEVICES, undefined, { 'x-api-key': key })).status).toBe(401);
  });
});
