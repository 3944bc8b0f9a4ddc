import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client } from 'oidc-provider';
import { isScope } from '../../lib/scopes';
import type { CypernexAccount } from '../account';
import { roleScopes } from '../roles';
import { grantableScopes } from '../scope-policy';
import type { InteractionDeps, InteractionDetails } from './context';
import { consentPage } from './consent-page';
import { sendPage } from './html';

/** Scopes asked for, per resource, that no grant of this user and client holds yet. */
const missingResourceScopes = (details: InteractionDetails): Record<string, string[]> =>
  (details.prompt.details.missingResourceScopes as Record<string, string[]> | undefined) ?? {};

const missingOidcScopes = (details: InteractionDetails): string[] => (details.prompt.details.missingOIDCScope as string[] | undefined) ?? [];

/**
 * A user token carries requested ∩ client's ∩ role's scopes. What the role or client does
 * not allow is recorded as rejected, so the consent prompt does not come back for it.
 */
export function splitScopes(requested: readonly string[], client: Client, account: CypernexAccount): { granted: string[]; rejected: string[] } {
  const clientScopes = new Set<string>(grantableScopes(client));
  const allowed = new Set<string>(roleScopes[account.role]);
  const granted = requested.filter((scope) => isScope(scope) && clientScopes.has(scope) && allowed.has(scope));
  return { granted, rejected: requested.filter((scope) => !granted.includes(scope)) };
}

export function showConsent(deps: InteractionDeps, res: ServerResponse, details: InteractionDetails, client: Client, account: CypernexAccount): void {
  const requested = Object.values(missingResourceScopes(details)).flat();
  const { title, body } = consentPage({
    uid: details.uid,
    csrf: deps.csrf.issue(details.uid),
    clientName: client.clientName ?? client.clientId,
    email: account.email,
    scopes: splitScopes(requested, client, account).granted,
    offline: missingOidcScopes(details).includes('offline_access'),
  });
  sendPage(res, 200, title, body);
}

export async function confirmConsent(deps: InteractionDeps, req: IncomingMessage, res: ServerResponse, details: InteractionDetails, client: Client, account: CypernexAccount): Promise<void> {
  const provider = deps.provider();
  const grant = (details.grantId && (await provider.Grant.find(details.grantId))) || new provider.Grant({ accountId: account.accountId, clientId: client.clientId });
  const oidcScopes = missingOidcScopes(details);
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
  const claims = details.prompt.details.missingOIDCClaims as string[] | undefined;
  if (claims?.length) grant.addOIDCClaims(claims);
  for (const [resource, requested] of Object.entries(missingResourceScopes(details))) {
    const { granted, rejected } = splitScopes(requested, client, account);
    if (granted.length) grant.addResourceScope(resource, granted.join(' '));
    if (rejected.length) grant.rejectResourceScope(resource, rejected.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}
