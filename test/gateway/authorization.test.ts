import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices, type TestTenant } from '../helpers/tenants';

let platform: Platform;
let tenant: TestTenant;
let fleetOnly: string;
let withTelemetry: string;
let tenancyOnly: string;

beforeAll(async () => {
  platform = await startPlatform();
  tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Authz', 3);
  const all = ['tenancy:read', 'fleet:read', 'telemetry:read'];
  const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, all);
  const token = (scope: string) => clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, scope);
  fleetOnly = await token('tenancy:read fleet:read');
  withTelemetry = await token(all.join(' '));
  tenancyOnly = await token('tenancy:read');
});

afterAll(() => platform?.close());

const READINGS = `query Readings {
  devices(first: 5) {
    edges { node {
      id serial
      latestReading { timestamp }
      aliased: latestReading { duration }
      ...Reading
      ... on Device { inline: latestReading { timestamp } }
    } }
  }
}
fragment Reading on Device { viaFragment: latestReading { timestamp } }`;

const codes = (errors: { extensions?: Record<string, unknown> }[] | undefined) => (errors ?? []).map((error) => error.extensions?.code);

describe('field authorization at the gateway (Router semantics)', () => {
  it('removes latestReading without telemetry:read directly, by alias, by fragment and by inline fragment, and runs the rest', async () => {
    const telemetryBefore = platform.subgraphCalls('telemetry');
    const result = await platform.query(fleetOnly, READINGS);
    expect(result.status).toBe(200);
    const nodes = (result.body.data!.devices as { edges: { node: Record<string, unknown> }[] }).edges.map((edge) => edge.node);
    expect(nodes.map((node) => node.id).sort()).toEqual(tenant.devices.map((device) => device.id).sort());
    for (const node of nodes) {
      expect(node.serial).toEqual(expect.any(String));
      expect(node).toMatchObject({ latestReading: null, aliased: null, viaFragment: null, inline: null });
    }
    expect(codes(result.body.errors)).toEqual(Array(4).fill('UNAUTHORIZED_FIELD_OR_TYPE'));
    expect(result.body.errors!.map((error) => error.message)).toEqual(Array(4).fill('Unauthorized field or type'));
    expect(result.body.errors!.map((error) => error.path!.join('.')).sort()).toEqual(
      ['latestReading', 'aliased', 'viaFragment', 'inline'].map((key) => `devices.edges.@.node.${key}`).sort(),
    );
    // The removed field was never asked for: the telemetry subgraph saw no call.
    expect(platform.subgraphCalls('telemetry')).toBe(telemetryBefore);
  });

  it('removes readingSeries without telemetry:read, bubbling null up to the device as for any non-null field', async () => {
    const device = tenant.devices[0]!.id;
    const telemetryBefore = platform.subgraphCalls('telemetry');
    const query = `{ device(id: "${device}") { id readingSeries(from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z") { count timestamps } } }`;
    const result = await platform.query(fleetOnly, query);
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ device: null });
    expect(result.body.errors).toEqual([{ message: 'Unauthorized field or type', path: ['device', 'readingSeries'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
    expect(platform.subgraphCalls('telemetry')).toBe(telemetryBefore);
    const allowed = await platform.query(withTelemetry, query);
    expect(allowed.body).toEqual({ data: { device: { id: device, readingSeries: { count: 0, timestamps: [] } } } });
  });

  it('keeps the field for a token that has the scope, on the same operation (no shared plan)', async () => {
    for (const token of [withTelemetry, fleetOnly, withTelemetry]) {
      const result = await platform.query(token, READINGS);
      const expected = token === withTelemetry ? [] : Array(4).fill('UNAUTHORIZED_FIELD_OR_TYPE');
      expect(codes(result.body.errors)).toEqual(expected);
    }
  });

  it('returns null for a removed nullable root field next to the allowed ones', async () => {
    const device = tenant.devices[0]!.id;
    const result = await platform.query(tenancyOnly, `{ me { subject } d: device(id: "${device}") { id } }`);
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ me: { subject: expect.any(String) }, d: null });
    expect(result.body.errors).toEqual([{ message: 'Unauthorized field or type', path: ['d'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
  });

  it('bubbles null through non-null fields along an entity path, like GraphQL execution', async () => {
    const result = await platform.query(tenancyOnly, '{ me { subject tenant { name devices(first: 2) { edges { node { id } } } } } }');
    // Tenant.devices (fleet:read) is DeviceConnection!, Viewer.tenant is Tenant!, Query.me is Viewer!.
    expect(result.body.data).toBeNull();
    expect(result.body.errors?.map((error) => error.path)).toEqual([['me', 'tenant', 'devices']]);
  });

  it('calls no subgraph when nothing the caller may see is left', async () => {
    const before = platform.subgraphCalls();
    const result = await platform.query(tenancyOnly, '{ devices { edges { node { id } } } device(id: "D100000000001") { serial } }');
    expect(result.status).toBe(200);
    expect(result.body.data).toBeNull();
    expect(result.body.errors?.map((error) => error.path)).toEqual([['devices'], ['device']]);
    expect(platform.subgraphCalls()).toBe(before);
  });

  it('removes the parent of a selection that became empty, without an extra error', async () => {
    const result = await platform.query(fleetOnly, `{ me { subject } device(id: "${tenant.devices[0]!.id}") { latestReading { timestamp } } }`);
    expect(result.body.data).toEqual({ me: { subject: expect.any(String) }, device: null });
    expect(result.body.errors?.map((error) => error.path)).toEqual([['device', 'latestReading']]);
  });
});
