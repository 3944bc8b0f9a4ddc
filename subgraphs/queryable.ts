import pg, { type Pool, type PoolClient } from 'pg';
import { APP_ROLE, withScope } from '../lib/postgres';
import type { TenantScope } from '../lib/tenant-scope';

/**
 * A pool, or a client inside a transaction the caller owns (the CLI registers devices and
 * provisions their keys in one transaction).
 */
export type Queryable = Pool | PoolClient;

/**
 * Runs `work` with the scope applied. With a pool: its own transaction (lib/postgres
 * withScope). With a client: inside the caller's transaction; for a tenant scope the
 * savepoint refuses to run outside one, and the row-level security settings stay in force
 * until that transaction ends.
 */
export async function inScope<T>(db: Queryable, scope: TenantScope, work: (client: PoolClient) => Promise<T>): Promise<T> {
  if (db instanceof pg.Pool) return withScope(db, scope, work);
  if (scope.kind === 'tenants') {
    await db.query('savepoint cypernex_scope');
    await db.query("select set_config('role', $1, true), set_config('cypernex.tenant_ids', $2, true)", [
      APP_ROLE,
      `{${scope.tenantIds.join(',')}}`,
    ]);
    await db.query('release savepoint cypernex_scope');
  }
  return work(db);
}

/** The tenant ids a scope allows, or null for the operator (no restriction). */
export const scopeTenantIds = (scope: TenantScope): readonly string[] | null => (scope.kind === 'operator' ? null : scope.tenantIds);

/** The devices a scope is limited to (an API key may name some), or null. */
export const scopeDeviceIds = (scope: TenantScope): readonly string[] | null =>
  scope.kind === 'tenants' && scope.deviceIds ? scope.deviceIds : null;
