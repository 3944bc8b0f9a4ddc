import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { listAudit, type AuditRecord } from '../../auth/audit.store';
import { createUser, disableUser, listUsers, setUserRole, type UserRecord } from '../../auth/users.store';
import { Policy } from '../../schema/authorization';
import { parseFirst } from '../../schema/connection';
import { clientError } from '../../schema/errors';
import { parseUuid } from '../../schema/ids';
import { AuditEvent } from './audit-event';
import type { TenancyContext } from './loaders';
import { User, UserRole } from './user';

const adminScope = async (context: TenancyContext) => (await context.scope()).for('tenancy:admin');

/**
 * User management for tenant admins (tenancy:admin): users of the tenants they administer.
 * The users live in schema auth; its store takes the admin's tenant scope, and row-level
 * security there is the second wall. A foreign id answers like a missing one.
 */
@Resolver(() => User)
export class UserResolver {
  @Query(() => [User], { description: 'Users of the tenants the caller administers.' })
  @Policy([['tenant-admin']])
  async users(@Ctx() context: TenancyContext): Promise<UserRecord[]> {
    return listUsers(context.pool, await adminScope(context));
  }

  @Mutation(() => User)
  @Policy([['tenant-admin']])
  async createUser(
    @Arg('tenantId', () => ID) tenantId: string,
    @Arg('email') email: string,
    @Arg('password', { description: 'At least 12 characters; stored only as an argon2id hash.' }) password: string,
    @Arg('role', () => UserRole) role: UserRole,
    @Ctx() context: TenancyContext,
  ): Promise<UserRecord> {
    const scope = await adminScope(context);
    const { id } = await createUser(context.pool, scope, { tenantId, email, password, role });
    return (await listUsers(context.pool, scope)).find((user) => user.id === id)!;
  }

  @Mutation(() => User)
  @Policy([['tenant-admin']])
  async setUserRole(@Arg('id', () => ID) id: string, @Arg('role', () => UserRole) role: UserRole, @Ctx() context: TenancyContext): Promise<UserRecord> {
    const user = await setUserRole(context.pool, await adminScope(context), parseUuid(id, 'id'), role);
    if (!user) throw clientError('NOT_FOUND', `no user ${id}`);
    return user;
  }

  @Mutation(() => User, { description: 'The user can no longer sign in; its refresh tokens stop working.' })
  @Policy([['tenant-admin']])
  async disableUser(@Arg('id', () => ID) id: string, @Ctx() context: TenancyContext): Promise<UserRecord> {
    const user = await disableUser(context.pool, await adminScope(context), parseUuid(id, 'id'));
    if (!user) throw clientError('NOT_FOUND', `no user ${id}`);
    return user;
  }

  @Query(() => [AuditEvent], { description: 'Identity events of the tenants the caller administers, newest first.' })
  @Policy([['tenant-admin']])
  async auditEvents(
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('before', () => ID, { nullable: true, description: 'The id of the last event of the previous page.' }) before: string | null | undefined,
    @Ctx() context: TenancyContext,
  ): Promise<AuditRecord[]> {
    if (typeof before === 'string' && !/^\d{1,18}$/.test(before)) throw clientError('BAD_USER_INPUT', 'before: not an event id', { argumentName: 'before' });
    return listAudit(context.pool, await adminScope(context), { first: parseFirst(first), before: before ?? null });
  }
}
