import { createWorld, expectNoLeak, principalOf, startSubgraphs, type Subgraphs } from './harness';

let subgraphs: Subgraphs;
let world: Awaited<ReturnType<typeof createWorld>>;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  world = await createWorld(subgraphs.pool, { a: 1, a1: 1, b: 1 });
});
afterAll(() => subgraphs.stop());

const TENANT = `query($id: ID!) { tenant(id: $id) { id name region parent { id name } children { id name } } }`;
const reader = (tenantId: string, clientId: string | null = null) => principalOf(tenantId, ['tenancy:read'], clientId);

describe('tenancy subgraph', () => {
  it('me: the caller, its scopes and its home tenant, for any authenticated caller', async () => {
    const principal = principalOf(world.a1.id, ['fleet:read'], 'partner-app');
    const response = await subgraphs.as(principal, 'tenancy', '{ me { subject clientId scopes tenant { id name region } } }');
    expect(response.body).toEqual({
      data: { me: { subject: principal.subject, clientId: 'partner-app', scopes: ['fleet:read'], tenant: { id: world.a1.id, name: world.a1.name, region: 'au' } } },
    });
  });

  it('shows the tree downward: A sees A1 as its child', async () => {
    const response = await subgraphs.as(reader(world.a.id), 'tenancy', TENANT, { id: world.a.id });
    expect(response.body.data!.tenant).toEqual({ id: world.a.id, name: world.a.name, region: 'au', parent: null, children: [{ id: world.a1.id, name: world.a1.name }] });
  });

  it("never upward: for A1, A's tenant is null and A1's parent is null", async () => {
    const parent = await subgraphs.as(reader(world.a1.id), 'tenancy', TENANT, { id: world.a.id });
    expect(parent.body).toEqual({ data: { tenant: null } });
    const own = await subgraphs.as(reader(world.a1.id), 'tenancy', TENANT, { id: world.a1.id });
    expect(own.body.data!.tenant).toMatchObject({ id: world.a1.id, parent: null, children: [] });
  });

  it('answers a foreign tenant id exactly like a missing one', async () => {
    const foreign = await subgraphs.as(reader(world.b.id), 'tenancy', TENANT, { id: world.a.id });
    const missing = await subgraphs.as(reader(world.b.id), 'tenancy', TENANT, { id: '00000000-0000-4000-8000-000000000000' });
    expect(foreign.body).toEqual({ data: { tenant: null } });
    expect(foreign.body).toEqual(missing.body);
  });

  it('tenants lists exactly the visible ones', async () => {
    const asA = await subgraphs.as(reader(world.a.id), 'tenancy', '{ tenants { id } }');
    expect((asA.body.data!.tenants as { id: string }[]).map((tenant) => tenant.id).sort()).toEqual([world.a.id, world.a1.id].sort());
    const asB = await subgraphs.as(reader(world.b.id), 'tenancy', '{ tenants { id } }');
    expect(asB.body.data!.tenants).toEqual([{ id: world.b.id }]);
  });

  it('requires tenancy:read for tenant and tenants', async () => {
    const response = await subgraphs.as(principalOf(world.a.id, ['fleet:read']), 'tenancy', TENANT, { id: world.a.id });
    expect(response.body.data).toEqual({ tenant: null });
    expect(response.body.errors![0]!.extensions!.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  });

  it('resolves Tenant references for any visible tenant, null for others', async () => {
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tenant { id name } } }`;
    const reps = [world.a1.id, world.b.id, 'not-a-uuid'].map((id) => ({ __typename: 'Tenant', id }));
    const response = await subgraphs.as(principalOf(world.a.id, ['fleet:read']), 'tenancy', query, { reps });
    expect(response.body.data!._entities).toEqual([{ id: world.a1.id, name: world.a1.name }, null, null]);
  });

  it('a malformed tenant id is BAD_USER_INPUT without internals', async () => {
    const response = await subgraphs.as(reader(world.a.id), 'tenancy', TENANT, { id: "x'; drop table tenancy.tenants; --" });
    expect(response.body.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'id' });
    expectNoLeak(response);
  });
});
