import type { Pool } from 'pg';
import { denyKey } from '../../lib/deny-list';
import type { Redis } from '../../lib/redis';
import type { TenantScope } from '../../lib/tenant-scope';
import { liftSecurityEvent, type SecurityEventRow } from './security-events.store';
import { countersOf, principalKey, throttleKey, tripKey, windowSlot } from './windows';

export interface LiftDeps {
  pool: Pool;
  redis: Redis;
  /** DEFENDER_WINDOW: which window keys hold the rule's counts. */
  windowSeconds: number;
}

/** Deletes the key only while its value names the event: a later event's block of the same principal stays. */
const DELETE_IF_NAMED = `local v = redis.call('GET', KEYS[1])
if v and string.find(v, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A tenant admin lifts an event's action: the deny-list entry and throttle it wrote go,
 * and the rule's counts start again from zero (else the next request would trip it again
 * at once). The event stays, marked lifted. Null when the scope does not see the event.
 */
export async function liftSecurityAction(deps: LiftDeps, scope: TenantScope, id: string, liftedBy: string): Promise<SecurityEventRow | null> {
  return liftSecurityEvent(deps.pool, scope, { id, liftedBy }, async (event) => {
    const named = JSON.stringify({ event: event.id }).slice(1, -1);
    const remedies = [throttleKey(principalKey(event))];
    if (event.denyKind && event.denyValue) remedies.push(denyKey(event.denyKind, event.denyValue));
    const key = principalKey(event);
    const now = Date.now();
    const windows = countersOf(event.rule).flatMap((counter) => {
      const slot = windowSlot(counter, key, deps.windowSeconds, now);
      return [slot.current, slot.previous];
    });
    const pipeline = deps.redis.pipeline().del(tripKey(event.rule, key), ...windows);
    for (const remedy of remedies) pipeline.eval(DELETE_IF_NAMED, 1, remedy, named);
    const failed = ((await pipeline.exec()) ?? []).find(([error]) => error);
    if (failed) throw failed[0];
  });
}
