import { statementCount } from '../../lib/postgres';
import { createWorld, expectNoLeak, principalOf, startSubgraphs, type Subgraphs } from './harness';

const DEVICES = `query($first: Int, $after: String, $tenantId: ID) {
  devices(first: $first, after: $after, tenantId: $tenantId) {
    edges { cursor node { id serial model tenant { id } channels { id index category ctRating } site { name timezone } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type Connection = { edges: { cursor: string; node: { id: string; tenant: { id: string }; channels: unknown[]; site: unknown } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
const idsOf = (connection: Connection) => connection.edges.map((edge) => edge.node.id).sort();

let subgraphs: Subgraphs;
let world: Awaited<ReturnType<typeof createWorld>>;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  world = await createWorld(subgraphs.pool);
});
afterAll(() => subgraphs.stop());

const reader = (tenantId: string) => principalOf(tenantId, ['fleet:read']);

describe('fleet subgraph: tenant isolation', () => {
  it("lists exactly A's and A1's devices to A, and only B's to B", async () => {
    const asA = await subgraphs.as(reader(world.a.id), 'fleet', DEVICES, { first: 500 });
    expect(asA.body.errors).toBeUndefined();
    expect(idsOf(asA.body.data!.devices as Connection)).toEqual([...world.devices.a, ...world.devices.a1].sort());
    const asB = await subgraphs.as(reader(world.b.id), 'fleet', DEVICES, { first: 500 });
    expect(idsOf(asB.body.data!.devices as Connection)).toEqual([...world.devices.b].sort());
  });

  it('resolves channels (6 by default, 60 A consumption), the site and the tenant reference', async () => {
    const response = await subgraphs.as(reader(world.a.id), 'fleet', DEVICES, { tenantId: world.a.id });
    const node = (response.body.data!.devices as Connection).edges[0]!.node;
    expect(node.tenant).toEqual({ id: world.a.id });
    expect(node.site).toEqual({ name: 'Depot', timezone: 'Australia/Sydney' });
    expect(node.channels).toHaveLength(6);
    expect(node.channels[2]).toEqual({ id: `${node.id}:2`, index: 2, category: 'consumption', ctRating: 60 });
  });

  it("answers device(id) and devices(tenantId:) of another tenant exactly like a missing id", async () => {
    const device = `query($id: ID!) { device(id: $id) { id serial } }`;
    const foreign = await subgraphs.as(reader(world.b.id), 'fleet', device, { id: world.devices.a[0] });
    const missing = await subgraphs.as(reader(world.b.id), 'fleet', device, { id: 'D999999999999' });
    expect(foreign.body).toEqual({ data: { device: null } });
    expect(foreign.body).toEqual(missing.body);

    const byTenant = await subgraphs.as(reader(world.b.id), 'fleet', DEVICES, { tenantId: world.a.id });
    const byMissing = await subgraphs.as(reader(world.b.id), 'fleet', DEVICES, { tenantId: '00000000-0000-4000-8000-000000000000' });
    expect(byTenant.body).toEqual({ data: { devices: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } } });
    expect(byTenant.body).toEqual(byMissing.body);
  });

  it('does not let A1 see its parent\'s devices', async () => {
    const response = await subgraphs.as(reader(world.a1.id), 'fleet', DEVICES, { tenantId: world.a.id });
    expect((response.body.data!.devices as Connection).edges).toEqual([]);
    const own = await subgraphs.as(reader(world.a1.id), 'fleet', DEVICES, {});
    expect(idsOf(own.body.data!.devices as Connection)).toEqual([...world.devices.a1].sort());
  });

  it('pages with opaque cursors until the end', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const response = await subgraphs.as(reader(world.a.id), 'fleet', DEVICES, { first: 2, after });
      const connection = response.body.data!.devices as Connection;
      seen.push(...connection.edges.map((edge) => edge.node.id));
      expect(connection.pageInfo.endCursor).not.toMatch(/^D\d{12}$/);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen.sort()).toEqual([...world.devices.a, ...world.devices.a1].sort());
  });

  it('contributes Tenant.devices through _entities, limited to what the caller may read', async () => {
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tenant { id devices(first: 2) { edges { node { id } } pageInfo { hasNextPage } } } } }`;
    const reps = [world.a.id, world.b.id, world.a1.id].map((id) => ({ __typename: 'Tenant', id }));
    const response = await subgraphs.as(reader(world.a.id), 'fleet', query, { reps });
    const entities = response.body.data!._entities as { devices: Connection }[];
    expect(idsOf(entities[0]!.devices)).toEqual([...world.devices.a].sort().slice(0, 2));
    expect(entities[0]!.devices.pageInfo.hasNextPage).toBe(true);
    expect(entities[1]!.devices).toEqual({ edges: [], pageInfo: { hasNextPage: false } });
    expect(idsOf(entities[2]!.devices)).toEqual([...world.devices.a1].sort());
  });

  it('refuses device fields without fleet:read with UNAUTHORIZED_FIELD_OR_TYPE', async () => {
    const response = await subgraphs.as(principalOf(world.a.id, ['tenancy:read']), 'fleet', DEVICES, {});
    expect(response.body.data).toBeNull();
    expect(response.body.errors![0]!.extensions!.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect(response.body.errors![0]!.path).toEqual(['devices']);
  });
});

describe('fleet subgraph: bad input', () => {
  it.each([
    ['first: -1', DEVICES, { first: -1 }],
    ['first: 100000', DEVICES, { first: 100000 }],
    ['a malformed cursor', DEVICES, { after: 'not-a-cursor' }],
    ['a cursor of another kind', DEVICES, { after: Buffer.from('tenant:D000000000001').toString('base64url') }],
    ['a malformed tenant id', DEVICES, { tenantId: "1' or '1'='1" }],
    ['a malformed device id', 'query($id: ID!) { device(id: $id) { id } }', { id: 'D12' }],
  ])('%s is BAD_USER_INPUT without internals', async (_name, query, variables) => {
    const response = await subgraphs.as(reader(world.a.id), 'fleet', query, variables);
    expect(Object.values(response.body.data ?? {})).toEqual(query === DEVICES ? [] : [null]);
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expectNoLeak(response);
  });
});

describe('fleet subgraph: statements per request', () => {
  const LIST = `query($first: Int) { devices(first: $first) { edges { node { id channels { id ctRating } site { name } tenant { id devices(first: 5) { edges { node { id } } } } } } } }`;

  it('does not grow with the number of devices (no N+1)', async () => {
    const big = await createWorld(subgraphs.pool, { a: 120, a1: 80, b: 1 });
    const measure = async (first: number) => {
      const before = statementCount();
      const response = await subgraphs.as(reader(big.a.id), 'fleet', LIST, { first });
      expect(response.body.errors).toBeUndefined();
      expect((response.body.data!.devices as Connection).edges).toHaveLength(first);
      return statementCount() - before;
    };
    const forTwo = await measure(2);
    const forTwoHundred = await measure(200);
    expect(forTwoHundred).toBe(forTwo);
    // resolving the scope, then devices, channels, sites and Tenant.devices: one batched
    // read each, three round trips per scoped transaction
    expect(forTwoHundred).toBeLessThanOrEqual(13);
  });
});
