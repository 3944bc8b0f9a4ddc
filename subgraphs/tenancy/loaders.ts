import DataLoader from 'dataloader';
import type { SecurityEventRow } from '../../gateway/defender/security-events.store';
import type { TenantScope } from '../../lib/tenant-scope';
import type { LoaderSource, SubgraphContext } from '../context';
import { getTenants, listChildren, type TenantRow } from './store';

/** What mutations need beyond the database (Redis, for the defender's remedies), shared by every request. */
export interface TenancyServices {
  liftSecurityAction(scope: TenantScope, id: string, liftedBy: string): Promise<SecurityEventRow | null>;
}

/**
 * Per-request loaders. They read through `any()`: they load tenants reached from an
 * object the caller was already allowed to see (an entity reference, a parent or child
 * link), and a tenant outside the visible set still loads as null.
 */
export function createTenancyLoaders({ pool, scope }: LoaderSource, services: TenancyServices) {
  return {
    services,
    tenant: new DataLoader<string, TenantRow | null>(async (ids) => {
      const rows = await getTenants(pool, (await scope()).any(), ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    children: new DataLoader<string, TenantRow[]>(async (ids) => {
      const byParent = await listChildren(pool, (await scope()).any(), ids);
      return ids.map((id) => byParent.get(id) ?? []);
    }),
  };
}

export type TenancyLoaders = ReturnType<typeof createTenancyLoaders>;
export type TenancyContext = SubgraphContext<TenancyLoaders>;
