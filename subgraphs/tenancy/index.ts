// type-graphql reads decorator metadata while the type modules below load.
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { TenantScope } from '../../lib/tenant-scope';
import { liftSecurityAction } from '../../gateway/defender/lift';
import { createRedis } from '../../lib/redis';
import { buildFederatedSubgraph } from '../build-subgraph';
import { createSubgraphServer, type SubgraphServer } from '../serve-subgraph';
import { createTenancyLoaders, type TenancyContext } from './loaders';
import { SecurityEventResolver } from './security-event.resolver';
import { resolveTenantReference } from './tenant.reference';
import { TenantResolver } from './tenant.resolver';
import { UserResolver } from './user.resolver';
import { ViewerResolver } from './viewer.resolver';

/** The tenancy subgraph's schema; needs no database (npm run compose). */
export function buildTenancySchema(): Promise<GraphQLSchema> {
  return buildFederatedSubgraph<TenancyContext>({
    resolvers: [TenantResolver, ViewerResolver, UserResolver, SecurityEventResolver],
    references: { Tenant: resolveTenantReference },
  });
}

export interface TenancySubgraph extends SubgraphServer {
  schema: GraphQLSchema;
}

/**
 * Builds the subgraph; the caller listens on `server` (main.ts, or a test on port 0). Redis
 * is for lifting the defender's remedies (deny-list entries, throttles).
 */
export async function createTenancySubgraph(options: { config: Config; pool: Pool; logger: Logger }): Promise<TenancySubgraph> {
  const { config, pool } = options;
  const schema = await buildTenancySchema();
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'tenancy' });
  const lifting = { pool, redis, windowSeconds: config.DEFENDER_WINDOW };
  const services = { liftSecurityAction: (scope: TenantScope, id: string, by: string) => liftSecurityAction(lifting, scope, id, by) };
  const served = await createSubgraphServer({ name: 'tenancy', schema, ...options, redis, createLoaders: (source) => createTenancyLoaders(source, services) });
  return {
    schema,
    server: served.server,
    close: async () => {
      await served.close();
      redis.disconnect();
    },
  };
}
