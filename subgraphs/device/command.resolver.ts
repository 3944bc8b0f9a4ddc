import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../schema/authorization';
import { clientError } from '../../schema/errors';
import { parseDeviceId } from '../../schema/ids';
import { ctRatingParams, firmwareParams, reportingIntervalParams } from './command-params';
import type { CommandRow, CommandType, TransitionRow } from './commands.store';
import { DeviceEntity } from './device';
import { CommandTransition, DeviceCommand } from './device-command';
import type { DeviceContext } from './loaders';
import { getDeviceTargets, type DeviceTarget } from './targets.store';

type ControlScope = 'device:control' | 'device:firmware';

/**
 * The device among the tenants where the caller holds `scope`. A foreign id answers exactly
 * like a missing one (CONTRACT §3), and before any parameter is judged against the device.
 */
async function targetOf(context: DeviceContext, deviceId: string, scope: ControlScope) {
  const id = parseDeviceId(deviceId, 'deviceId');
  const allowed = (await context.scope()).for(scope);
  const [target] = await getDeviceTargets(context.pool, allowed, [id]);
  if (!target) throw clientError('NOT_FOUND', `no device ${id}`, { argumentName: 'deviceId' });
  return { target, allowed };
}

async function send(context: DeviceContext, deviceId: string, scope: ControlScope, type: CommandType, params: (target: DeviceTarget) => Record<string, unknown>) {
  const { target, allowed } = await targetOf(context, deviceId, scope);
  return context.loaders.services.commands.send(allowed, context.principal, target, type, params(target));
}

@Resolver(() => DeviceCommand)
export class CommandResolver {
  @Mutation(() => DeviceCommand, { description: 'Tells the device that a channel now has a CT coil of this rating (amperes).' })
  @RequiresScopes([['device:control']])
  setChannelCtRating(
    @Arg('deviceId', () => ID) deviceId: string,
    @Arg('channel', () => Int) channel: number,
    @Arg('ctRating', () => Int) ctRating: number,
    @Ctx() context: DeviceContext,
  ): Promise<CommandRow> {
    return send(context, deviceId, 'device:control', 'setCtRating', (target) => ctRatingParams(target, channel, ctRating));
  }

  @Mutation(() => DeviceCommand, { description: 'Seconds between readings, 5 to 300.' })
  @RequiresScopes([['device:control']])
  setReportingInterval(@Arg('deviceId', () => ID) deviceId: string, @Arg('seconds', () => Int) seconds: number, @Ctx() context: DeviceContext): Promise<CommandRow> {
    return send(context, deviceId, 'device:control', 'setReportingInterval', () => reportingIntervalParams(seconds));
  }

  @Mutation(() => DeviceCommand)
  @RequiresScopes([['device:control']])
  rebootDevice(@Arg('deviceId', () => ID) deviceId: string, @Ctx() context: DeviceContext): Promise<CommandRow> {
    return send(context, deviceId, 'device:control', 'reboot', () => ({}));
  }

  @Mutation(() => DeviceCommand)
  @RequiresScopes([['device:firmware']])
  requestFirmwareUpgrade(@Arg('deviceId', () => ID) deviceId: string, @Arg('version') version: string, @Ctx() context: DeviceContext): Promise<CommandRow> {
    return send(context, deviceId, 'device:firmware', 'firmwareUpgrade', () => firmwareParams(version));
  }

  @FieldResolver(() => DeviceEntity)
  device(@Root() command: CommandRow): DeviceEntity {
    return { id: command.deviceId };
  }

  @FieldResolver(() => [CommandTransition], { description: 'Every transition, oldest first.' })
  history(@Root() command: CommandRow, @Ctx() context: DeviceContext): Promise<TransitionRow[]> {
    return context.loaders.history.load(command.id);
  }
}
