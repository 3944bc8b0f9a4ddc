import { createWorld, expectNoLeak, principalOf, startSubgraphs, type GraphQLResponse, type Subgraphs } from './harness';

/**
 * A subgraph runs a document on graphql-js the first time and compiled (graphql-jit) from
 * the second time on: whatever the caller gets must not depend on which one answered.
 */
const DEVICES = `query($first: Int) { devices(first: $first) { edges { node { id serial tenant { id } channels { index category ctRating } } } pageInfo { hasNextPage } } }`;
const TENANT = `query($id: ID!) { tenant(id: $id) { id name parent { id } } }`;

let subgraphs: Subgraphs;
let world: Awaited<ReturnType<typeof createWorld>>;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  world = await createWorld(subgraphs.pool);
});
afterAll(() => subgraphs.stop());

async function threeTimes(call: () => Promise<GraphQLResponse>): Promise<GraphQLResponse[]> {
  const responses: GraphQLResponse[] = [];
  for (let i = 0; i < 3; i += 1) responses.push(await call());
  return responses;
}

describe('subgraph execution: graphql-js first, compiled afterwards', () => {
  it('answers data identically', async () => {
    const responses = await threeTimes(() => subgraphs.as(principalOf(world.a.id, ['fleet:read']), 'fleet', DEVICES, { first: 2 }));
    for (const response of responses) expect(response.text).toBe(responses[0]!.text);
    const devices = responses[2]!.body.data!.devices as { edges: { node: { tenant: { id: string }; channels: unknown[] } }[]; pageInfo: { hasNextPage: boolean } };
    expect(devices.edges).toHaveLength(2);
    expect(devices.pageInfo.hasNextPage).toBe(true);
    expect(devices.edges[0]!.node.channels).toHaveLength(6);
  });

  it('keeps a resolver error its code, argument name, path and location', async () => {
    const responses = await threeTimes(() => subgraphs.as(principalOf(world.a.id, ['tenancy:read']), 'tenancy', TENANT, { id: 'not-a-uuid' }));
    for (const response of responses) {
      expect(response.body.data).toEqual({ tenant: null });
      expect(response.body.errors).toEqual([
        { message: expect.stringContaining('id'), locations: [{ line: 1, column: 19 }], path: ['tenant'], extensions: { code: 'BAD_USER_INPUT', argumentName: 'id' } },
      ]);
      expectNoLeak(response);
    }
    expect(responses[2]!.text).toBe(responses[0]!.text);
  });

  it('keeps a refused field UNAUTHORIZED_FIELD_OR_TYPE and the rest of the answer', async () => {
    const query = `query($id: ID!) { me { subject } tenant(id: $id) { id } }`;
    const responses = await threeTimes(() => subgraphs.as(principalOf(world.a.id, []), 'tenancy', query, { id: world.a.id }));
    for (const response of responses) {
      expect(response.body.data).toEqual({ me: { subject: expect.any(String) }, tenant: null });
      expect(response.body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([[['tenant'], 'UNAUTHORIZED_FIELD_OR_TYPE']]);
    }
  });

  it('refuses variables that do not coerce with 400 BAD_USER_INPUT every time', async () => {
    const responses = await threeTimes(() => subgraphs.as(principalOf(world.a.id, ['fleet:read']), 'fleet', DEVICES, { first: 'many' }));
    for (const response of responses) {
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});
