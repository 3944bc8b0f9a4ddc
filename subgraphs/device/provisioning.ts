import type { Pool } from 'pg';
import { newEvent } from '../../lib/events';
import { InputError } from '../../lib/input-error';
import { withScope } from '../../lib/postgres';
import { operatorScope } from '../../lib/tenant-scope';
import { registerDevices } from '../fleet/store';
import { getTenants } from '../tenancy/store';
import { provisionDeviceKeys } from './keys.store';
import { enqueueEvents } from './outbox';

export interface RegisteredDevice {
  id: string;
  serial: string;
  region: string;
  tenantId: string;
  dataKey: string;
  maintenanceKey: string;
}

/** fleet.registerDevices takes at most this many per call. */
const CHUNK = 10_000;

/**
 * Operator provisioning (CLI, seed): registers devices with their channels and generates their data and maintenance keys, in
 * one transaction: a device never exists without its keys. Keys are returned once. Each device's
 * `device.registered` event is written to the outbox in that transaction too.
 */
export async function registerDevicesWithKeys(
  pool: Pool,
  masterKey: Buffer,
  input: { tenantId: string; model: string; serials: string[]; channels: number; siteId?: string },
): Promise<RegisteredDevice[]> {
  const [tenant] = await getTenants(pool, operatorScope, [input.tenantId]);
  if (!tenant) throw new InputError(`tenant: no tenant ${input.tenantId}`, 'tenant');
  // The operator scope runs with the connection's own rights, in one transaction.
  return withScope(pool, operatorScope, async (client) => {
    const registered: RegisteredDevice[] = [];
    for (let start = 0; start < input.serials.length; start += CHUNK) {
      const devices = await registerDevices(client, operatorScope, {
        tenantId: tenant.id,
        region: tenant.region,
        model: input.model,
        serials: input.serials.slice(start, start + CHUNK),
        channels: input.channels,
        siteId: input.siteId ?? null,
      });
      const keys = await provisionDeviceKeys(
        client,
        masterKey,
        devices.map((device) => ({ deviceId: device.id, tenantId: tenant.id, region: tenant.region, channelCount: input.channels, model: input.model })),
      );
      devices.forEach((device, i) => registered.push({ ...device, region: tenant.region, tenantId: tenant.id, ...keys[i]! }));
      // device.registered (CONTRACT §8) commits with the devices, through the outbox
      await enqueueEvents(
        client,
        devices.map((device) =>
          newEvent('device.registered', tenant.id, { serial: device.serial, model: input.model, region: tenant.region, channels: input.channels }, device.id),
        ),
      );
    }
    return registered;
  });
}
