import type { IncomingMessage } from 'node:http';
import type { Pool } from 'pg';
import type { Config } from '../lib/config';
import type { ContextTokens } from '../lib/context-token';
import { denialOf } from '../lib/deny-list';
import type { Redis } from '../lib/redis';
import { apiKeyPrincipal } from './api-key-principal';
import { AuthenticationError, bearerToken } from './authenticate';
import { defenderRefusal } from './defender/refusal';
import type { Identity } from './identity-cache';

export interface RequestAuthenticationDeps {
  config: Config;
  redis: Redis;
  pool: Pool;
  /** Verifies a bearer token (cached per token). */
  identify: (token: string) => Promise<Identity>;
  contextTokens: ContextTokens;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Who sends the request: `Authorization: Bearer <JWT>` or `X-Api-Key: <key>` (exactly one),
 * then the Redis deny-list (jti, subject, client) in one round trip on every request, so a
 * principal cut off with `auth deny` or a revoked key is refused at once. An entry the
 * defender wrote answers with its own error (403 blocked, 429 throttled, 401 revoked),
 * which says why and which security event a tenant admin can lift.
 */
export async function authenticateRequest(req: IncomingMessage, deps: RequestAuthenticationDeps): Promise<Identity> {
  const authorization = header(req, 'authorization');
  const apiKey = header(req, 'x-api-key')?.trim();
  if (authorization && apiKey) throw new AuthenticationError('send either a bearer token or an API key, not both');
  let identity: Identity;
  if (apiKey) {
    const principal = await apiKeyPrincipal(apiKey, { redis: deps.redis, pool: deps.pool, masterKey: deps.config.masterKey });
    identity = { principal, contextToken: await deps.contextTokens.sign(principal) };
  } else {
    const token = bearerToken(authorization);
    if (!token) throw new AuthenticationError('a valid access token or API key is required');
    identity = await deps.identify(token);
  }
  const denial = await denialOf(deps.redis, identity.principal);
  if (denial !== null) throw defenderRefusal(denial) ?? new AuthenticationError('access revoked');
  return identity;
}
