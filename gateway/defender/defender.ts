import type { Pool } from 'pg';
import type { Logger } from '../../lib/logger';
import type { Principal } from '../../lib/principal';
import type { Redis } from '../../lib/redis';
import type { Observations } from './observe';
import type { Throttle } from './remedy';
import type { Counter, DefenderSettings, Rule } from './rules';
import { spendThrottle } from './throttle';
import { tripRule } from './trip';
import { estimate, principalKey, throttleKey, windowSlot } from './windows';

export interface Defender {
  /** Records what one response showed and acts on any rule it trips; never throws. */
  observe(principal: Principal, observations: Observations, logger: Logger): Promise<void>;
}

export interface DefenderDeps {
  redis: Redis;
  pool: Pool;
  settings: DefenderSettings;
}

/**
 * The defender's state lives in Redis, so every gateway replica counts into the same
 * windows and sees the same throttles: one round trip per request (auto-pipelined with
 * the other requests of the same tick) adds its counts, reads the windows back and reads
 * the principal's throttle. Only a tripped rule
 * or a throttled principal costs more.
 */
export function createDefender(deps: DefenderDeps): Defender {
  const { redis, settings } = deps;
  const watched = new Set<Counter>(settings.rules.flatMap((rule) => (rule.name === 'enumeration' ? ['enumeration', 'lookups'] : [rule.name])));

  // Separate commands rather than a pipeline: on the gateway's auto-pipelined connection the
  // commands of every request in the same tick leave in one write.
  const counts = async (principal: Principal, observations: Observations) => {
    const key = principalKey(principal);
    const now = Date.now();
    const counters = (Object.entries(observations) as [Counter, number][]).filter(([counter, n]) => n > 0 && watched.has(counter));
    const throttle = redis.get(throttleKey(key));
    const windows = counters.map(async ([counter, n]) => {
      const slot = windowSlot(counter, key, settings.windowSeconds, now);
      const [current, , previous] = await Promise.all([redis.incrby(slot.current, n), redis.expire(slot.current, settings.windowSeconds * 2), redis.get(slot.previous)]);
      return [counter, estimate(current, Number(previous ?? 0), slot.weight)] as const;
    });
    // awaited together: a failed command (Redis down) must not leave the others' rejections unhandled
    const [throttled, estimates] = await Promise.all([throttle, Promise.all(windows)]);
    return { throttle: throttled, estimates: new Map<Counter, number>(estimates) };
  };

  const tripped = (rule: Rule, estimates: Map<Counter, number>): number | null => {
    const count = estimates.get(rule.name);
    if (count === undefined || count < rule.threshold) return null;
    if (rule.name === 'enumeration' && count / (estimates.get('lookups') ?? count) < settings.enumerationRatio) return null;
    return count;
  };

  return {
    async observe(principal, observations, logger) {
      try {
        const { throttle, estimates } = await counts(principal, observations);
        for (const rule of settings.rules) {
          const count = tripped(rule, estimates);
          if (count === null) continue;
          const detail: Record<string, unknown> = { count: Math.round(count), threshold: rule.threshold, windowSeconds: settings.windowSeconds };
          if (rule.name === 'enumeration') detail.lookups = Math.round(estimates.get('lookups') ?? count);
          await tripRule(deps, { rule, principal, detail, logger });
        }
        if (throttle) await spendThrottle(redis, principal, JSON.parse(throttle) as Throttle);
      } catch (error) {
        logger.error({ err: error }, 'defender: observation not recorded');
      }
    },
  };
}
