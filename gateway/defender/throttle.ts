import { deny } from '../../lib/deny-list';
import type { Principal } from '../../lib/principal';
import type { Redis } from '../../lib/redis';
import { denialReason, type Throttle } from './remedy';
import { principalKey } from './windows';

const MINUTE_MS = 60_000;

/**
 * Counts a throttled principal's request in the current minute; the request that reaches
 * the lowered limit is the last one served: a subject entry until the minute ends refuses
 * the rest (429 with Retry-After, gateway/defender/refusal.ts) at the deny-list check
 * every request already makes, so throttling costs unthrottled principals nothing.
 */
export async function spendThrottle(redis: Redis, principal: Principal, throttle: Throttle): Promise<void> {
  const now = Date.now();
  const minute = Math.floor(now / MINUTE_MS);
  const key = `defender:t:${principalKey(principal)}:${minute}`;
  const results = await redis.multi().incr(key).expire(key, 120).exec();
  const count = Number(results?.[0]?.[1] ?? 0);
  if (count < throttle.limit) return;
  const until = new Date((minute + 1) * MINUTE_MS);
  const reason = denialReason({ id: throttle.event, rule: throttle.rule, action: 'throttle' }, until);
  await deny(redis, 'subject', principal.subject, Math.max(1, Math.ceil((until.getTime() - now) / 1000)), reason);
}
