import { operatorScope } from '../../lib/tenant-scope';
import { InputError } from '../../lib/input-error';
import { createTenant, getTenants, type TenantRow } from '../../subgraphs/tenancy/store';
import type { Queryable } from '../../subgraphs/queryable';
import { optional, required, type Command } from './command';

export const tenantCreate: Command = {
  usage: '--name NAME --region REGION [--parent TENANT_ID]',
  options: { name: { type: 'string' }, region: { type: 'string' }, parent: { type: 'string' } },
  async run(ctx, options) {
    const parentId = optional(options, 'parent');
    const region = parentId ? optional(options, 'region') : required(options, 'region');
    const tenant = await createTenant(ctx.pool(), operatorScope, { name: required(options, 'name'), region, parentId: parentId ?? null });
    return { id: tenant.id, name: tenant.name, region: tenant.region, parentId: tenant.parentId };
  },
};

/** The tenant an operator command names, or a clear error. */
export async function requireTenant(db: Queryable, tenantId: string): Promise<TenantRow> {
  const [tenant] = await getTenants(db, operatorScope, [tenantId]);
  if (!tenant) throw new InputError(`--tenant: no tenant ${tenantId}`, 'tenant');
  return tenant;
}
