import type { AccessToken, ClientCredentials, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import type { CypernexAccount } from './account';
import { clientTenant } from './scope-policy';

/**
 * `extraTokenClaims`: CONTRACT §3 claims beyond the standard ones. A client token belongs to
 * the client's tenant; a user token to the user's home tenant, whichever client carried it.
 */
export const createExtraTokenClaims = (findAccount: FindAccount) => async (
  ctx: KoaContextWithOIDC,
  token: AccessToken | ClientCredentials,
): Promise<{ tenant_id: string; principal_type: 'user' | 'client' }> => {
  const accountId = 'accountId' in token ? token.accountId : undefined;
  if (accountId) {
    // The grant handlers load the account before they issue (ctx.oidc.account).
    const loaded = ctx.oidc.account as CypernexAccount | undefined;
    const account = loaded?.accountId === accountId ? loaded : ((await findAccount(ctx, accountId)) as CypernexAccount | undefined);
    if (!account) throw new Error(`account ${accountId} vanished while its token was issued`);
    return { tenant_id: account.tenantId, principal_type: 'user' };
  }
  if (!token.client) throw new Error('a client token without its client');
  return { tenant_id: clientTenant(token.client), principal_type: 'client' };
};
