import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices } from '../helpers/tenants';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform();
});

afterAll(() => platform?.close());

async function tokenFor(name: string) {
  const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, name, 0);
  const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, ['tenancy:read']);
  return { tenant, client, token: await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'tenancy:read') };
}

const ME = '{ me { subject tenant { id name } } }';

describe('in-flight sharing of subgraph reads', () => {
  it('answers identical concurrent requests of one caller from fewer subgraph calls, each with the whole answer', async () => {
    const { tenant, client, token } = await tokenFor('Shared');
    await platform.query(token, ME);
    const before = platform.subgraphCalls('tenancy');
    const results = await Promise.all(Array.from({ length: 20 }, () => platform.query(token, ME)));
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ data: { me: { subject: client.clientId, tenant: { id: tenant.id, name: tenant.name } } } });
    }
    expect(platform.subgraphCalls('tenancy') - before).toBeLessThan(20);
  });

  it('never gives one caller the answer of another, even when their requests overlap', async () => {
    const callers = await Promise.all(['Own A', 'Own B', 'Own C'].map(tokenFor));
    const results = await Promise.all(callers.flatMap((caller) => Array.from({ length: 5 }, async () => ({ caller, result: await platform.query(caller.token, ME) }))));
    for (const { caller, result } of results) {
      expect(result.body.data?.me).toEqual({ subject: caller.client.clientId, tenant: { id: caller.tenant.id, name: caller.tenant.name } });
    }
  });

  it('counts every client request against the rate limit, shared or not', async () => {
    const { token } = await tokenFor('Counted');
    const results = await Promise.all(Array.from({ length: 10 }, () => platform.query(token, ME)));
    const remaining = results.map((result) => Number(/"principal";r=(\d+)/.exec(result.headers.get('ratelimit') ?? '')?.[1]));
    expect(new Set(remaining).size).toBe(10);
  });
});
