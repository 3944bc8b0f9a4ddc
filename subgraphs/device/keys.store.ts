import crypto from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { InputError } from '../../lib/input-error';
import { openSecret, sealSecret } from '../../lib/master-key';
import { parseDeviceId } from '../../schema/ids';

/** Purposes under which the two device keys are sealed: separate keys, separate channels. */
export const DATA_KEY_PURPOSE = 'device-data-key';
export const MAINTENANCE_KEY_PURPOSE = 'device-maintenance-key';

export interface ProvisionedKeys {
  /** 32 random bytes, base64url without padding: shown once (CONTRACT §4). */
  dataKey: string;
  maintenanceKey: string;
}

export interface KeyOwner {
  deviceId: string;
  tenantId: string;
  region: string;
  channelCount: number;
  /** The monitor model: which CT coils its channels accept. */
  model?: string;
}

/**
 * Generates a device's data and maintenance keys now and stores them sealed with the
 * master key. Runs on the caller's transaction so that a device and its keys are created
 * together (the operator CLI registers both in one transaction).
 */
export async function provisionDeviceKeys(client: PoolClient, masterKey: Buffer, owners: KeyOwner[]): Promise<ProvisionedKeys[]> {
  if (owners.length === 0) return [];
  const keys = owners.map(() => ({ data: crypto.randomBytes(32), maintenance: crypto.randomBytes(32) }));
  await client.query(
    `insert into device.keys (device_id, tenant_id, region, channel_count, data_key, maintenance_key, model)
     select * from unnest($1::text[], $2::uuid[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[])`,
    [
      owners.map((o) => o.deviceId),
      owners.map((o) => o.tenantId),
      owners.map((o) => o.region),
      owners.map((o) => o.channelCount),
      keys.map((k) => sealSecret(masterKey, DATA_KEY_PURPOSE, k.data)),
      keys.map((k) => sealSecret(masterKey, MAINTENANCE_KEY_PURPOSE, k.maintenance)),
      owners.map((o) => o.model ?? null),
    ],
  );
  return keys.map((k) => ({ dataKey: k.data.toString('base64url'), maintenanceKey: k.maintenance.toString('base64url') }));
}

export const openDataKey = (masterKey: Buffer, sealed: string): Buffer => openSecret(masterKey, DATA_KEY_PURPOSE, sealed);
export const openMaintenanceKey = (masterKey: Buffer, sealed: string): Buffer => openSecret(masterKey, MAINTENANCE_KEY_PURPOSE, sealed);

export interface DeviceSecrets {
  deviceId: string;
  tenantId: string;
  region: string;
  maintenanceKey: Buffer;
  /** The current data key, then the previous one while its rotation overlap lasts. */
  dataKeys: Buffer[];
}

/**
 * Opened keys of devices, read with the service's own rights (the application role cannot
 * read sealed keys). Callers decide visibility before: a mutation checks the caller's scope
 * first, the result and status consumers look a device up by the topic it signed on.
 */
export async function loadDeviceSecrets(pool: Pool, masterKey: Buffer, deviceIds: readonly string[]): Promise<Map<string, DeviceSecrets>> {
  if (deviceIds.length === 0) return new Map();
  const { rows } = await pool.query<{ device_id: string; tenant_id: string; region: string; data_key: string; maintenance_key: string; previous_data_key: string | null; overlap: boolean }>(
    `select device_id, tenant_id, region, data_key, maintenance_key, previous_data_key, coalesce(previous_valid_until > now(), false) as overlap
     from device.keys where device_id = any($1::text[])`,
    [deviceIds],
  );
  return new Map(
    rows.map((row) => [
      row.device_id,
      {
        deviceId: row.device_id,
        tenantId: row.tenant_id,
        region: row.region,
        maintenanceKey: openMaintenanceKey(masterKey, row.maintenance_key),
        dataKeys: [openDataKey(masterKey, row.data_key), ...(row.previous_data_key && row.overlap ? [openDataKey(masterKey, row.previous_data_key)] : [])],
      },
    ]),
  );
}

/**
 * New data and maintenance keys for a device, returned once (operator only). The previous
 * data key stays valid for `overlapSeconds` so that readings signed before the device took
 * the new key are not lost; the maintenance key has no overlap: the platform signs only.
 */
export async function rotateDeviceKeys(
  pool: Pool,
  masterKey: Buffer,
  deviceId: string,
  overlapSeconds: number,
): Promise<ProvisionedKeys & { previousValidUntil: Date }> {
  const id = parseDeviceId(deviceId, 'device');
  const data = crypto.randomBytes(32);
  const maintenance = crypto.randomBytes(32);
  const { rows } = await pool.query<{ previous_valid_until: Date }>(
    `update device.keys set previous_data_key = data_key, previous_valid_until = now() + make_interval(secs => $2),
       data_key = $3, maintenance_key = $4, rotated_at = now()
     where device_id = $1 returning previous_valid_until`,
    [id, overlapSeconds, sealSecret(masterKey, DATA_KEY_PURPOSE, data), sealSecret(masterKey, MAINTENANCE_KEY_PURPOSE, maintenance)],
  );
  if (!rows[0]) throw new InputError(`device: no device ${id}`, 'device');
  return { dataKey: data.toString('base64url'), maintenanceKey: maintenance.toString('base64url'), previousValidUntil: rows[0].previous_valid_until };
}
