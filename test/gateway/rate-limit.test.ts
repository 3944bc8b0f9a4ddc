import { operationsLimits } from '../../bin/cli/operations';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices } from '../helpers/tenants';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ GATEWAY_MAX_ALIASES: '200' });
});

afterAll(() => platform?.close());

/** A client of a new tenant with the given limits (set before its first request), and its token. */
async function limitedClient(limits: { principal?: string; tenant?: string }, tenantId?: string) {
  const id = tenantId ?? (await tenantWithDevices(platform.pool, platform.config.masterKey, 'Rate', 0)).id;
  const client = await clientOf(platform.pool, platform.config.masterKey, id, ['tenancy:read']);
  await operationsLimits.run({ config: platform.config, pool: () => platform.pool }, { client: client.clientId, ...limits });
  const token = await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'tenancy:read');
  return { tenantId: id, token };
}

const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { subject }`).join(' ')} }`;

describe('rate limits in cost units', () => {
  it('charges 100 aliases what 100 queries cost and announces the budget in RateLimit headers', async () => {
    const { token } = await limitedClient({ principal: '150' });
    const one = await platform.query(token, '{ me { subject } }');
    expect(one.status).toBe(200);
    expect(one.headers.get('ratelimit-policy')).toMatch(/"principal";q=150;w=60/);
    expect(one.headers.get('ratelimit')).toMatch(/"principal";r=149;t=\d+/);
    const hundred = await platform.query(token, aliases(100));
    expect(hundred.status).toBe(200);
    expect(hundred.headers.get('ratelimit')).toMatch(/"principal";r=49;t=\d+/);

    const before = platform.subgraphCalls();
    const refused = await platform.query(token, aliases(100));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: Number(refused.headers.get('retry-after')) });
    expect(platform.subgraphCalls()).toBe(before);
  });

  it('shares one budget among the principals of a tenant', async () => {
    const first = await limitedClient({ tenant: '120' });
    const second = await limitedClient({ tenant: '120' }, first.tenantId);
    expect((await platform.query(first.token, aliases(100))).status).toBe(200);
    const refused = await platform.query(second.token, aliases(100));
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.message).toMatch(/tenant budget/);
  });

  it('keeps other tenants unaffected', async () => {
    const { token } = await limitedClient({});
    const result = await platform.query(token, aliases(100));
    expect(result.status).toBe(200);
    expect(result.headers.get('ratelimit-policy')).toBe('"principal";q=100000;w=60, "tenant";q=500000;w=60');
  });
});
