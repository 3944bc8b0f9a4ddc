import { decodeJwt } from 'jose';
import type { ContextTokens } from '../lib/context-token';
import type { Principal } from '../lib/principal';
import { Lru } from './lru';

export interface Identity {
  principal: Principal;
  /** The signed context forwarded to subgraphs. */
  contextToken: string;
}

/**
 * Verifying an ES256 token and signing a context token cost more than a small subgraph
 * call; a client sends the same token for minutes. Each access token is verified once and
 * its identity (with a context token) reused for at most half the context token's lifetime
 * and never past the access token's `exp`.
 */
export function createIdentityCache(options: {
  verify: (token: string) => Promise<Principal>;
  contextTokens: ContextTokens;
  contextTokenTtl: number;
  capacity?: number;
}): (token: string) => Promise<Identity> {
  const cache = new Lru<{ identity: Identity; until: number }>(options.capacity ?? 10_000);
  const reuseMs = (options.contextTokenTtl * 1000) / 2;
  return async (token) => {
    const now = Date.now();
    const known = cache.get(token);
    if (known && known.until > now) return known.identity;
    const principal = await options.verify(token);
    const identity = { principal, contextToken: await options.contextTokens.sign(principal) };
    const exp = decodeJwt(token).exp;
    const until = Math.min(now + reuseMs, typeof exp === 'number' ? exp * 1000 : now);
    cache.set(token, { identity, until });
    return identity;
  };
}
