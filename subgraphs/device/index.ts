// type-graphql reads decorator metadata while the type modules below load.
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { createPool } from '../../lib/postgres';
import { createRedis } from '../../lib/redis';
import { buildFederatedSubgraph } from '../build-subgraph';
import { createSubgraphServer, type SubgraphServer } from '../serve-subgraph';
import { CommandResolver } from './command.resolver';
import { startDeviceRuntime } from './device-runtime';
import { resolveDeviceReference } from './device.reference';
import { DeviceFieldsResolver } from './device.resolver';
import { createDeviceLoaders, type DeviceContext } from './loaders';
import { WebhookDeliveryResolver, WebhookResolver } from './webhooks/webhook.resolver';

/** The device subgraph's schema; needs no connection (npm run compose). */
export function buildDeviceSchema(): Promise<GraphQLSchema> {
  return buildFederatedSubgraph<DeviceContext>({
    resolvers: [DeviceFieldsResolver, CommandResolver, WebhookResolver, WebhookDeliveryResolver],
    references: { Device: resolveDeviceReference },
  });
}

export interface DeviceSubgraph extends SubgraphServer {
  schema: GraphQLSchema;
}

/**
 * Builds the subgraph and starts its runtime (broker connection, consumers, sweeper,
 * webhook worker); the caller listens on `server` (main.ts, or a test on port 0).
 */
export async function createDeviceSubgraph(options: { config: Config; pool: Pool; logger: Logger }): Promise<DeviceSubgraph> {
  const { config, pool, logger } = options;
  const schema = await buildDeviceSchema();
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'device' });
  // background work has a pool of its own: a backlog of answers or deliveries cannot take
  // the connections GraphQL requests need
  const background = createPool(config.DATABASE_URL, { service: 'device-worker', max: 5, countStatements: false });
  try {
    const runtime = await startDeviceRuntime({ config, pool: background, requestPool: pool, redis, logger });
    const served = await createSubgraphServer({
      name: 'device',
      schema,
      ...options,
      redis,
      createLoaders: (source) => createDeviceLoaders(source, redis, { commands: runtime.commands, webhooks: runtime.webhooks }),
    });
    return {
      schema,
      server: served.server,
      close: async () => {
        await served.close();
        await runtime.stop();
        await background.end();
        redis.disconnect();
      },
    };
  } catch (error) {
    await background.end();
    redis.disconnect();
    throw error;
  }
}
