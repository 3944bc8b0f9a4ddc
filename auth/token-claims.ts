import type { AccessToken, ClientCredentials, KoaContextWithOIDC } from 'oidc-provider';
import { findAccount } from './account';
import { clientTenant } from './scope-policy';

/**
 * `extraTokenClaims`: CONTRACT §3 claims beyond the standard ones. A client token belongs to
 * the client's tenant; a user token to the user's home tenant, whichever client carried it.
 */
export async function extraTokenClaims(
  ctx: KoaContextWithOIDC,
  token: AccessToken | ClientCredentials,
): Promise<{ tenant_id: string; principal_type: 'user' | 'client' }> {
  const accountId = 'accountId' in token ? token.accountId : undefined;
  if (accountId) {
    const account = await findAccount(ctx, accountId);
    if (!account) throw new Error(`account ${accountId} vanished while its token was issued`);
    return { tenant_id: account.tenantId, principal_type: 'user' };
  }
  if (!token.client) throw new Error('a client token without its client');
  return { tenant_id: clientTenant(token.client), principal_type: 'client' };
}
