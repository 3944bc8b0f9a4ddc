import type { Pool } from 'pg';
import { deviceRotateKeys } from '../../bin/cli/device-keys';
import { webhookCreate } from '../../bin/cli/webhook';
import { InputError } from '../../lib/input-error';
import { createPool } from '../../lib/postgres';
import { loadDeviceSecrets } from '../../subgraphs/device/keys.store';
import { testConfig } from '../helpers/config';
import { regionTenant } from './fixtures';

const config = testConfig({ KEY_ROTATION_OVERLAP: '600' });
let pool: Pool;
const ctx = () => ({ config, pool: () => pool });

beforeAll(() => {
  pool = createPool(config.DATABASE_URL, { service: 'test', max: 3 });
});
afterAll(() => pool.end());

describe('device provisioning', () => {
  it('rotate-keys shows new keys once; the old data key stays valid for the overlap only', async () => {
    const [device] = (await regionTenant(pool, config.masterKey, 1)).devices;
    const rotated = (await deviceRotateKeys.run(ctx(), { device: device!.id })) as Record<string, string>;
    expect(rotated.dataKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.maintenanceKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([rotated.dataKey, rotated.maintenanceKey]).not.toContain(device!.dataKey);
    expect(rotated.maintenanceKey).not.toBe(device!.maintenanceKey);
    const until = new Date(rotated.previousDataKeyValidUntil!).getTime();
    expect(Math.abs(until - Date.now() - 600_000)).toBeLessThan(30_000);

    const secrets = (await loadDeviceSecrets(pool, config.masterKey, [device!.id])).get(device!.id)!;
    expect(secrets.dataKeys.map((key) => key.toString('base64url'))).toEqual([rotated.dataKey, device!.dataKey]);
    expect(secrets.maintenanceKey.toString('base64url')).toBe(rotated.maintenanceKey);

    await pool.query("update device.keys set previous_valid_until = now() - interval '1 second' where device_id = $1", [device!.id]);
    const later = (await loadDeviceSecrets(pool, config.masterKey, [device!.id])).get(device!.id)!;
    expect(later.dataKeys.map((key) => key.toString('base64url'))).toEqual([rotated.dataKey]);
  });

  it('rotate-keys of an unknown device is an input error', async () => {
    await expect(deviceRotateKeys.run(ctx(), { device: 'D999999999998' })).rejects.toBeInstanceOf(InputError);
  });

  it('webhook create returns an id and a secret, and refuses unknown events', async () => {
    const tenant = await regionTenant(pool, config.masterKey, 0);
    const created = (await webhookCreate.run(ctx(), { tenant: tenant.id, url: 'http://127.0.0.1:9/hook', events: 'device.registered device.status.changed' })) as Record<string, unknown>;
    expect(created).toEqual({ id: expect.any(String), secret: expect.stringMatching(/^whsec_/), events: ['device.registered', 'device.status.changed'] });
    const { rows } = await pool.query('select secret from device.webhooks where id = $1', [created.id]);
    expect(rows[0].secret).not.toContain(String(created.secret).slice(6));
    await expect(webhookCreate.run(ctx(), { tenant: tenant.id, url: 'http://127.0.0.1:9/hook', events: 'device.exploded' })).rejects.toThrow(/events: unknown/);
  });
});
