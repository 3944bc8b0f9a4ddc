import { statementCount } from '../../lib/postgres';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices } from '../helpers/tenants';

let platform: Platform;
let token: string;

const QUERY = `query ($first: Int) {
  devices(first: $first) { edges { node { id tenant { id name parent { id } } channels { index label ctRating } } } }
  tenants { id devices(first: 50) { edges { node { id channels { index } } } } }
}`;

beforeAll(async () => {
  platform = await startPlatform();
  const root = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Root', 20);
  // 200 devices over ten child tenants, so that tenant references and Tenant.devices batch across tenants.
  for (let i = 0; i < 9; i += 1) await tenantWithDevices(platform.pool, platform.config.masterKey, `Child${i}`, 20, root.id);
  const client = await clientOf(platform.pool, platform.config.masterKey, root.id, ['tenancy:read', 'fleet:read']);
  token = await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'tenancy:read fleet:read');
  // The gateway reads a client's settings (rate limits, trusted documents) on its first request.
  await platform.query(token, '{ me { subject } }');
});

afterAll(() => platform?.close());

async function statementsFor(first: number): Promise<{ statements: number; devices: number }> {
  const before = statementCount();
  const result = await platform.query(token, QUERY, { first });
  expect(result.body.errors).toBeUndefined();
  const devices = (result.body.data!.devices as { edges: unknown[] }).edges.length;
  return { statements: statementCount() - before, devices };
}

describe('batching', () => {
  it('lists 200 devices with their tenants and channels in a bounded number of SQL statements', async () => {
    const small = await statementsFor(10);
    const large = await statementsFor(200);
    expect(small.devices).toBe(10);
    expect(large.devices).toBe(200);
    // Same shape of query, twenty times the rows: the same statements (no N+1).
    expect(large.statements).toBe(small.statements);
    expect(large.statements).toBeLessThanOrEqual(40);
  });
});
