import { createApiKey } from '../../auth/api-keys.store';
import { operatorScope } from '../../lib/tenant-scope';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices, type TestTenant } from '../helpers/tenants';

let platform: Platform;
let own: TestTenant;
let other: TestTenant;
let exportToken: string;
let readToken: string;
const bucket0 = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
const at = (minutes: number) => new Date(bucket0.getTime() + minutes * 60_000).toISOString();

async function rollup(deviceId: string, tenantId: string, minutes: number, eReal: number[]): Promise<void> {
  await platform.pool.query(
    `insert into telemetry.rollups_five_minutes (device_id, bucket, tenant_id, readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count)
     values ($1, $2, $3, 60, 300, $4, $5, $6, $7, 3000, 60)`,
    [deviceId, at(minutes), tenantId, eReal, eReal.map(() => 0), eReal.map(() => 240 * 60), eReal.map(() => 60)],
  );
}

const base = () => platform.gatewayUrl.replace(/\/graphql$/, '');
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base()}${path}`, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  platform = await startPlatform();
  own = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Export', 2);
  other = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Hidden', 1);
  for (const minutes of [0, 5, 10]) {
    await rollup(own.devices[0]!.id, own.id, minutes, [3000, -600, 0]);
    await rollup(own.devices[1]!.id, own.id, minutes, [1500, 300, 30]);
    await rollup(other.devices[0]!.id, other.id, minutes, [9999, 9999, 9999]);
  }
  const exporter = await clientOf(platform.pool, platform.config.masterKey, own.id, ['fleet:read', 'telemetry:read', 'telemetry:export']);
  exportToken = await clientCredentialsToken(platform.issuer.url, exporter.clientId, exporter.clientSecret, 'fleet:read telemetry:read telemetry:export');
  const reader = await clientOf(platform.pool, platform.config.masterKey, own.id, ['telemetry:read']);
  readToken = await clientCredentialsToken(platform.issuer.url, reader.clientId, reader.clientSecret, 'telemetry:read');
});

afterAll(() => platform?.close());

const window = `from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(15))}`;

describe('datasets for data-mining tools', () => {
  it('lists the datasets to a caller with telemetry:export, and none to others', async () => {
    const listed = (await (await get('/datasets', bearer(exportToken))).json()) as { datasets: { name: string; urls: { tab: string } }[] };
    expect(listed.datasets.map((d) => d.name)).toEqual(['readings-raw', 'energy-5min', 'energy-hourly', 'energy-daily']);
    expect(listed.datasets[1]!.urls.tab).toBe('/datasets/energy-5min.tab');
    expect(await (await get('/datasets', bearer(readToken))).json()).toEqual({ datasets: [] });
    expect((await get('/datasets')).status).toBe(401);
  });

  it("streams a CSV of the caller's tenants only, one row per time, device and channel", async () => {
    const response = await get(`/datasets/energy-5min.csv?${window}`, bearer(exportToken));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const lines = (await response.text()).trim().split('\n');
    expect(lines[0]).toBe('timestamp,device,channel,energy_j,power_w,v_rms,i_rms,duration_s');
    expect(lines).toHaveLength(1 + 3 * 2 * 3);
    expect(lines.join('\n')).not.toContain(other.devices[0]!.id);
    expect(lines).toContain(`${at(0).replace('.000Z', 'Z')},${own.devices[0]!.id},0,3000,10,240,1,300`);
  });

  it("serves Orange's .tab format with its three header rows", async () => {
    const text = await (await get(`/datasets/energy-5min.tab?${window}&devices=${own.devices[1]!.id}`, bearer(exportToken))).text();
    const [names, types, flags, ...rows] = text.trim().split('\n');
    expect(names!.split('\t')).toEqual(['timestamp', 'device', 'channel', 'energy_j', 'power_w', 'v_rms', 'i_rms', 'duration_s']);
    expect(types!.split('\t')).toEqual(['time', 'discrete', 'discrete', 'continuous', 'continuous', 'continuous', 'continuous', 'continuous']);
    expect(flags!.split('\t')[7]).toBe('meta');
    expect(rows).toHaveLength(3 * 3);
    expect(rows.every((row) => row.split('\t')[1] === own.devices[1]!.id)).toBe(true);
  });

  it('refuses without telemetry:export, bad parameters, unknown datasets and too wide windows', async () => {
    expect((await get(`/datasets/energy-5min.csv?${window}`, bearer(readToken))).status).toBe(403);
    expect((await get(`/datasets/energy-5min.csv?from=yesterday&to=today`, bearer(exportToken))).status).toBe(400);
    expect((await get(`/datasets/energy-5min.csv?${window}&devices=X1`, bearer(exportToken))).status).toBe(400);
    expect((await get(`/datasets/passwords.csv?${window}`, bearer(exportToken))).status).toBe(404);
    expect((await get(`/datasets/readings-raw.csv?from=2020-01-01&to=2020-03-01`, bearer(exportToken))).status).toBe(400);
  });

  it('honours an API key limited to one device', async () => {
    const { key } = await createApiKey(platform.pool, platform.config.masterKey, operatorScope, { tenantId: own.id, scopes: ['telemetry:export'], deviceIds: [own.devices[0]!.id] });
    const rows = (await (await get(`/datasets/energy-5min.csv?${window}`, { 'x-api-key': key })).text()).trim().split('\n').slice(1);
    expect(rows).toHaveLength(3 * 3);
    expect(rows.every((row) => row.split(',')[1] === own.devices[0]!.id)).toBe(true);
  });

  it('mints a signed link that works without headers and cannot be altered', async () => {
    const minted = await platform.query(exportToken, 'mutation ($from: DateTime!, $to: DateTime!) { createDatasetLink(name: "energy-5min", from: $from, to: $to) { url expiresAt } }', { from: at(0), to: at(15) });
    expect(minted.body.errors).toBeUndefined();
    const { url, expiresAt } = (minted.body.data as { createDatasetLink: { url: string; expiresAt: string } }).createDatasetLink;
    expect(new URL(url).pathname).toBe('/datasets/energy-5min.tab');
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const path = `${new URL(url).pathname}${new URL(url).search}`;
    const text = await (await get(path)).text();
    expect(text.trim().split('\n')).toHaveLength(3 + 3 * 2 * 3);
    expect(text).not.toContain(other.devices[0]!.id);
    expect((await get(path.replace('.tab', '.csv'))).status).toBe(403);
    const link = new URL(url).searchParams.get('link')!;
    const [header, payload, signature] = link.split('.');
    const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), tid: other.id })).toString('base64url');
    expect((await get(`/datasets/energy-5min.tab?link=${header}.${altered}.${signature}`)).status).toBe(401);
    const refused = await platform.query(readToken, 'mutation { createDatasetLink(name: "energy-5min", from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { url } }');
    expect(refused.body.errors?.[0]?.extensions?.code).toMatch(/UNAUTHORIZED_FIELD_OR_TYPE|FORBIDDEN/);
  });
});
