import type { TenantScope } from '../../lib/tenant-scope';
import { inScope, scopeDeviceIds, scopeTenantIds, type Queryable } from '../queryable';

/** What the device part knows of a registered device, without its keys. */
export interface DeviceTarget {
  deviceId: string;
  tenantId: string;
  region: string;
  channelCount: number;
  model: string | null;
}

/**
 * The devices among `ids` that the scope sees (first wall; row-level security is the
 * second, and the application role cannot read the sealed key columns at all).
 */
export async function getDeviceTargets(db: Queryable, scope: TenantScope, ids: readonly string[]): Promise<DeviceTarget[]> {
  if ((scope.kind === 'tenants' && scope.tenantIds.length === 0) || ids.length === 0) return [];
  return inScope(db, scope, async (client) =>
    (
      await client.query<DeviceTarget>(
        `select device_id as "deviceId", tenant_id as "tenantId", region, channel_count as "channelCount", model from device.keys k
         where k.device_id = any($3::text[])
           and ($1::uuid[] is null or k.tenant_id = any($1::uuid[])) and ($2::text[] is null or k.device_id = any($2::text[]))`,
        [scopeTenantIds(scope), scopeDeviceIds(scope), ids],
      )
    ).rows,
  );
}
