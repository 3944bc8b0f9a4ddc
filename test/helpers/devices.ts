import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { sealSecret } from '../../lib/master-key';

export interface TestDevice {
  deviceId: string;
  /** base64url without padding, as `device register` shows it */
  dataKey: string;
  maintenanceKey: string;
  region: string;
  tenantId: string;
  channels: number;
}

/** A tenant of its own (random name) in the region, inserted with the operator connection. */
export async function createTestTenant(pool: Pool, region: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('insert into tenancy.tenants (name, region) values ($1, $2) returning id', [
    `test-${crypto.randomBytes(4).toString('hex')}`,
    region,
  ]);
  return rows[0]!.id;
}

/** Registers a device as the CLI does (fleet.devices + channels + device.keys, one transaction), with fresh keys. */
export async function provisionTestDevice(
  pool: Pool,
  masterKey: Buffer,
  options: { tenantId: string; region: string; channels?: number },
): Promise<TestDevice> {
  const channels = options.channels ?? 6;
  const dataKey = crypto.randomBytes(32);
  const maintenanceKey = crypto.randomBytes(32);
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ id: string }>("select 'D' || lpad(nextval('fleet.device_number')::text, 12, '0') as id");
    const deviceId = rows[0]!.id;
    await client.query('insert into fleet.devices (id, tenant_id, region, serial, model) values ($1, $2, $3, $4, $5)', [
      deviceId,
      options.tenantId,
      options.region,
      `SER-${deviceId}`,
      'test-monitor',
    ]);
    await client.query(
      'insert into fleet.channels (device_id, tenant_id, index) select $1, $2, i from generate_series(0, $3 - 1) as i',
      [deviceId, options.tenantId, channels],
    );
    await client.query(
      'insert into device.keys (device_id, tenant_id, region, channel_count, data_key, maintenance_key) values ($1, $2, $3, $4, $5, $6)',
      [
        deviceId,
        options.tenantId,
        options.region,
        channels,
        sealSecret(masterKey, 'device-data-key', dataKey),
        sealSecret(masterKey, 'device-maintenance-key', maintenanceKey),
      ],
    );
    await client.query('commit');
    return {
      deviceId,
      dataKey: dataKey.toString('base64url'),
      maintenanceKey: maintenanceKey.toString('base64url'),
      region: options.region,
      tenantId: options.tenantId,
      channels,
    };
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}
