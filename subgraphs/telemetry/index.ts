// type-graphql reads decorator metadata while the type modules below load.
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { createRedis, type Redis } from '../../lib/redis';
import { buildFederatedSubgraph } from '../build-subgraph';
import { createSubgraphServer, type SubgraphServer } from '../serve-subgraph';
import { TelemetryDevice } from './device';
import { resolveDeviceReference } from './device.reference';
import { TelemetryDeviceResolver } from './device.resolver';
import { createTelemetryLoaders, datasetLinkSigner, type TelemetryContext } from './loaders';
import { DatasetLinkResolver } from './dataset-link.resolver';
import { TelemetryLimitsResolver } from './limits.resolver';

/** The telemetry subgraph's schema; needs no database (npm run compose). */
export function buildTelemetrySchema(): Promise<GraphQLSchema> {
  return buildFederatedSubgraph<TelemetryContext>({
    resolvers: [TelemetryDeviceResolver, TelemetryLimitsResolver, DatasetLinkResolver],
    references: { Device: resolveDeviceReference },
    // Reached only through `_entities`, so type-graphql must be told to emit it.
    orphanedTypes: [TelemetryDevice],
  });
}

export interface TelemetrySubgraph extends SubgraphServer {
  schema: GraphQLSchema;
}

/** Builds the subgraph with its own Redis connection (latest readings); the caller listens. */
export async function createTelemetrySubgraph(options: { config: Config; pool: Pool; logger: Logger; redis?: Redis }): Promise<TelemetrySubgraph> {
  const { config } = options;
  const redis = options.redis ?? createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'telemetry' });
  const schema = await buildTelemetrySchema();
  const links = datasetLinkSigner(config);
  const served = await createSubgraphServer({
    name: 'telemetry',
    schema,
    ...options,
    redis,
    createLoaders: (source) => createTelemetryLoaders(source, redis, links),
  });
  return {
    schema,
    server: served.server,
    close: async () => {
      await served.close();
      if (!options.redis) redis.disconnect();
    },
  };
}
