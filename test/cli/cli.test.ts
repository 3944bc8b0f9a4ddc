import crypto from 'node:crypto';
import { createPool } from '../../lib/postgres';
import { openDataKey, openMaintenanceKey } from '../../subgraphs/device/keys.store';
import { testConfig } from '../helpers/config';
import { cliJson, runCli } from '../helpers/run-cli';

const config = testConfig();
const pool = createPool(config.DATABASE_URL, { service: 'test' });
afterAll(() => pool.end());

const name = () => `CLI ${crypto.randomBytes(4).toString('hex')}`;

describe('operator CLI', () => {
  it('prints exactly one JSON object with --json', () => {
    const result = runCli(['tenant', 'create', '--name', name(), '--region', 'au', '--json']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const tenant = JSON.parse(result.stdout) as { id: string; region: string };
    expect(tenant.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(tenant.region).toBe('au');
  });

  it('creates a child tenant in its parent region', () => {
    const parent = cliJson<{ id: string }>(['tenant', 'create', '--name', name(), '--region', 'nz']);
    const child = cliJson<{ id: string; region: string; parentId: string }>(['tenant', 'create', '--name', name(), '--parent', parent.id]);
    expect(child).toMatchObject({ region: 'nz', parentId: parent.id });
  });

  it.each([
    [['tenant', 'create', '--name', 'x'], /--region is required/],
    [['tenant', 'create', '--name', 'x', '--region', 'AU!'], /region/],
    [['tenant', 'create', '--name', 'x', '--region', 'au', '--colour', 'red'], /Unknown option '--colour'/],
    [['device', 'register', '--tenant', 'not-a-uuid', '--model', 'M', '--serial', 'S'], /--tenant must be an id/],
    [['device', 'register', '--tenant', crypto.randomUUID(), '--model', 'M', '--serial', 'S'], /no tenant/],
    [['client', 'create', '--tenant', crypto.randomUUID(), '--name', 'n', '--grant', 'client_credentials', '--scopes', 'fleet:read'], /no tenant/],
    [['tenant', 'explode'], /unknown command "tenant explode"/],
  ])('refuses bad input %j with one line on stderr and exit code 2', (args, message) => {
    const result = runCli([...args, '--json']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('registers a device with two different 32-byte keys, stored sealed and shown once', async () => {
    const tenant = cliJson<{ id: string }>(['tenant', 'create', '--name', name(), '--region', 'au']);
    const device = cliJson<{ id: string; region: string; dataKey: string; maintenanceKey: string }>([
      'device', 'register', '--tenant', tenant.id, '--serial', `S-${crypto.randomBytes(4).toString('hex')}`, '--model', 'WW-6M', '--channels', '3',
    ]);
    expect(device.id).toMatch(/^D\d{12}$/);
    expect(device.region).toBe('au');
    for (const key of [device.dataKey, device.maintenanceKey]) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    }
    expect(device.dataKey).not.toBe(device.maintenanceKey);
    const { rows } = await pool.query<{ data_key: string; maintenance_key: string; channel_count: number }>(
      'select data_key, maintenance_key, channel_count from device.keys where device_id = $1',
      [device.id],
    );
    expect(rows[0]!.channel_count).toBe(3);
    expect(rows[0]!.data_key).not.toContain(device.dataKey);
    expect(openDataKey(config.masterKey, rows[0]!.data_key).toString('base64url')).toBe(device.dataKey);
    expect(openMaintenanceKey(config.masterKey, rows[0]!.maintenance_key).toString('base64url')).toBe(device.maintenanceKey);
    const channels = await pool.query('select index from fleet.channels where device_id = $1 order by index', [device.id]);
    expect(channels.rows.map((row) => row.index)).toEqual([0, 1, 2]);
  });

  it('registers a fleet in bulk', () => {
    const tenant = cliJson<{ id: string }>(['tenant', 'create', '--name', name(), '--region', 'au']);
    const result = cliJson<{ devices: { id: string; serial: string }[] }>(['device', 'register', '--tenant', tenant.id, '--model', 'WW-6M', '--count', '25', '--serial-prefix', `B${crypto.randomBytes(3).toString('hex')}-`]);
    expect(result.devices).toHaveLength(25);
    expect(new Set(result.devices.map((d) => d.id)).size).toBe(25);
    expect(result.devices[0]!.serial).toMatch(/-01$/);
  });

  it('refuses a duplicate serial of the same model', () => {
    const tenant = cliJson<{ id: string }>(['tenant', 'create', '--name', name(), '--region', 'au']);
    const serial = `DUP-${crypto.randomBytes(4).toString('hex')}`;
    cliJson(['device', 'register', '--tenant', tenant.id, '--serial', serial, '--model', 'WW-6M']);
    const again = runCli(['device', 'register', '--tenant', tenant.id, '--serial', serial, '--model', 'WW-6M', '--json']);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already registered/);
  });

  it('creates clients and partner grants; control scopes need --control', async () => {
    const tenant = cliJson<{ id: string }>(['tenant', 'create', '--name', name(), '--region', 'au']);
    const client = cliJson<{ clientId: string; clientSecret: string }>(['client', 'create', '--tenant', tenant.id, '--name', 'portal', '--grant', 'client_credentials', '--scopes', 'tenancy:read fleet:read']);
    expect(client.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const refused = runCli(['client', 'create', '--tenant', tenant.id, '--name', 'ops', '--grant', 'client_credentials', '--scopes', 'device:control', '--json']);
    expect(refused.status).toBe(2);
    expect(cliJson(['client', 'create', '--tenant', tenant.id, '--name', 'ops', '--grant', 'client_credentials', '--scopes', 'device:control', '--control'])).toHaveProperty('clientId');
    const other = cliJson<{ id: string }>(['tenant', 'create', '--name', name(), '--region', 'au']);
    expect(cliJson(['partner', 'grant', '--client', client.clientId, '--tenant', other.id, '--scopes', 'fleet:read'])).toEqual({});
    const grants = await pool.query('select scopes from tenancy.partner_grants where client_id = $1 and tenant_id = $2', [client.clientId, other.id]);
    expect(grants.rows[0]!.scopes).toEqual(['fleet:read']);
    expect(runCli(['partner', 'grant', '--client', 'cpx-nobody', '--tenant', other.id, '--scopes', 'fleet:read', '--json']).status).toBe(2);
  });

  it('seeds the demo, reusing tenants and devices on a second run', () => {
    type Seed = { tenants: { id: string; name: string }[]; clients: { clientId: string; clientSecret: string }[]; devices: { id: string }[] };
    const first = cliJson<Seed>(['seed', 'demo']);
    const second = cliJson<Seed>(['seed', 'demo']);
    expect(first.tenants.map((t) => t.name)).toEqual(['Demo Utility', 'Demo Installer', 'Other Utility']);
    expect(second.tenants.map((t) => t.id)).toEqual(first.tenants.map((t) => t.id));
    expect(second.devices.map((d) => d.id).sort()).toEqual(first.devices.map((d) => d.id).sort());
    expect(first.devices).toHaveLength(7);
    expect(second.clients[0]!.clientId).not.toBe(first.clients[0]!.clientId);
    expect(first.clients.every((c) => c.clientSecret)).toBe(true);
  });
});
