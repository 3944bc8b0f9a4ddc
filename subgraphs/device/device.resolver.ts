import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { InputError } from '../../lib/input-error';
import { RequiresScopes } from '../../schema/authorization';
import type { CommandRow } from './commands.store';
import { DeviceEntity } from './device';
import { DeviceCommand } from './device-command';
import { DeviceStatus } from './device-status';
import { MAX_COMMANDS, type DeviceContext } from './loaders';
import type { StatusRow } from './status.store';

/** Whoever may see the device or send it commands may see its status and command history. */
const DEVICE_READERS = [['fleet:read'], ['device:control'], ['device:firmware']];

const UNKNOWN: StatusRow = { online: false, lastSeenAt: null, firmwareVersion: null, signalQualityDbm: null };

@Resolver(() => DeviceEntity)
export class DeviceFieldsResolver {
  @FieldResolver(() => DeviceStatus)
  @RequiresScopes(DEVICE_READERS)
  async status(@Root() device: DeviceEntity, @Ctx() context: DeviceContext): Promise<StatusRow> {
    const target = await context.loaders.target.load(device.id);
    return target ? context.loaders.status.load(device.id) : UNKNOWN;
  }

  @FieldResolver(() => [DeviceCommand], { description: 'Newest first.' })
  @RequiresScopes(DEVICE_READERS)
  async commands(
    @Root() device: DeviceEntity,
    @Arg('last', () => Int, { defaultValue: 20, description: `At most ${MAX_COMMANDS}.` }) last: number,
    @Ctx() context: DeviceContext,
  ): Promise<CommandRow[]> {
    if (!Number.isInteger(last) || last < 0 || last > MAX_COMMANDS) throw new InputError(`last: must be between 0 and ${MAX_COMMANDS}`, 'last');
    const target = await context.loaders.target.load(device.id);
    return target && last > 0 ? context.loaders.commands.load({ deviceId: device.id, last }) : [];
  }
}
