import { HeaderMap } from '@apollo/server';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from '../lib/redis';

export interface Budget {
  /** `principal` or `tenant`: the policy name in the RateLimit headers. */
  policy: string;
  key: string;
  limit: number;
}

export interface Spent {
  policy: string;
  limit: number;
  remaining: number;
  resetSeconds: number;
  exceeded: boolean;
}

/**
 * Fixed-window budgets in cost units, kept in Redis so that every gateway process shares
 * them (rate-limiter-flexible's atomic Lua increment). Budgets of one request are spent
 * together on an auto-pipelining connection: one Redis round trip per request. If Redis
 * fails, an in-process limiter with the same budget stands in (the library's insurance).
 */
export function createRateLimits(redis: Redis, windowSeconds: number) {
  const limiters = new Map<string, RateLimiterRedis>();
  const limiterFor = (policy: string, limit: number): RateLimiterRedis => {
    const id = `${policy}:${limit}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `rl:${policy}`,
        points: limit,
        duration: windowSeconds,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `rl:${policy}`, points: limit, duration: windowSeconds }),
      });
      limiters.set(id, limiter);
    }
    return limiter;
  };

  return {
    async spend(budgets: Budget[], cost: number): Promise<Spent[]> {
      const outcomes = await Promise.allSettled(budgets.map((budget) => limiterFor(budget.policy, budget.limit).consume(budget.key, cost)));
      return outcomes.map((outcome, i) => {
        const budget = budgets[i]!;
        const value = outcome.status === 'fulfilled' ? outcome.value : outcome.reason;
        if (!(value instanceof RateLimiterRes)) throw value;
        return {
          policy: budget.policy,
          limit: budget.limit,
          remaining: Math.max(0, value.remainingPoints),
          resetSeconds: Math.max(1, Math.ceil(value.msBeforeNext / 1000)),
          exceeded: outcome.status === 'rejected',
        };
      });
    },
  };
}

/** `RateLimit-Policy` and `RateLimit` as in draft-ietf-httpapi-ratelimit-headers (structured fields). */
export function rateLimitHeaders(spent: Spent[], windowSeconds: number): HeaderMap {
  const headers = new HeaderMap();
  headers.set('ratelimit-policy', spent.map((s) => `"${s.policy}";q=${s.limit};w=${windowSeconds}`).join(', '));
  headers.set('ratelimit', spent.map((s) => `"${s.policy}";r=${s.remaining};t=${s.resetSeconds}`).join(', '));
  return headers;
}
