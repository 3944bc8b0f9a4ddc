import crypto from 'node:crypto';
import { InputError } from '../../lib/input-error';
import { createPool } from '../../lib/postgres';
import { operatorScope, resolveScope, tenantsScope } from '../../lib/tenant-scope';
import { channelsByDevice, createSite, getDevices, registerDevices, setChannelCtRating } from '../../subgraphs/fleet/store';
import { createTenant, getTenants, grantPartner, listTenants } from '../../subgraphs/tenancy/store';
import { testConfig } from '../helpers/config';
import { principalOf } from './harness';

const pool = createPool(testConfig().DATABASE_URL, { service: 'test-stores' });
afterAll(() => pool.end());

const name = () => `t-${crypto.randomBytes(4).toString('hex')}`;
const serial = () => `SN-${crypto.randomBytes(6).toString('hex')}`;

describe('tenancy store', () => {
  it('keeps a child in its parent\'s region', async () => {
    const parent = await createTenant(pool, operatorScope, { name: name(), region: 'nz' });
    const child = await createTenant(pool, operatorScope, { name: name(), parentId: parent.id });
    expect(child).toMatchObject({ region: 'nz', parentId: parent.id });
    await expect(createTenant(pool, operatorScope, { name: name(), region: 'au', parentId: parent.id })).rejects.toThrow(/parent's region \(nz\)/);
    expect((await createTenant(pool, operatorScope, { name: name(), region: 'nz', parentId: parent.id })).region).toBe('nz');
  });

  it.each([
    [{ name: '', region: 'au' }, /name/],
    [{ name: 'x', region: 'AU' }, /region/],
    [{ name: 'x', region: 'a' }, /region/],
    [{ name: 'x', region: 'abcdefghijklmnopq' }, /region/],
    [{ name: 'x' }, /region: required/],
    [{ name: 'x', parentId: 'nope' }, /parent/],
    [{ name: 'x', parentId: '00000000-0000-4000-8000-000000000000' }, /parent: no tenant/],
  ])('refuses %j with an InputError', async (input, message) => {
    const attempt = createTenant(pool, operatorScope, input);
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('lets a tenant scope create children only below its tenants', async () => {
    const a = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const b = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const child = await createTenant(pool, tenantsScope([a.id]), { name: name(), parentId: a.id });
    expect((await getTenants(pool, operatorScope, [child.id]))[0]).toEqual(child);
    await expect(createTenant(pool, tenantsScope([a.id]), { name: name(), parentId: b.id })).rejects.toThrow(`parent: no tenant ${b.id}`);
    await expect(createTenant(pool, tenantsScope([a.id]), { name: name(), region: 'au' })).rejects.toThrow(/parent: required/);
  });

  it('partner grants make a tenant visible with only the granted scopes', async () => {
    const home = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const granted = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const clientId = `partner-${crypto.randomUUID()}`;
    await grantPartner(pool, operatorScope, { clientId, tenantId: granted.id, scopes: ['telemetry:read'] });
    const scope = await resolveScope(pool, principalOf(home.id, ['fleet:read', 'telemetry:read', 'tenancy:read'], clientId));
    expect(scope.for('telemetry:read')).toMatchObject({ tenantIds: expect.arrayContaining([home.id, granted.id]) });
    expect(scope.for('fleet:read')).toMatchObject({ tenantIds: [home.id] });
    expect((await listTenants(pool, scope.any())).map((tenant) => tenant.id).sort()).toEqual([home.id, granted.id].sort());

    await grantPartner(pool, operatorScope, { clientId, tenantId: granted.id, scopes: ['fleet:read'] });
    const again = await resolveScope(pool, principalOf(home.id, ['fleet:read', 'telemetry:read'], clientId));
    expect(again.for('telemetry:read')).toMatchObject({ tenantIds: [home.id] });
    await expect(grantPartner(pool, operatorScope, { clientId, tenantId: granted.id, scopes: ['fleet:everything'] })).rejects.toThrow(/unknown scope/);
    await expect(grantPartner(pool, tenantsScope([home.id]), { clientId, tenantId: granted.id, scopes: ['fleet:read'] })).rejects.toThrow(/no tenant/);
  });
});

describe('fleet store', () => {
  it('registers devices with D + 12 digit ids and default channels', async () => {
    const tenant = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const serials = [serial(), serial()];
    const registered = await registerDevices(pool, operatorScope, { tenantId: tenant.id, region: 'au', model: 'WW-3', serials, channels: 3 });
    expect(registered.map((device) => device.serial)).toEqual(serials);
    for (const device of registered) expect(device.id).toMatch(/^D\d{12}$/);
    const channels = await channelsByDevice(pool, tenantsScope([tenant.id]), [registered[0]!.id]);
    expect(channels.get(registered[0]!.id)!.map((channel) => [channel.index, channel.ctRating, channel.category])).toEqual([
      [0, 60, 'consumption'],
      [1, 60, 'consumption'],
      [2, 60, 'consumption'],
    ]);
  });

  it('joins the caller\'s transaction when given a client: a rollback leaves nothing', async () => {
    const tenant = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const client = await pool.connect();
    let ids: string[] = [];
    try {
      await client.query('begin');
      ids = (await registerDevices(client, operatorScope, { tenantId: tenant.id, region: 'au', model: 'WW-6', serials: [serial()] })).map((d) => d.id);
      expect(await getDevices(client, operatorScope, ids)).toHaveLength(1);
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(await getDevices(pool, operatorScope, ids)).toEqual([]);
  });

  it('refuses a tenant scope on a client outside a transaction, rather than skip row-level security', async () => {
    const tenant = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const client = await pool.connect();
    try {
      await expect(getDevices(client, tenantsScope([tenant.id]), ['D000000000001'])).rejects.toThrow(/transaction/);
    } finally {
      client.release();
    }
  });

  it.each([
    [{ serials: [] }, /serial/],
    [{ serials: ['same', 'same'] }, /listed twice/],
    [{ channels: 13 }, /channels/],
    [{ region: 'Mars' }, /region/],
    [{ model: '' }, /model/],
    [{ siteId: '00000000-0000-4000-8000-000000000000' }, /site: no site/],
  ])('refuses %j with an InputError', async (override, message) => {
    const tenant = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const attempt = registerDevices(pool, operatorScope, { tenantId: tenant.id, region: 'au', model: 'WW-6', serials: [serial()], ...override });
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('refuses a duplicate serial, a foreign tenant and a foreign site', async () => {
    const a = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const b = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const taken = serial();
    await registerDevices(pool, operatorScope, { tenantId: a.id, region: 'au', model: 'WW-6', serials: [taken] });
    await expect(registerDevices(pool, operatorScope, { tenantId: a.id, region: 'au', model: 'WW-6', serials: [taken] })).rejects.toThrow(/already registered/);
    await expect(registerDevices(pool, tenantsScope([b.id]), { tenantId: a.id, region: 'au', model: 'WW-6', serials: [serial()] })).rejects.toThrow(/no tenant/);
    const siteOfB = await createSite(pool, operatorScope, { tenantId: b.id, name: 'Shed' });
    await expect(registerDevices(pool, operatorScope, { tenantId: a.id, region: 'au', model: 'WW-6', serials: [serial()], siteId: siteOfB.id })).rejects.toThrow(/site: no site/);
    await expect(createSite(pool, operatorScope, { tenantId: a.id, name: 'x', timezone: 'Mars/Olympus' })).rejects.toThrow(/time zone/);
  });

  it('records a CT rating change only within the scope', async () => {
    const a = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const b = await createTenant(pool, operatorScope, { name: name(), region: 'au' });
    const [device] = await registerDevices(pool, tenantsScope([a.id]), { tenantId: a.id, region: 'au', model: 'WW-6', serials: [serial()] });
    expect(await setChannelCtRating(pool, tenantsScope([b.id]), device!.id, 1, 120)).toBe(false);
    expect(await setChannelCtRating(pool, tenantsScope([a.id]), device!.id, 1, 120)).toBe(true);
    const channels = (await channelsByDevice(pool, operatorScope, [device!.id])).get(device!.id)!;
    expect(channels.map((channel) => channel.ctRating)).toEqual([60, 120, 60, 60, 60, 60]);
    await expect(setChannelCtRating(pool, operatorScope, device!.id, 12, 60)).rejects.toThrow(/channel/);
    await expect(setChannelCtRating(pool, operatorScope, 'D1', 0, 60)).rejects.toThrow(/device id/);
  });
});
