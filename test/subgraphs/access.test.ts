import crypto from 'node:crypto';
import { CONTEXT_HEADER, ContextTokens } from '../../lib/context-token';
import { createWorld, principalOf, startSubgraphs, type Subgraphs } from './harness';

let subgraphs: Subgraphs;
let world: Awaited<ReturnType<typeof createWorld>>;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  world = await createWorld(subgraphs.pool);
});
afterAll(() => subgraphs.stop());

const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Device { id serial } ... on Tenant { id } } }`;
const refused = { errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }] };

describe.each(['tenancy', 'fleet'] as const)('%s subgraph refuses calls without the gateway context', (name) => {
  const query = name === 'fleet' ? '{ devices { edges { node { id } } } }' : '{ tenants { id name } }';

  it('without a context token: 401 and no data', async () => {
    const response = await subgraphs.post(name, query, {}, {});
    expect(response.status).toBe(401);
    expect(response.body).toEqual(refused);
  });

  it('with a context token signed by another key: 401', async () => {
    const forged = await new ContextTokens(crypto.randomBytes(32), 60).sign(principalOf(world.a.id, ['fleet:read', 'tenancy:read']));
    const response = await subgraphs.post(name, query, {}, { [CONTEXT_HEADER]: forged });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(refused);
  });

  it('with a tampered context token: 401', async () => {
    const token = await subgraphs.tokens.sign(principalOf(world.a.id, ['fleet:read']));
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = Buffer.from(JSON.stringify({ ...claims, tid: world.b.id })).toString('base64url');
    const response = await subgraphs.post(name, query, {}, { [CONTEXT_HEADER]: `${header}.${tampered}.${signature}` });
    expect(response.status).toBe(401);
  });

  it('with only an end-user bearer token: 401 (Authorization is not identity here)', async () => {
    const bearer = await subgraphs.tokens.sign(principalOf(world.a.id, ['fleet:read', 'tenancy:read']));
    const response = await subgraphs.post(name, query, {}, { authorization: `Bearer ${bearer}` });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(refused);
  });

  it('_entities without context: no data', async () => {
    const reps = [{ __typename: 'Device', id: world.devices.a[0] }, { __typename: 'Tenant', id: world.a.id }];
    const response = await subgraphs.post(name, ENTITIES.replace(name === 'tenancy' ? '... on Device { id serial } ' : '', ''), { reps }, {});
    expect(response.status).toBe(401);
    expect(response.body).not.toHaveProperty('data');
    expect(response.text).not.toContain(world.a.id);
  });

  it('answers /healthz and /readyz (PostgreSQL checked) without a token', async () => {
    expect((await fetch(`${subgraphs.urls[name]}/healthz`)).status).toBe(200);
    const ready = await fetch(`${subgraphs.urls[name]}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: 'ok' } });
  });

  it('serves no landing page', async () => {
    const response = await fetch(`${subgraphs.urls[name]}/graphql`, {
      headers: { accept: 'text/html', [CONTEXT_HEADER]: await subgraphs.tokens.sign(principalOf(world.a.id, [])) },
    });
    expect(await response.text()).not.toMatch(/<html/i);
  });
});

describe('entity references with a valid context', () => {
  it('resolve only what the caller can see; the rest is null, like a missing id', async () => {
    const reps = [
      { __typename: 'Device', id: world.devices.a[0] },
      { __typename: 'Device', id: world.devices.b[0] },
      { __typename: 'Device', id: 'D000000000000' },
      { __typename: 'Device', id: 'garbage' },
    ];
    const response = await subgraphs.as(principalOf(world.b.id, ['fleet:read']), 'fleet', ENTITIES, { reps });
    expect(response.body.data!._entities).toEqual([null, { id: world.devices.b[0], serial: expect.any(String) }, null, null]);
  });
});
