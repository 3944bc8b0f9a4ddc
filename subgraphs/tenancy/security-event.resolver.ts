import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { listSecurityEvents, type SecurityEventRow } from '../../gateway/defender/security-events.store';
import { Policy, RequiresScopes } from '../../schema/authorization';
import { connectionOf, decodeCursor, encodeCursor, parseFirst } from '../../schema/connection';
import { clientError } from '../../schema/errors';
import { parseUuid } from '../../schema/ids';
import type { TenancyContext } from './loaders';
import { SecurityEvent, SecurityEventConnection } from './security-event';
import type { TenantRow } from './store';
import { Tenant } from './tenant';

const CURSOR = 'security-event';
const DEFAULT_PAGE = 50;

/**
 * The defender's events (schema `security`, written by the gateway) for the caller's own
 * tenants and their descendants: read with security:read, lifted by tenant admins. The
 * store takes the caller's tenant scope and row-level security is the second wall; a
 * foreign id answers like a missing one.
 */
@Resolver(() => SecurityEvent)
export class SecurityEventResolver {
  @Query(() => SecurityEventConnection, { description: 'Security events of the caller\'s tenants, newest first.' })
  @RequiresScopes([['security:read']])
  async securityEvents(
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: TenancyContext,
  ): Promise<SecurityEventConnection> {
    const page = { first: parseFirst(first ?? DEFAULT_PAGE), after: decodeCursor(CURSOR, after, (key) => /^\d{1,18}$/.test(key)) };
    const { events, hasNextPage } = await listSecurityEvents(context.pool, (await context.scope()).for('security:read'), page);
    return connectionOf(events, hasNextPage, (event) => encodeCursor(CURSOR, event.seq));
  }

  @Mutation(() => SecurityEvent, { description: 'Ends the event\'s action (block, throttle, revocation) at once; the event stays, marked lifted.' })
  @Policy([['tenant-admin']])
  async liftSecurityAction(@Arg('id', () => ID) id: string, @Ctx() context: TenancyContext): Promise<SecurityEventRow> {
    const scope = (await context.scope()).for('tenancy:admin');
    const event = await context.loaders.services.liftSecurityAction(scope, parseUuid(id, 'id'), context.principal.subject);
    if (!event) throw clientError('NOT_FOUND', `no security event ${id}`);
    return event;
  }

  @FieldResolver(() => Tenant)
  async tenant(@Root() event: SecurityEventRow, @Ctx() context: TenancyContext): Promise<TenantRow> {
    const tenant = await context.loaders.tenant.load(event.tenantId);
    if (!tenant) throw clientError('NOT_FOUND', `no tenant ${event.tenantId}`);
    return tenant;
  }
}
