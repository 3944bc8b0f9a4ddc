import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { scopeIncludes } from '../../lib/tenant-scope';
import { RequiresScopes } from '../../schema/authorization';
import { parseUuid } from '../../schema/ids';
import type { TenancyContext } from './loaders';
import { listTenants, type TenantRow } from './store';
import { Tenant } from './tenant';

@Resolver(() => Tenant)
export class TenantResolver {
  /** A foreign id answers exactly like a missing one: null (CONTRACT §3). */
  @Query(() => Tenant, { nullable: true })
  @RequiresScopes([['tenancy:read']])
  async tenant(@Arg('id', () => ID) id: string, @Ctx() context: TenancyContext): Promise<TenantRow | null> {
    const tenantId = parseUuid(id, 'id');
    const readable = (await context.scope()).for('tenancy:read');
    if (!scopeIncludes(readable, tenantId)) return null;
    return context.loaders.tenant.load(tenantId);
  }

  @Query(() => [Tenant], { description: 'Every tenant the caller sees.' })
  @RequiresScopes([['tenancy:read']])
  async tenants(@Ctx() context: TenancyContext): Promise<TenantRow[]> {
    const rows = await listTenants(context.pool, (await context.scope()).for('tenancy:read'));
    for (const row of rows) context.loaders.tenant.prime(row.id, row);
    return rows;
  }

  /** Downward only: null when the caller cannot see the parent. */
  @FieldResolver(() => Tenant, { nullable: true })
  parent(@Root() tenant: TenantRow, @Ctx() context: TenancyContext): Promise<TenantRow | null> | null {
    return tenant.parentId ? context.loaders.tenant.load(tenant.parentId) : null;
  }

  @FieldResolver(() => [Tenant], { description: 'The children the caller can see.' })
  children(@Root() tenant: TenantRow, @Ctx() context: TenancyContext): Promise<TenantRow[]> {
    return context.loaders.children.load(tenant.id);
  }
}
