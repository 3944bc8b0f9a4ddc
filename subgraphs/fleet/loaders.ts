import DataLoader from 'dataloader';
import type { LoaderSource, SubgraphContext } from '../context';
import { channelsByDevice, getDevices, getSites, listDevicesOfTenants, type ChannelRow, type DevicePage, type DeviceRow, type SiteRow, type TenantPageKey } from './store';

/**
 * Per-request loaders. Devices, channels and sites load through `any()`: they are reached
 * from an object the caller was already allowed to see, and whatever lies outside the
 * visible tenants still loads as null. Tenant.devices is a read of fleet data and needs
 * fleet:read on the tenant.
 */
export function createFleetLoaders({ pool, scope }: LoaderSource) {
  const byId = <T extends { id: string }>(ids: readonly string[], rows: T[]) => {
    const found = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  };
  return {
    device: new DataLoader<string, DeviceRow | null>(async (ids) => byId(ids, await getDevices(pool, (await scope()).any(), ids))),
    site: new DataLoader<string, SiteRow | null>(async (ids) => byId(ids, await getSites(pool, (await scope()).any(), ids))),
    channels: new DataLoader<string, ChannelRow[]>(async (ids) => {
      const byDevice = await channelsByDevice(pool, (await scope()).any(), ids);
      return ids.map((id) => byDevice.get(id) ?? []);
    }),
    tenantDevices: new DataLoader<TenantPageKey, DevicePage, string>(
      async (keys) => listDevicesOfTenants(pool, (await scope()).for('fleet:read'), keys),
      { cacheKeyFn: (key) => `${key.tenantId}|${key.first}|${key.after ?? ''}` },
    ),
  };
}

export type FleetLoaders = ReturnType<typeof createFleetLoaders>;
export type FleetContext = SubgraphContext<FleetLoaders>;
