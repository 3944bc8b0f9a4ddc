import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { scopeIncludes } from '../../lib/tenant-scope';
import { RequiresScopes } from '../../schema/authorization';
import { parseDeviceId } from '../../schema/ids';
import { Channel } from './channel';
import { Device } from './device';
import { DeviceConnection, emptyDeviceConnection, toDeviceConnection } from './device-connection';
import { DevicesArgs, parsePageArgs, parseTenantFilter } from './device-page.args';
import type { FleetContext } from './loaders';
import { Site } from './site';
import { listDevices, type ChannelRow, type DeviceRow, type SiteRow } from './store';
import { TenantEntity } from './tenant';

@Resolver(() => Device)
export class DeviceResolver {
  /** A foreign id answers exactly like a missing one: null (CONTRACT §3). */
  @Query(() => Device, { nullable: true })
  @RequiresScopes([['fleet:read']])
  async device(@Arg('id', () => ID) id: string, @Ctx() context: FleetContext): Promise<DeviceRow | null> {
    const device = await context.loaders.device.load(parseDeviceId(id, 'id'));
    const readable = (await context.scope()).for('fleet:read');
    return device && scopeIncludes(readable, device.tenantId) ? device : null;
  }

  /** `tenantId` of a tenant the caller cannot see gives the same empty list as a missing one. */
  @Query(() => DeviceConnection)
  @RequiresScopes([['fleet:read']])
  async devices(@Args(() => DevicesArgs) args: DevicesArgs, @Ctx() context: FleetContext): Promise<DeviceConnection> {
    const { first, after } = parsePageArgs(args);
    const tenant = parseTenantFilter(args);
    const readable = (await context.scope()).for('fleet:read');
    if (tenant && !scopeIncludes(readable, tenant)) return emptyDeviceConnection();
    const page = await listDevices(context.pool, readable, { tenantIds: tenant ? [tenant] : undefined, first, after });
    for (const device of page.devices) context.loaders.device.prime(device.id, device);
    return toDeviceConnection(page);
  }

  @FieldResolver(() => TenantEntity)
  tenant(@Root() device: DeviceRow): TenantEntity {
    return { id: device.tenantId };
  }

  @FieldResolver(() => [Channel])
  channels(@Root() device: DeviceRow, @Ctx() context: FleetContext): Promise<ChannelRow[]> {
    return context.loaders.channels.load(device.id);
  }

  @FieldResolver(() => Site, { nullable: true })
  site(@Root() device: DeviceRow, @Ctx() context: FleetContext): Promise<SiteRow | null> | null {
    return device.siteId ? context.loaders.site.load(device.siteId) : null;
  }
}
