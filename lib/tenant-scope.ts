import type { Pool } from 'pg';
import type { Principal } from './principal';

/**
 * The set of tenants a store call may touch. Every store function that reads or writes
 * tenant data takes one; the operator CLI uses `operatorScope`, everything reached from
 * the gateway uses the principal's resolved scope for one OAuth scope.
 */
export type TenantScope =
  | { readonly kind: 'operator' }
  | { readonly kind: 'tenants'; readonly tenantIds: readonly string[]; readonly deviceIds?: readonly string[] };

export const operatorScope: TenantScope = Object.freeze({ kind: 'operator' });

export function tenantsScope(tenantIds: readonly string[], deviceIds?: readonly string[]): TenantScope {
  return Object.freeze({ kind: 'tenants', tenantIds: Object.freeze([...tenantIds]), ...(deviceIds ? { deviceIds } : {}) });
}

/** True when the scope lets a call touch the tenant. */
export function scopeIncludes(scope: TenantScope, tenantId: string): boolean {
  return scope.kind === 'operator' || scope.tenantIds.includes(tenantId);
}

/** A visible tenant; `grantScopes` is set when it is visible only through a partner grant. */
export interface VisibleTenant {
  tenantId: string;
  grantScopes: readonly string[] | null;
}

/**
 * The tenants a principal can see (CONTRACT §3): its home tenant and all descendants, plus
 * the tenants partner grants name for its client. Resolved per request by each subgraph,
 * so a new child tenant or a revoked grant takes effect at once on every replica.
 */
export class ResolvedScope {
  constructor(
    readonly principal: Principal,
    readonly visible: readonly VisibleTenant[],
  ) {}

  /**
   * Every visible tenant whatever the scope: for resolving entity references whose
   * referencing object was already authorized (a partner sees the name of a granted tenant).
   */
  any(): TenantScope {
    return tenantsScope(this.visible.map((tenant) => tenant.tenantId), this.principal.deviceIds);
  }

  /** Tenants on which the principal holds `scope` (a partner grant can narrow it). */
  for(scope: string): TenantScope {
    if (!this.principal.scopes.includes(scope)) return tenantsScope([], this.principal.deviceIds);
    const ids = this.visible
      .filter((tenant) => tenant.grantScopes === null || tenant.grantScopes.includes(scope))
      .map((tenant) => tenant.tenantId);
    return tenantsScope(ids, this.principal.deviceIds);
  }
}

/** One statement: `tenancy.visible_tenants` walks the tree down and adds partner grants. */
export async function resolveScope(pool: Pool, principal: Principal): Promise<ResolvedScope> {
  const { rows } = await pool.query<{ tenant_id: string; grant_scopes: string[] | null }>(
    'select tenant_id, grant_scopes from tenancy.visible_tenants($1::uuid, $2::text)',
    [principal.tenantId, principal.clientId],
  );
  return new ResolvedScope(
    principal,
    rows.map((row) => ({ tenantId: row.tenant_id, grantScopes: row.grant_scopes })),
  );
}
