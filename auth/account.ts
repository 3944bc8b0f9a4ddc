import type { Account, FindAccount } from 'oidc-provider';
import type { Pool } from 'pg';
import type { Role } from './roles';
import { findActiveUser } from './users.store';

/** A signed-in user: tokens issued to one carry its home tenant. */
export interface CypernexAccount extends Account {
  tenantId: string;
  role: Role;
  email: string;
}

/** An enabled user of auth.users as an account; a disabled or deleted one is not found. */
export async function loadAccount(pool: Pool, accountId: string): Promise<CypernexAccount | undefined> {
  const user = await findActiveUser(pool, accountId);
  if (!user) return undefined;
  return {
    accountId: user.id,
    tenantId: user.tenantId,
    role: user.role,
    email: user.email,
    claims: () => ({ sub: user.id, email: user.email, tenant_id: user.tenantId }),
  };
}

/** `findAccount`: so a disabled user's refresh tokens and sessions stop producing tokens at once. */
export const createFindAccount = (pool: Pool): FindAccount => (_ctx, accountId) => loadAccount(pool, accountId);
