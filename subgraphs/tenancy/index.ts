// type-graphql reads decorator metadata while the type modules below load.
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { buildFederatedSubgraph } from '../build-subgraph';
import { createSubgraphServer, type SubgraphServer } from '../serve-subgraph';
import { createTenancyLoaders, type TenancyContext } from './loaders';
import { resolveTenantReference } from './tenant.reference';
import { TenantResolver } from './tenant.resolver';
import { UserResolver } from './user.resolver';
import { ViewerResolver } from './viewer.resolver';

/** The tenancy subgraph's schema; needs no database (npm run compose). */
export function buildTenancySchema(): Promise<GraphQLSchema> {
  return buildFederatedSubgraph<TenancyContext>({
    resolvers: [TenantResolver, ViewerResolver, UserResolver],
    references: { Tenant: resolveTenantReference },
  });
}

export interface TenancySubgraph extends SubgraphServer {
  schema: GraphQLSchema;
}

/** Builds the subgraph; the caller listens on `server` (main.ts, or a test on port 0). */
export async function createTenancySubgraph(options: { config: Config; pool: Pool; logger: Logger }): Promise<TenancySubgraph> {
  const schema = await buildTenancySchema();
  const served = await createSubgraphServer({ name: 'tenancy', schema, ...options, createLoaders: createTenancyLoaders });
  return { schema, ...served };
}
