import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../schema/authorization';
import { DeviceConnection, toDeviceConnection } from './device-connection';
import { DevicePageArgs, parsePageArgs } from './device-page.args';
import type { FleetContext } from './loaders';
import { TenantEntity } from './tenant';

@Resolver(() => TenantEntity)
export class TenantDevicesResolver {
  /** Batched: the devices of every tenant in a response come from one statement. */
  @FieldResolver(() => DeviceConnection)
  @RequiresScopes([['fleet:read']])
  async devices(
    @Root() tenant: TenantEntity,
    @Args(() => DevicePageArgs) args: DevicePageArgs,
    @Ctx() context: FleetContext,
  ): Promise<DeviceConnection> {
    const page = await context.loaders.tenantDevices.load({ tenantId: tenant.id, ...parsePageArgs(args) });
    for (const device of page.devices) context.loaders.device.prime(device.id, device);
    return toDeviceConnection(page);
  }
}
