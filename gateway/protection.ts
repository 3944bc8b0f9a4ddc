import type { ApolloServerOptions } from '@apollo/server';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import type { Pool } from 'pg';
import type { Config } from '../lib/config';
import type { Redis } from '../lib/redis';
import type { AuthorizationIndex } from './authorization/rules';
import { createClientSettingsCache } from './client-settings-cache';
import { createDefender } from './defender/defender';
import { defenderSettings } from './defender/rules';
import type { GatewayContext } from './create-gateway';
import { shapeLimitRules } from './limits/validation-rules';
import { createPersistedQueryCache } from './persisted-query-cache';
import { useAuthorization } from './plugins/use-authorization';
import { useCostLimit } from './plugins/use-cost-limit';
import { useDefender } from './plugins/use-defender';
import { useRateLimit } from './plugins/use-rate-limit';
import { useRequestErrors } from './plugins/use-request-errors';
import { useTrustedDocuments } from './plugins/use-trusted-documents';
import { createRateLimits } from './rate-limits';

type ProtectionOptions = Pick<
  ApolloServerOptions<GatewayContext>,
  'csrfPrevention' | 'allowBatchedHttpRequests' | 'introspection' | 'hideSchemaDetailsFromClientErrors' | 'parseOptions' | 'validationRules' | 'persistedQueries' | 'plugins'
>;

/**
 * Every protection of the gateway (issue #6) as Apollo Server options. The plugins'
 * didResolveOperation hooks start in this order, each before its first await: trusted
 * documents read the hash the client sent, cost and rate limits cost the document as sent,
 * and authorization then swaps in the filtered document. The defender comes after them:
 * it reads the response they shaped.
 */
export function protectionOptions(config: Config, deps: { redis: Redis; requestRedis: Redis; pool: Pool; index: AuthorizationIndex }): ProtectionOptions {
  const settingsOf = createClientSettingsCache(deps.pool);
  const defaultListSize = config.GATEWAY_DEFAULT_LIST_SIZE;
  return {
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    introspection: !config.production,
    hideSchemaDetailsFromClientErrors: config.production,
    parseOptions: { maxTokens: config.GATEWAY_MAX_TOKENS },
    validationRules: shapeLimitRules({ maxDepth: config.GATEWAY_MAX_DEPTH, maxAliases: config.GATEWAY_MAX_ALIASES, maxDirectives: config.GATEWAY_MAX_DIRECTIVES }),
    persistedQueries: { cache: createPersistedQueryCache(deps.redis, deps.pool, config.APQ_TTL), ttl: config.APQ_TTL },
    plugins: [
      useRequestErrors(),
      useTrustedDocuments(settingsOf),
      useCostLimit({ maxCost: config.GATEWAY_MAX_COST, defaultListSize }),
      useRateLimit({
        limits: createRateLimits(deps.requestRedis, config.RATE_LIMIT_WINDOW),
        settingsOf,
        principalLimit: config.RATE_LIMIT_PRINCIPAL,
        tenantLimit: config.RATE_LIMIT_TENANT,
        windowSeconds: config.RATE_LIMIT_WINDOW,
        defaultListSize,
        maxCost: config.GATEWAY_MAX_COST,
      }),
      useAuthorization({ index: deps.index, cacheSize: config.AUTHORIZATION_CACHE_SIZE, maxNodes: config.GATEWAY_MAX_COST }),
      useDefender(createDefender({ redis: deps.requestRedis, pool: deps.pool, settings: defenderSettings(config) })),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  };
}
