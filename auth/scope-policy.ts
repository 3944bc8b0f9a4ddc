import { errors, type Client, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import { controlScopes, isScope } from '../lib/scopes';

/** The one resource server of the platform (CONTRACT §3): every access token is for it. */
export const API_RESOURCE = 'urn:cypernex:api';

export function isControlClient(client: Client): boolean {
  return client.metadata().control === true;
}

export function clientTenant(client: Client): string {
  const tenantId = client.metadata().tenant_id;
  if (typeof tenantId !== 'string') throw new Error(`client ${client.clientId} has no tenant`);
  return tenantId;
}

/** The platform scopes a client may hold: its registered ones, control ones only for control clients. */
export function grantableScopes(client: Client): string[] {
  const registered = (client.scope ?? '').split(' ').filter(isScope);
  return isControlClient(client) ? registered : registered.filter((scope) => !controlScopes.includes(scope));
}

export const hasControlScope = (scope: string | undefined): boolean =>
  (scope ?? '').split(' ').some((value) => (controlScopes as readonly string[]).includes(value));

/**
 * oidc-provider refuses a registered scope the client lacks only when it is a configured
 * one, and silently drops others when it narrows to the resource server's scopes. A partner
 * asking for more than it was given must hear so (invalid_scope), not get a narrower token.
 */
function refuseUnregisteredScopes(ctx: KoaContextWithOIDC, client: Client): void {
  const allowed = new Set([...grantableScopes(client), ...(client.scope ?? '').split(' ').filter((scope) => !isScope(scope))]);
  for (const scope of ctx.oidc.requestParamScopes) {
    if (scope && !allowed.has(scope)) throw new errors.InvalidScope('requested scope is not allowed', scope);
  }
}

/**
 * RFC 6749 §3.3: a request without `scope` gets a predefined default or fails. A partner's
 * client_credentials request defaults to everything the client was registered for.
 */
function defaultClientCredentialsScope(ctx: KoaContextWithOIDC, client: Client): void {
  const params = ctx.oidc.params as { grant_type?: unknown; scope?: unknown } | undefined;
  if (ctx.oidc.route === 'token' && params?.grant_type === 'client_credentials' && !params.scope) {
    params.scope = grantableScopes(client).join(' ');
  }
}

/** `features.resourceIndicators.getResourceServerInfo`: JWT access tokens for the API only. */
export async function getResourceServerInfo(ctx: KoaContextWithOIDC, resource: string, client: Client): Promise<ResourceServer> {
  if (resource !== API_RESOURCE) throw new errors.InvalidTarget(`the only resource is ${API_RESOURCE}`);
  defaultClientCredentialsScope(ctx, client);
  refuseUnregisteredScopes(ctx, client);
  return {
    scope: grantableScopes(client).join(' '),
    audience: API_RESOURCE,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'ES256' } },
  };
}
