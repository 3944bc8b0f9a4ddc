import { auditServer } from 'graphql-http';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices } from '../helpers/tenants';

let platform: Platform;
let token: string;

beforeAll(async () => {
  platform = await startPlatform({}, { production: true });
  const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Discovery', 1);
  const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, ['tenancy:read', 'fleet:read']);
  token = await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'tenancy:read fleet:read');
});

afterAll(() => platform?.close());

describe('discovery surface in production', () => {
  it('refuses introspection', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Device") { fields { name } } }']) {
      const result = await platform.query(token, query);
      expect(result.status).toBe(400);
      expect(result.body.data).toBeUndefined();
      expect(JSON.stringify(result.body)).not.toMatch(/"Device"|"fields"|serial/);
    }
  });

  it('never suggests field, type or argument names', async () => {
    for (const query of ['{ me { subjec } }', '{ devic(id: "D100000000001") { id } }', '{ devices(firs: 1) { edges { node { id } } } }', '{ ... on Quer { me { subject } } }']) {
      const result = await platform.query(token, query);
      expect(result.status).toBe(400);
      expect(JSON.stringify(result.body)).not.toMatch(/Did you mean/i);
    }
  });

  it('exposes neither _service nor _entities', async () => {
    const before = platform.subgraphCalls();
    for (const query of ['{ _service { sdl } }', '{ _entities(representations: [{ __typename: "Tenant", id: "x" }]) { __typename } }']) {
      const result = await platform.query(token, query);
      expect(result.status).toBe(400);
      expect(JSON.stringify(result.body)).not.toMatch(/Did you mean|sdl"|join__/);
    }
    expect(platform.subgraphCalls()).toBe(before);
  });

  it('answers without traces or extensions, with no-store, and serves no landing page', async () => {
    const result = await platform.query(token, '{ me { subject } }', undefined, { 'apollo-federation-include-trace': 'ftv1' });
    expect(result.status).toBe(200);
    expect(Object.keys(result.body)).toEqual(['data']);
    expect(result.headers.get('cache-control')).toBe('no-store');
    const page = await fetch(platform.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/<html|sandbox|embeddable/i);
  });

  it('passes the graphql-http server audit, except the checks that need introspection', async () => {
    // a principal of its own: the probes above already count against `token` at the defender
    const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Audit', 0);
    const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, ['tenancy:read']);
    const auditToken = await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'tenancy:read');
    const results = await auditServer({
      url: platform.gatewayUrl,
      fetchFn: (input: string | URL | Request, init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${auditToken}`);
        return fetch(input, { ...init, headers });
      },
    });
    // BF61 and 28B9 send `__type(...)` queries: introspection is off in production.
    const needIntrospection = ['BF61', '28B9'];
    const failed = results.filter((result) => result.status === 'error').map((result) => result.id);
    expect(failed.filter((id) => !needIntrospection.includes(id))).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });
});
