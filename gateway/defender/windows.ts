import type { Principal } from '../../lib/principal';
import type { Counter, RuleName } from './rules';

/** Who the defender watches: one principal, whatever token or replica it comes through. */
export const principalKey = (principal: Pick<Principal, 'principalType' | 'subject'>): string => `${principal.principalType}:${principal.subject}`;

export interface WindowSlot {
  current: string;
  previous: string;
  /** How much of the previous fixed window still overlaps the sliding one. */
  weight: number;
}

/**
 * A sliding-window counter as two fixed windows, the previous one weighted by how much of
 * it the sliding window still covers: two small keys per counter, however many requests.
 */
export function windowSlot(counter: Counter, principal: string, windowSeconds: number, nowMs: number): WindowSlot {
  const windowMs = windowSeconds * 1000;
  const index = Math.floor(nowMs / windowMs);
  const key = `defender:w:${counter}:${principal}`;
  return { current: `${key}:${index}`, previous: `${key}:${index - 1}`, weight: 1 - (nowMs % windowMs) / windowMs };
}

export const estimate = (current: number, previous: number, weight: number): number => current + previous * weight;

/** Set while a rule's event stands, so that one burst gives one event on every replica. */
export const tripKey = (rule: RuleName, principal: string): string => `defender:trip:${rule}:${principal}`;

/** Present while the principal is throttled; its value is the throttle (JSON). */
export const throttleKey = (principal: string): string => `defender:throttle:${principal}`;

/** The counters a rule reads. */
export const countersOf = (rule: RuleName): Counter[] => (rule === 'enumeration' ? ['enumeration', 'lookups'] : [rule]);
