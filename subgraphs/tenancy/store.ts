import crypto from 'node:crypto';
import { InputError } from '../../lib/input-error';
import { isScope } from '../../lib/scopes';
import { scopeIncludes, type TenantScope } from '../../lib/tenant-scope';
import { parseUuid } from '../../schema/ids';
import { inScope, scopeTenantIds, type Queryable } from '../queryable';

export interface TenantRow {
  id: string;
  name: string;
  region: string;
  parentId: string | null;
}

export interface NewTenant {
  name: string;
  /** Lowercase, 2-16 characters; a child tenant takes its parent's region. */
  region?: string;
  parentId?: string | null;
}

const REGION = /^[a-z]{2}[a-z0-9-]{0,14}$/;
const COLUMNS = 'id, name, region, parent_id as "parentId"';
/** `$1` is the scope's tenant ids, null for the operator: the first wall before row-level security. */
const IN_SCOPE = '($1::uuid[] is null or id = any($1::uuid[]))';

const isEmpty = (scope: TenantScope) => scope.kind === 'tenants' && scope.tenantIds.length === 0;

/**
 * Creates a tenant. Raw data stays in its region (security overview), so a child tenant
 * lives in its parent's region. A tenant scope can only create children of its tenants.
 */
export async function createTenant(db: Queryable, scope: TenantScope, input: NewTenant): Promise<TenantRow> {
  const name = input.name?.trim() ?? '';
  if (name.length < 1 || name.length > 200) throw new InputError('name: must be 1 to 200 characters', 'name');
  const region = input.region?.trim();
  if (region !== undefined && !REGION.test(region)) {
    throw new InputError('region: must be 2 to 16 lowercase letters, digits or dashes, starting with two letters', 'region');
  }
  const parentId = input.parentId ? parseUuid(input.parentId, 'parent') : null;
  if (!parentId && scope.kind !== 'operator') throw new InputError('parent: required to create a tenant', 'parent');
  return inScope(db, scope, async (client) => {
    let tenantRegion = region;
    if (parentId) {
      const parent = (await client.query<TenantRow>(`select ${COLUMNS} from tenancy.tenants where id = $2 and ${IN_SCOPE}`, [scopeTenantIds(scope), parentId])).rows[0];
      if (!parent) throw new InputError(`parent: no tenant ${parentId}`, 'parent');
      if (tenantRegion !== undefined && tenantRegion !== parent.region) {
        throw new InputError(`region: a child tenant stays in its parent's region (${parent.region})`, 'region');
      }
      tenantRegion = parent.region;
    }
    if (!tenantRegion) throw new InputError('region: required for a tenant without parent', 'region');
    const tenant: TenantRow = { id: crypto.randomUUID(), name, region: tenantRegion, parentId };
    await client.query('insert into tenancy.tenants (id, name, region, parent_id) values ($1, $2, $3, $4)', [
      tenant.id,
      tenant.name,
      tenant.region,
      tenant.parentId,
    ]);
    return tenant;
  });
}

/** The tenants among `ids` that the scope sees, in no particular order. */
export async function getTenants(db: Queryable, scope: TenantScope, ids: readonly string[]): Promise<TenantRow[]> {
  if (isEmpty(scope) || ids.length === 0) return [];
  return inScope(db, scope, async (client) =>
    (await client.query<TenantRow>(`select ${COLUMNS} from tenancy.tenants where id = any($2::uuid[]) and ${IN_SCOPE}`, [scopeTenantIds(scope), ids])).rows,
  );
}

/** Every tenant the scope sees, by name. */
export async function listTenants(db: Queryable, scope: TenantScope): Promise<TenantRow[]> {
  if (isEmpty(scope)) return [];
  return inScope(db, scope, async (client) =>
    (await client.query<TenantRow>(`select ${COLUMNS} from tenancy.tenants where ${IN_SCOPE} order by name, id`, [scopeTenantIds(scope)])).rows,
  );
}

/** The visible children of each parent (one statement for a whole batch of parents). */
export async function listChildren(db: Queryable, scope: TenantScope, parentIds: readonly string[]): Promise<Map<string, TenantRow[]>> {
  const byParent = new Map<string, TenantRow[]>(parentIds.map((id) => [id, []]));
  if (isEmpty(scope) || parentIds.length === 0) return byParent;
  const rows = await inScope(db, scope, async (client) =>
    (await client.query<TenantRow>(`select ${COLUMNS} from tenancy.tenants where parent_id = any($2::uuid[]) and ${IN_SCOPE} order by name, id`, [scopeTenantIds(scope), parentIds])).rows,
  );
  for (const row of rows) byParent.get(row.parentId!)?.push(row);
  return byParent;
}

export interface PartnerGrant {
  clientId: string;
  tenantId: string;
  scopes: readonly string[];
}

/**
 * Lets a partner client see a tenant with the given scopes (CONTRACT §3); granting again
 * replaces the scopes.
 */
export async function grantPartner(db: Queryable, scope: TenantScope, grant: PartnerGrant): Promise<void> {
  const clientId = grant.clientId?.trim() ?? '';
  if (clientId.length < 1 || clientId.length > 200) throw new InputError('client: must be 1 to 200 characters', 'client');
  const tenantId = parseUuid(grant.tenantId, 'tenant');
  const scopes = [...new Set(grant.scopes)];
  if (scopes.length === 0) throw new InputError('scopes: at least one scope is required', 'scopes');
  const unknown = scopes.filter((name) => !isScope(name));
  if (unknown.length) throw new InputError(`scopes: unknown scope(s) ${unknown.join(', ')}`, 'scopes');
  if (!scopeIncludes(scope, tenantId)) throw new InputError(`tenant: no tenant ${tenantId}`, 'tenant');
  await inScope(db, scope, async (client) => {
    const found = await client.query(`select 1 from tenancy.tenants where id = $2 and ${IN_SCOPE}`, [scopeTenantIds(scope), tenantId]);
    if (!found.rowCount) throw new InputError(`tenant: no tenant ${tenantId}`, 'tenant');
    await client.query(
      `insert into tenancy.partner_grants (client_id, tenant_id, scopes) values ($1, $2, $3)
       on conflict (client_id, tenant_id) do update set scopes = excluded.scopes`,
      [clientId, tenantId, scopes],
    );
  });
}
