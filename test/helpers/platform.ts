import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import { listen } from '../../lib/http';
import { createLogger } from '../../lib/logger';
import { createPool } from '../../lib/postgres';
import { createRedis, type Redis } from '../../lib/redis';
import { createGateway, type Gateway } from '../../gateway/create-gateway';
import { createTenancySubgraph } from '../../subgraphs/tenancy';
import { createFleetSubgraph } from '../../subgraphs/fleet';
import { createTelemetrySubgraph } from '../../subgraphs/telemetry';
import { createDeviceSubgraph } from '../../subgraphs/device';
import type { SubgraphServer } from '../../subgraphs/serve-subgraph';
import { startIssuer, type StartedIssuer } from './issuer';
import { testConfig } from './config';

type SubgraphFactory = (options: { config: Config; pool: Pool; logger: ReturnType<typeof createLogger> }) => Promise<SubgraphServer>;

/** Every subgraph of the committed supergraph, by its name there. */
const subgraphFactories: Record<string, { urlKey: string; create: SubgraphFactory }> = {
  tenancy: { urlKey: 'TENANCY_URL', create: createTenancySubgraph },
  fleet: { urlKey: 'FLEET_URL', create: createFleetSubgraph },
  telemetry: { urlKey: 'TELEMETRY_URL', create: createTelemetrySubgraph },
  device: { urlKey: 'DEVICE_URL', create: createDeviceSubgraph },
};

export interface GraphQLResult {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
}

export interface Platform {
  config: Config;
  pool: Pool;
  redis: Redis;
  issuer: StartedIssuer;
  gateway: Gateway;
  gatewayUrl: string;
  subgraphUrls: Record<string, string>;
  /** GraphQL requests the subgraphs (or the named one) have received so far: proves a refusal never reached one. */
  subgraphCalls(name?: string): number;
  /** POSTs a GraphQL operation to the gateway with a bearer token (or none). */
  query(token: string | null, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResult>;
  close(): Promise<void>;
}

/**
 * The whole request path in this process, each part built by its factory and listening on
 * port 0: issuer, subgraphs, gateway. Uses the run's own database and Redis prefix.
 */
export interface PlatformOptions {
  /** Runs the gateway as in production (introspection, suggestions and landing page off) with a local http issuer. */
  production?: boolean;
}

export async function startPlatform(overrides: Record<string, string> = {}, options: PlatformOptions = {}): Promise<Platform> {
  const base = testConfig(overrides);
  const logger = createLogger('test', base.LOG_LEVEL);
  const pool = createPool(base.DATABASE_URL, { service: 'test', max: 20 });
  const redis = createRedis(base.REDIS_URL, { keyPrefix: base.REDIS_KEY_PREFIX, service: 'test' });
  const issuer = await startIssuer(base, pool, redis);
  const subgraphs: SubgraphServer[] = [];
  const subgraphUrls: Record<string, string> = {};
  const subgraphCalls: Record<string, number> = {};
  const urlOverrides: Record<string, string> = {};
  for (const [name, { urlKey, create }] of Object.entries(subgraphFactories)) {
    const subgraph = await create({ config: base, pool, logger });
    subgraph.server.on('request', (req: { url?: string }) => {
      if (req.url?.startsWith('/graphql')) subgraphCalls[name] = (subgraphCalls[name] ?? 0) + 1;
    });
    const port = await listen(subgraph.server, 0, '127.0.0.1');
    subgraphs.push(subgraph);
    subgraphUrls[name] = `http://127.0.0.1:${port}/graphql`;
    urlOverrides[urlKey] = subgraphUrls[name]!;
  }
  const loaded = testConfig({ ...overrides, ...urlOverrides, AUTH_ISSUER: issuer.url });
  const config = options.production ? { ...loaded, CYPERNEX_ENV: 'production' as const, production: true } : loaded;
  const gateway = await createGateway({ config, redis, pool, logger });
  const gatewayPort = await listen(gateway.server, 0, '127.0.0.1');
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;

  return {
    config,
    pool,
    redis,
    issuer,
    gateway,
    gatewayUrl,
    subgraphUrls,
    subgraphCalls: (name) => (name ? (subgraphCalls[name] ?? 0) : Object.values(subgraphCalls).reduce((sum, n) => sum + n, 0)),
    async query(token, query, variables, headers = {}) {
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResult['body'] };
    },
    async close() {
      await gateway.close();
      for (const subgraph of subgraphs) await subgraph.close();
      await issuer.close();
      redis.disconnect();
      await pool.end();
    },
  };
}
