import type { Account, KoaContextWithOIDC } from 'oidc-provider';

/** A signed-in user: tokens issued to one carry its home tenant. */
export interface CypernexAccount extends Account {
  tenantId: string;
}

/**
 * `findAccount`: user accounts arrive with the login pages (issue 5). Until then no one can
 * sign in, so no lookup finds anyone and no user token is issued.
 */
export async function findAccount(_ctx: KoaContextWithOIDC, _accountId: string): Promise<CypernexAccount | undefined> {
  return undefined;
}
