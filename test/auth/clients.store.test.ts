import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { createClient, disableClient, findClient, listClients, type NewClient } from '../../auth/clients.store';
import { InputError } from '../../lib/input-error';
import { keyedHash } from '../../lib/master-key';
import { createPool } from '../../lib/postgres';
import { operatorScope, tenantsScope } from '../../lib/tenant-scope';
import { testConfig } from '../helpers/config';

const config = testConfig();
let pool: Pool;

beforeAll(() => {
  pool = createPool(config.DATABASE_URL, { service: 'auth-test' });
});

afterAll(() => pool.end());

const input = (overrides: Partial<NewClient> = {}): NewClient => ({
  tenantId: crypto.randomUUID(),
  name: 'Wattwatchers',
  grant: 'client_credentials',
  scopes: ['fleet:read'],
  ...overrides,
});

async function rowOf(clientId: string): Promise<Record<string, unknown>> {
  const { rows } = await pool.query('select * from auth.clients where client_id = $1', [clientId]);
  return rows[0] as Record<string, unknown>;
}

describe('createClient', () => {
  it('shows a client_credentials secret once and stores only its keyed hash', async () => {
    const { clientId, clientSecret } = await createClient(pool, config.masterKey, input({ scopes: ['fleet:read', 'telemetry:read'] }));
    expect(clientId).toMatch(/^cpx-[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(clientSecret!, 'base64url')).toHaveLength(32);

    const row = await rowOf(clientId);
    expect(JSON.stringify(row)).not.toContain(clientSecret);
    expect(row.secret_hash).toBe(keyedHash(config.masterKey, 'client-secret', clientSecret!));
    expect(row).toMatchObject({ grant_types: ['client_credentials'], scopes: ['fleet:read', 'telemetry:read'], control: false });
  });

  it('registers device-flow and code clients as public clients without a secret', async () => {
    const device = await createClient(pool, config.masterKey, input({ grant: 'device_code' }));
    expect(device.clientSecret).toBeUndefined();
    expect(await rowOf(device.clientId)).toMatchObject({
      secret_hash: null,
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    });

    const app = await createClient(pool, config.masterKey, input({ grant: 'authorization_code', redirectUris: ['https://app.example.com/cb', 'http://localhost:8080/cb'] }));
    expect(app.clientSecret).toBeUndefined();
    expect(await rowOf(app.clientId)).toMatchObject({ grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['https://app.example.com/cb', 'http://localhost:8080/cb'] });
  });

  it('never lets a control client refresh', async () => {
    const { clientId } = await createClient(pool, config.masterKey, input({ grant: 'device_code', scopes: ['device:control'], control: true }));
    expect((await rowOf(clientId)).grant_types).toEqual(['urn:ietf:params:oauth:grant-type:device_code']);
  });

  it.each([
    [{ scopes: ['device:control'] }, /device:control only for control clients/],
    [{ scopes: ['fleet:read', 'device:firmware'], control: false }, /device:firmware only for control clients/],
    [{ scopes: ['fleet:reed'] }, /unknown scope\(s\): fleet:reed/],
    [{ scopes: [] }, /at least one scope/],
    [{ tenantId: 'not-a-uuid' }, /not a tenant id/],
    [{ name: '  ' }, /name/],
    [{ grant: 'password' as NewClient['grant'] }, /grant: must be/],
    [{ grant: 'authorization_code' as const }, /redirect-uri: required/],
    [{ grant: 'authorization_code' as const, redirectUris: ['http://app.example.com/cb'] }, /must use https/],
    [{ grant: 'authorization_code' as const, redirectUris: ['/cb'] }, /not an absolute URL/],
    [{ grant: 'authorization_code' as const, redirectUris: ['https://app.example.com/cb#x'] }, /fragment/],
    [{ redirectUris: ['https://app.example.com/cb'] }, /only authorization_code clients/],
  ])('refuses %j with a clear input error', async (overrides, message) => {
    const error = await createClient(pool, config.masterKey, input(overrides)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
  });

  it('is backed by the database: control scopes on a non-control row are refused', async () => {
    await expect(
      pool.query(
        `insert into auth.clients (client_id, tenant_id, name, secret_hash, grant_types, scopes)
         values ($1, $2, 'sneaky', 'x', '{client_credentials}', '{device:control}')`,
        [`cpx-${crypto.randomBytes(16).toString('base64url')}`, crypto.randomUUID()],
      ),
    ).rejects.toThrow(/check constraint/);
  });
});

describe('listClients, findClient and disableClient', () => {
  it('see only the tenants of the scope, and never the secret hash', async () => {
    const a = input();
    const b = input();
    const clientA = await createClient(pool, config.masterKey, a);
    const clientB = await createClient(pool, config.masterKey, b);

    const listed = await listClients(pool, tenantsScope([a.tenantId]));
    expect(listed.map((client) => client.clientId)).toEqual([clientA.clientId]);
    expect(listed[0]).toMatchObject({ tenantId: a.tenantId, confidential: true, disabledAt: null });
    expect(listed[0]).not.toHaveProperty('secretHash');

    expect(await findClient(pool, tenantsScope([a.tenantId]), clientB.clientId)).toBeUndefined();
    expect((await findClient(pool, operatorScope, clientB.clientId))?.tenantId).toBe(b.tenantId);
  });

  it('disable a client only within the scope', async () => {
    const a = input();
    const { clientId } = await createClient(pool, config.masterKey, a);
    expect(await disableClient(pool, tenantsScope([crypto.randomUUID()]), clientId)).toBe(false);
    expect((await findClient(pool, operatorScope, clientId))?.disabledAt).toBeNull();

    expect(await disableClient(pool, tenantsScope([a.tenantId]), clientId)).toBe(true);
    expect((await findClient(pool, operatorScope, clientId))?.disabledAt).toBeInstanceOf(Date);
    expect(await disableClient(pool, tenantsScope([a.tenantId]), clientId)).toBe(false);
  });
});
