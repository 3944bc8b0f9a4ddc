import type { Redis } from './redis';
import type { Principal } from './principal';

/** What a deny entry names: one token, everything of one subject, or everything of one client. */
export type DenyKind = 'jti' | 'subject' | 'client';

/** Longest access-token lifetime (CONTRACT §3): a denied `jti` needs no entry beyond it. */
export const MAX_TOKEN_LIFETIME = 900;

/** The Redis key of one entry (without the deployment's prefix, which the connection adds). */
export const denyKey = (kind: DenyKind, value: string) => `deny:${kind}:${value}`;
const keyOf = denyKey;

/**
 * Cuts a principal off at every gateway replica at once. Without `ttlSeconds` a jti entry
 * lasts as long as a token can, and a subject or client entry until it is lifted. `reason`
 * is kept as the entry's value (the defender says there why and until when); by default the
 * value is the time of the denial.
 */
export async function deny(redis: Redis, kind: DenyKind, value: string, ttlSeconds?: number, reason?: string): Promise<void> {
  const ttl = ttlSeconds ?? (kind === 'jti' ? MAX_TOKEN_LIFETIME : undefined);
  const entry = reason ?? new Date().toISOString();
  if (ttl) await redis.set(keyOf(kind, value), entry, 'EX', ttl);
  else await redis.set(keyOf(kind, value), entry);
}

export async function lift(redis: Redis, kind: DenyKind, value: string): Promise<boolean> {
  return (await redis.del(keyOf(kind, value))) === 1;
}

const keysOf = (principal: Principal): string[] => {
  const keys = [keyOf('subject', principal.subject)];
  if (principal.jti) keys.push(keyOf('jti', principal.jti));
  if (principal.clientId) keys.push(keyOf('client', principal.clientId));
  return keys;
};

/** One round trip per request: a single EXISTS over the principal's jti, subject and client. */
export async function isDenied(redis: Redis, principal: Principal): Promise<boolean> {
  return (await redis.exists(...keysOf(principal))) > 0;
}

/** Like isDenied, in one MGET, but answers the value of the first entry found (the reason), or null. */
export async function denialOf(redis: Redis, principal: Principal): Promise<string | null> {
  return (await redis.mget(...keysOf(principal))).find((entry) => entry !== null) ?? null;
}
