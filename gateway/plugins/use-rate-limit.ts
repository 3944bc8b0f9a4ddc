import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../create-gateway';
import { requestCost } from '../limits/request-cost';
import { rateLimitHeaders, type Budget, type createRateLimits } from '../rate-limits';
import type { ClientSettings } from '../security.store';
import { clientError } from '../../schema/errors';

export interface RateLimitOptions {
  limits: ReturnType<typeof createRateLimits>;
  settingsOf: (clientId: string) => Promise<ClientSettings>;
  principalLimit: number;
  tenantLimit: number;
  windowSeconds: number;
  defaultListSize: number;
  /** An operation over the cost limit is refused (use-cost-limit) without spending a budget. */
  maxCost: number;
}

/**
 * Spends the operation's cost from the principal's and the tenant's budgets (per-client
 * overrides from `client limits`), answers with RateLimit headers, and refuses with 429
 * RATE_LIMITED and Retry-After once either budget is spent.
 */
export function useRateLimit(options: RateLimitOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          const cost = Math.max(1, requestCost(requestContext, options.defaultListSize));
          if (cost > options.maxCost) return;
          const { principal } = requestContext.contextValue;
          const settings = principal.clientId ? await options.settingsOf(principal.clientId) : undefined;
          const budgets: Budget[] = [
            { policy: 'principal', key: `${principal.principalType}:${principal.subject}`, limit: settings?.principalLimit ?? options.principalLimit },
            { policy: 'tenant', key: principal.tenantId, limit: settings?.tenantLimit ?? options.tenantLimit },
          ];
          const spent = await options.limits.spend(budgets, cost);
          const headers = rateLimitHeaders(spent, options.windowSeconds);
          const exceeded = spent.filter((s) => s.exceeded);
          if (exceeded.length) {
            const retryAfter = Math.max(...exceeded.map((s) => s.resetSeconds));
            headers.set('retry-after', String(retryAfter));
            throw clientError('RATE_LIMITED', `rate limit exceeded: ${exceeded.map((s) => s.policy).join(' and ')} budget spent; retry after ${retryAfter} s`, {
              retryAfter,
              http: { status: 429, headers },
            });
          }
          for (const [name, value] of headers) requestContext.response.http.headers.set(name, value);
        },
      };
    },
  };
}
