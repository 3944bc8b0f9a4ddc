import crypto from 'node:crypto';
import type { PoolClient } from 'pg';
import { openSecret, sealSecret } from '../../lib/master-key';

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
    `insert into device.keys (device_id, tenant_id, region, channel_count, data_key, maintenance_key)
     select * from unnest($1::text[], $2::uuid[], $3::text[], $4::smallint[], $5::text[], $6::text[])`,
    [
      owners.map((o) => o.deviceId),
      owners.map((o) => o.tenantId),
      owners.map((o) => o.region),
      owners.map((o) => o.channelCount),
      keys.map((k) => sealSecret(masterKey, DATA_KEY_PURPOSE, k.data)),
      keys.map((k) => sealSecret(masterKey, MAINTENANCE_KEY_PURPOSE, k.maintenance)),
    ],
  );
  return keys.map((k) => ({ dataKey: k.data.toString('base64url'), maintenanceKey: k.maintenance.toString('base64url') }));
}

export const openDataKey = (masterKey: Buffer, sealed: string): Buffer => openSecret(masterKey, DATA_KEY_PURPOSE, sealed);
export const openMaintenanceKey = (masterKey: Buffer, sealed: string): Buffer => openSecret(masterKey, MAINTENANCE_KEY_PURPOSE, sealed);
