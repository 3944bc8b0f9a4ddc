import { rotateDeviceKeys } from '../../subgraphs/device/keys.store';
import { required, type Command } from './command';

export const deviceRotateKeys: Command = {
  usage: '--device ID',
  options: { device: { type: 'string' } },
  async run(ctx, options) {
    const rotated = await rotateDeviceKeys(ctx.pool(), ctx.config.masterKey, required(options, 'device'), ctx.config.KEY_ROTATION_OVERLAP);
    return { deviceId: required(options, 'device'), dataKey: rotated.dataKey, maintenanceKey: rotated.maintenanceKey, previousDataKeyValidUntil: rotated.previousValidUntil.toISOString() };
  },
};
