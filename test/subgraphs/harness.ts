import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { createLogger } from '../../lib/logger';
import { CONTEXT_HEADER, ContextTokens } from '../../lib/context-token';
import { listen } from '../../lib/http';
import { createPool } from '../../lib/postgres';
import type { Principal } from '../../lib/principal';
import { operatorScope } from '../../lib/tenant-scope';
import { createFleetSubgraph } from '../../subgraphs/fleet';
import { createSite, registerDevices } from '../../subgraphs/fleet/store';
import type { SubgraphServer } from '../../subgraphs/serve-subgraph';
import { createTenancySubgraph } from '../../subgraphs/tenancy';
import { createTenant, type TenantRow } from '../../subgraphs/tenancy/store';
import { testConfig } from '../helpers/config';

export interface GraphQLResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] };
  text: string;
}

/** Both subgraphs, listening on port 0, and a way to call them as the gateway would. */
export async function startSubgraphs() {
  const config = testConfig();
  const pool = createPool(config.DATABASE_URL, { service: 'test-subgraphs' });
  const logger = createLogger('test', 'silent');
  const tokens = new ContextTokens(config.masterKey, config.CONTEXT_TOKEN_TTL);
  const started: SubgraphServer[] = [await createTenancySubgraph({ config, pool, logger }), await createFleetSubgraph({ config, pool, logger })];
  const [tenancyPort, fleetPort] = await Promise.all(started.map((subgraph) => listen(subgraph.server, 0, '127.0.0.1')));
  const urls = { tenancy: `http://127.0.0.1:${tenancyPort}`, fleet: `http://127.0.0.1:${fleetPort}` };

  async function post(subgraph: keyof typeof urls, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<GraphQLResponse> {
    const response = await fetch(`${urls[subgraph]}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text), text };
  }

  return {
    config,
    pool,
    tokens,
    urls,
    post,
    /** A call carrying a context token the gateway would have signed for `principal`. */
    as: async (principal: Principal, subgraph: keyof typeof urls, query: string, variables: Record<string, unknown> = {}) =>
      post(subgraph, query, variables, { [CONTEXT_HEADER]: await tokens.sign(principal) }),
    stop: async () => {
      await Promise.all(started.map((subgraph) => subgraph.close()));
      await pool.end();
    },
  };
}

export type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;

export const principalOf = (tenantId: string, scopes: string[], clientId: string | null = null): Principal => ({
  subject: `client-${crypto.randomUUID()}`,
  clientId,
  tenantId,
  principalType: 'client',
  scopes,
});

const unique = (prefix: string) => `${prefix}-${crypto.randomBytes(4).toString('hex')}`;

/**
 * Tenants A (with child A1) and B, each with devices, created like the operator CLI does;
 * names and serials are random so test files never see each other's data.
 */
export async function createWorld(pool: Pool, counts: { a?: number; a1?: number; b?: number } = {}) {
  const a = await createTenant(pool, operatorScope, { name: unique('A'), region: 'au' });
  const a1 = await createTenant(pool, operatorScope, { name: unique('A1'), parentId: a.id });
  const b = await createTenant(pool, operatorScope, { name: unique('B'), region: 'au' });
  const site = await createSite(pool, operatorScope, { tenantId: a.id, name: 'Depot', timezone: 'Australia/Sydney' });
  const devicesOf = async (tenant: TenantRow, count: number, siteId?: string): Promise<string[]> => {
    if (count === 0) return [];
    const serials = Array.from({ length: count }, () => unique('SN'));
    const devices = await registerDevices(pool, operatorScope, { tenantId: tenant.id, region: tenant.region, model: 'WW-6M', serials, siteId });
    return devices.map((device) => device.id);
  };
  return {
    a,
    a1,
    b,
    site,
    devices: { a: await devicesOf(a, counts.a ?? 3, site.id), a1: await devicesOf(a1, counts.a1 ?? 2), b: await devicesOf(b, counts.b ?? 2) },
  };
}

/** Nothing internal may leak into a response: no stack, no SQL, no driver message. */
export function expectNoLeak(response: GraphQLResponse): void {
  expect(response.text).not.toMatch(/\bat .+\.(ts|js):\d+|stacktrace|select |insert |from fleet|from tenancy|syntax error|relation /i);
}
