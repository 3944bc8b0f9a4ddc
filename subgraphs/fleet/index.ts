// type-graphql reads decorator metadata while the type modules below load.
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { buildFederatedSubgraph } from '../build-subgraph';
import { createSubgraphServer, type SubgraphServer } from '../serve-subgraph';
import { resolveDeviceReference } from './device.reference';
import { DeviceResolver } from './device.resolver';
import { createFleetLoaders, type FleetContext } from './loaders';
import { TenantDevicesResolver } from './tenant-devices.resolver';
import { resolveTenantReference } from './tenant.reference';

/** The fleet subgraph's schema; needs no database (npm run compose). */
export function buildFleetSchema(): Promise<GraphQLSchema> {
  return buildFederatedSubgraph<FleetContext>({
    resolvers: [DeviceResolver, TenantDevicesResolver],
    references: { Device: resolveDeviceReference, Tenant: resolveTenantReference },
  });
}

export interface FleetSubgraph extends SubgraphServer {
  schema: GraphQLSchema;
}

/** Builds the subgraph; the caller listens on `server` (main.ts, or a test on port 0). */
export async function createFleetSubgraph(options: { config: Config; pool: Pool; logger: Logger }): Promise<FleetSubgraph> {
  const schema = await buildFleetSchema();
  const served = await createSubgraphServer({ name: 'fleet', schema, ...options, createLoaders: createFleetLoaders });
  return { schema, ...served };
}
