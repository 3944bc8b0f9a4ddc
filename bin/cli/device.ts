import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { operatorScope } from '../../lib/tenant-scope';
import { InputError } from '../../lib/input-error';
import { registerDevices } from '../../subgraphs/fleet/store';
import { provisionDeviceKeys } from '../../subgraphs/device/keys.store';
import { integer, optional, required, uuid, type Command } from './command';
import { requireTenant } from './tenant';

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
 * Registers devices with their channels and generates their data and maintenance keys, in
 * one transaction: a device never exists without its keys. Keys are returned once.
 */
export async function registerWithKeys(
  pool: Pool,
  masterKey: Buffer,
  input: { tenantId: string; model: string; serials: string[]; channels: number; siteId?: string },
): Promise<RegisteredDevice[]> {
  const tenant = await requireTenant(pool, input.tenantId);
  const client = await pool.connect();
  try {
    await client.query('begin');
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
        devices.map((device) => ({ deviceId: device.id, tenantId: tenant.id, region: tenant.region, channelCount: input.channels })),
      );
      devices.forEach((device, i) => registered.push({ ...device, region: tenant.region, tenantId: tenant.id, ...keys[i]! }));
    }
    await client.query('commit');
    return registered;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export const deviceRegister: Command = {
  usage: '--tenant ID --model M (--serial S | --count N [--serial-prefix P]) [--channels 6] [--site ID]',
  options: {
    tenant: { type: 'string' },
    serial: { type: 'string' },
    model: { type: 'string' },
    channels: { type: 'string' },
    site: { type: 'string' },
    count: { type: 'string' },
    'serial-prefix': { type: 'string' },
  },
  async run(ctx, options) {
    const tenantId = uuid(options, 'tenant');
    const model = required(options, 'model');
    const channels = integer(options, 'channels', 6, 1, 12);
    const siteId = optional(options, 'site');
    const serial = optional(options, 'serial');
    const count = optional(options, 'count');
    if (serial && count) throw new InputError('give either --serial (one device) or --count (bulk), not both');
    if (!serial && !count) throw new InputError('--serial is required (or --count N for a bulk registration)', 'serial');
    if (serial) {
      const [device] = await registerWithKeys(ctx.pool(), ctx.config.masterKey, { tenantId, model, serials: [serial], channels, ...(siteId ? { siteId } : {}) });
      return { id: device!.id, region: device!.region, dataKey: device!.dataKey, maintenanceKey: device!.maintenanceKey };
    }
    const n = integer(options, 'count', 1, 1, 1_000_000);
    const prefix = optional(options, 'serial-prefix') ?? `${model}-${crypto.randomBytes(3).toString('hex')}-`;
    const width = String(n).length;
    const serials = Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
    const devices = await registerWithKeys(ctx.pool(), ctx.config.masterKey, { tenantId, model, serials, channels, ...(siteId ? { siteId } : {}) });
    return { devices: devices.map(({ id, serial: s, region, dataKey, maintenanceKey }) => ({ id, serial: s, region, dataKey, maintenanceKey })) };
  },
};
