import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Authenticated } from '../../schema/authorization';
import { clientError } from '../../schema/errors';
import type { TenancyContext } from './loaders';
import type { TenantRow } from './store';
import { Tenant } from './tenant';
import { Viewer } from './viewer';

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer)
  @Authenticated()
  me(@Ctx() context: TenancyContext): Viewer {
    const { principal } = context;
    return { subject: principal.subject, clientId: principal.clientId, scopes: [...principal.scopes], tenantId: principal.tenantId };
  }

  /** The home tenant is always visible to its principal; it is missing only if deleted. */
  @FieldResolver(() => Tenant)
  async tenant(@Root() viewer: Viewer, @Ctx() context: TenancyContext): Promise<TenantRow> {
    const tenant = await context.loaders.tenant.load(viewer.tenantId);
    if (!tenant) throw clientError('NOT_FOUND', 'the caller\'s tenant no longer exists');
    return tenant;
  }
}
