import DataLoader from 'dataloader';
import type { LoaderSource, SubgraphContext } from '../context';
import { getTenants, listChildren, type TenantRow } from './store';

/**
 * Per-request loaders. They read through `any()`: they load tenants reached from an
 * object the caller was already allowed to see (an entity reference, a parent or child
 * link), and a tenant outside the visible set still loads as null.
 */
export function createTenancyLoaders({ pool, scope }: LoaderSource) {
  return {
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
