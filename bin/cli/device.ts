import crypto from 'node:crypto';
import { InputError } from '../../lib/input-error';
import { registerDevicesWithKeys } from '../../subgraphs/device/provisioning';
import { integer, optional, required, uuid, type Command } from './command';

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
      const [device] = await registerDevicesWithKeys(ctx.pool(), ctx.config.masterKey, { tenantId, model, serials: [serial], channels, ...(siteId ? { siteId } : {}) });
      return { id: device!.id, region: device!.region, dataKey: device!.dataKey, maintenanceKey: device!.maintenanceKey };
    }
    const n = integer(options, 'count', 1, 1, 1_000_000);
    const prefix = optional(options, 'serial-prefix') ?? `${model}-${crypto.randomBytes(3).toString('hex')}-`;
    const width = String(n).length;
    const serials = Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
    const devices = await registerDevicesWithKeys(ctx.pool(), ctx.config.masterKey, { tenantId, model, serials, channels, ...(siteId ? { siteId } : {}) });
    return { devices: devices.map(({ id, serial: s, region, dataKey, maintenanceKey }) => ({ id, serial: s, region, dataKey, maintenanceKey })) };
  },
};
