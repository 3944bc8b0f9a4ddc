import { deny, MAX_TOKEN_LIFETIME, type DenyKind } from '../../lib/deny-list';
import type { Principal } from '../../lib/principal';
import type { Redis } from '../../lib/redis';
import type { DefenderAction, DefenderSettings, RuleName } from './rules';
import { principalKey, throttleKey } from './windows';

/** What a remedy writes to Redis, kept with its security event so that lifting undoes exactly that. */
export interface Remedy {
  denyKind: DenyKind | null;
  denyValue: string | null;
  /** Null: until lifted. */
  expiresAt: Date | null;
}

/** The deny-list value the defender writes: why, and until when (gateway/defender/refusal.ts reads it). */
export interface DefenderDenial {
  by: 'defender';
  event: string;
  rule: RuleName;
  action: Exclude<DefenderAction, 'notify'>;
  until: string | null;
}

/** A throttle's value under its key: the lowered limit and the event that set it. */
export interface Throttle {
  event: string;
  rule: RuleName;
  limit: number;
}

const later = (seconds: number) => new Date(Date.now() + seconds * 1000);

/**
 * block: the principal (its subject: every token of a user or client, or one API key) for
 * DEFENDER_BLOCK_SECONDS. revoke: the credential until lifted: a user's token (jti, it
 * expires anyway), a client, an API key. throttle: a lowered limit; the requests beyond
 * it are refused through a short subject entry. notify: nothing.
 */
export function remedyFor(action: DefenderAction, principal: Principal, settings: DefenderSettings): Remedy {
  switch (action) {
    case 'notify':
      return { denyKind: null, denyValue: null, expiresAt: null };
    case 'block':
      return { denyKind: 'subject', denyValue: principal.subject, expiresAt: later(settings.blockSeconds) };
    case 'throttle':
      return { denyKind: 'subject', denyValue: principal.subject, expiresAt: later(settings.throttleSeconds) };
    case 'revoke':
      if (principal.principalType === 'user' && principal.jti) return { denyKind: 'jti', denyValue: principal.jti, expiresAt: later(MAX_TOKEN_LIFETIME) };
      if (principal.principalType === 'client' && principal.clientId) return { denyKind: 'client', denyValue: principal.clientId, expiresAt: null };
      return { denyKind: 'subject', denyValue: principal.subject, expiresAt: null };
  }
}

const secondsUntil = (at: Date | null): number | undefined => (at ? Math.max(1, Math.ceil((at.getTime() - Date.now()) / 1000)) : undefined);

/** Puts the remedy in force at every gateway replica. */
export async function applyRemedy(redis: Redis, event: { id: string; rule: RuleName; action: DefenderAction }, principal: Principal, remedy: Remedy, settings: DefenderSettings): Promise<void> {
  if (event.action === 'throttle') {
    const throttle: Throttle = { event: event.id, rule: event.rule, limit: settings.throttleLimit };
    await redis.set(throttleKey(principalKey(principal)), JSON.stringify(throttle), 'EX', settings.throttleSeconds);
  } else if (event.action !== 'notify' && remedy.denyKind && remedy.denyValue) {
    await deny(redis, remedy.denyKind, remedy.denyValue, secondsUntil(remedy.expiresAt), denialReason(event, remedy.expiresAt));
  }
}

export function denialReason(event: { id: string; rule: RuleName; action: DefenderAction }, until: Date | null): string {
  const denial: DefenderDenial = { by: 'defender', event: event.id, rule: event.rule, action: event.action as DefenderDenial['action'], until: until?.toISOString() ?? null };
  return JSON.stringify(denial);
}
