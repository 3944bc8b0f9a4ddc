import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, grant, tenantTree, tenantWithDevices } from '../helpers/tenants';

const READ = 'tenancy:read fleet:read';
const DEVICES = `query ($first: Int, $after: String, $tenantId: ID) {
  devices(first: $first, after: $after, tenantId: $tenantId) {
    edges { cursor node { id serial tenant { id name } channels { index ctRating } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

let platform: Platform;
let tree: Awaited<ReturnType<typeof tenantTree>>;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  platform = await startPlatform();
  tree = await tenantTree(platform.pool, platform.config.masterKey, 3);
  const clientA = await clientOf(platform.pool, platform.config.masterKey, tree.a.id, READ.split(' '));
  const clientB = await clientOf(platform.pool, platform.config.masterKey, tree.b.id, READ.split(' '));
  tokenA = await clientCredentialsToken(platform.issuer.url, clientA.clientId, clientA.clientSecret, READ);
  tokenB = await clientCredentialsToken(platform.issuer.url, clientB.clientId, clientB.clientSecret, READ);
});

afterAll(() => platform?.close());

const ids = (result: { body: { data?: Record<string, unknown> | null } }) =>
  ((result.body.data?.devices as { edges: { node: { id: string } }[] }).edges ?? []).map((edge) => edge.node.id).sort();

describe('tenant isolation through the gateway', () => {
  it("lists exactly A's and A1's devices, with tenant names resolved through federation", async () => {
    const result = await platform.query(tokenA, DEVICES, { first: 500 });
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(ids(result)).toEqual([...tree.a.devices, ...tree.a1.devices].map((d) => d.id).sort());
    const edges = (result.body.data!.devices as { edges: { node: { id: string; tenant: { name: string }; channels: unknown[] } }[] }).edges;
    const names = Object.fromEntries(edges.map((edge) => [edge.node.id, edge.node.tenant.name]));
    for (const device of tree.a.devices) expect(names[device.id]).toBe(tree.a.name);
    for (const device of tree.a1.devices) expect(names[device.id]).toBe(tree.a1.name);
    expect(edges.every((edge) => edge.node.channels.length === 6)).toBe(true);
    const text = JSON.stringify(result.body);
    expect(text).not.toContain(tree.b.id);
    expect(text).not.toContain(tree.b.name);
  });

  it('shows B only its own devices', async () => {
    const result = await platform.query(tokenB, DEVICES, { first: 500 });
    expect(ids(result)).toEqual(tree.b.devices.map((d) => d.id).sort());
  });

  it("answers another tenant's ids exactly like missing ids", async () => {
    const foreignDevice = tree.b.devices[0]!.id;
    const missingDevice = 'D999999999999';
    const foreignTenant = tree.b.id;
    const missingTenant = '00000000-0000-4000-8000-000000000000';
    const ask = (deviceId: string, tenantId: string) =>
      platform.query(tokenA, `query ($d: ID!, $t: ID!) { device(id: $d) { id serial } tenant(id: $t) { id name } devices(tenantId: $t) { edges { node { id } } pageInfo { hasNextPage } } }`, { d: deviceId, t: tenantId });
    const foreign = await ask(foreignDevice, foreignTenant);
    const missing = await ask(missingDevice, missingTenant);
    expect(foreign.status).toBe(missing.status);
    expect(foreign.body).toEqual(missing.body);
    expect(foreign.body.data).toEqual({ device: null, tenant: null, devices: { edges: [], pageInfo: { hasNextPage: false } } });
  });

  it('shows the tree downward only: A1 cannot see its parent', async () => {
    const clientA1 = await clientOf(platform.pool, platform.config.masterKey, tree.a1.id, READ.split(' '));
    const token = await clientCredentialsToken(platform.issuer.url, clientA1.clientId, clientA1.clientSecret, READ);
    const result = await platform.query(token, `{ me { tenant { id parent { id } } } tenants { id } tenant(id: "${tree.a.id}") { id } }`);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data).toEqual({ me: { tenant: { id: tree.a1.id, parent: null } }, tenants: [{ id: tree.a1.id }], tenant: null });
    const fromA = await platform.query(tokenA, `{ tenant(id: "${tree.a.id}") { children { id name } } }`);
    expect(fromA.body.data).toEqual({ tenant: { children: [{ id: tree.a1.id, name: tree.a1.name }] } });
  });

  it('ignores identity headers sent by the client', async () => {
    const result = await platform.query(tokenA, DEVICES, { first: 500 }, {
      'x-cypernex-context': 'forged',
      'x-tenant-id': tree.b.id,
      'x-user-id': 'someone-else',
    });
    expect(ids(result)).toEqual([...tree.a.devices, ...tree.a1.devices].map((d) => d.id).sort());
  });

  it('lets a partner client see the tenant a grant names, with the granted scopes only', async () => {
    const partnerHome = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Partner', 0);
    const partner = await clientOf(platform.pool, platform.config.masterKey, partnerHome.id, READ.split(' '));
    await grant(platform.pool, partner.clientId, tree.b.id, ['fleet:read']);
    const token = await clientCredentialsToken(platform.issuer.url, partner.clientId, partner.clientSecret, READ);
    const result = await platform.query(token, DEVICES, { first: 500 });
    expect(ids(result)).toEqual(tree.b.devices.map((d) => d.id).sort());
    // tenancy:read was not granted on B: B is not listed among the partner's tenants.
    const tenants = await platform.query(token, '{ tenants { id } }');
    expect(tenants.body.data).toEqual({ tenants: [{ id: partnerHome.id }] });
  });

  it('pages with opaque cursors and never repeats a device', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const result = await platform.query(tokenA, DEVICES, { first: 2, after });
      const connection = result.body.data!.devices as { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      seen.push(...connection.edges.map((edge) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual([...tree.a.devices, ...tree.a1.devices].map((d) => d.id).sort());
  });
});
