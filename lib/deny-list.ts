import type { Redis } from './redis';
import type { Principal } from './principal';

/** What a deny entry names: one token, everything of one subject, or everything of one client. */
export type DenyKind = 'jti' | 'subject' | 'client';

/** Longest access-token lifetime (CONTRACT §3): a denied `jti` needs no entry beyond it. */
export const MAX_TOKEN_LIFETIME = 900;

const keyOf = (kind: DenyKind, value: string) => `deny:${kind}:${value}`;

/**
 * Cuts a principal off at every gateway replica at once. Without `ttlSeconds` a jti entry
 * lasts as long as a token can, and a subject or client entry until it is lifted.
 */
export async function deny(redis: Redis, kind: DenyKind, value: string, ttlSeconds?: number): Promise<void> {
  const ttl = ttlSeconds ?? (kind === 'jti' ? MAX_TOKEN_LIFETIME : undefined);
  const at = new Date().toISOString();
  if (ttl) await redis.set(keyOf(kind, value), at, 'EX', ttl);
  else await redis.set(keyOf(kind, value), at);
}

export async function lift(redis: Redis, kind: DenyKind, value: string): Promise<boolean> {
  return (await redis.del(keyOf(kind, value))) === 1;
}

/** One round trip per request: a single EXISTS over the principal's jti, subject and client. */
export async function isDenied(redis: Redis, principal: Principal): Promise<boolean> {
  const keys = [keyOf('subject', principal.subject)];
  if (principal.jti) keys.push(keyOf('jti', principal.jti));
  if (principal.clientId) keys.push(keyOf('client', principal.clientId));
  return (await redis.exists(...keys)) > 0;
}
