import { CONTEXT_HEADER, ContextTokens } from '../../lib/context-token';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { ingestHarness, publish, storedCount, waitFor, simulated } from '../ingest/harness';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf } from '../helpers/tenants';
import type { TestDevice } from '../helpers/devices';

const h = ingestHarness();
let platform: Platform;
let device: TestDevice;
let other: TestDevice;
let ownToken: string;
let otherToken: string;
const sent: { timestamp: number; eReal: number[]; duration: number }[] = [];
const start = Math.floor(Date.now() / 1000 / 300) * 300 - 900;

const READINGS = `query ($id: ID!, $from: DateTime!, $to: DateTime!, $granularity: Granularity) {
  device(id: $id) {
    id
    latestReading { timestamp duration channels { index eReal powerW } }
    readings(from: $from, to: $to, granularity: $granularity) { timestamp duration channels { index eReal powerW vRMS } }
  }
}`;

beforeAll(async () => {
  platform = await startPlatform();
  await h.startWorker();
  device = await h.device(6);
  other = await h.device(6);
  const scopes = ['fleet:read', 'telemetry:read'];
  const own = await clientOf(platform.pool, platform.config.masterKey, device.tenantId, scopes);
  const foreign = await clientOf(platform.pool, platform.config.masterKey, other.tenantId, scopes);
  ownToken = await clientCredentialsToken(platform.issuer.url, own.clientId, own.clientSecret, scopes.join(' '));
  otherToken = await clientCredentialsToken(platform.issuer.url, foreign.clientId, foreign.clientSecret, scopes.join(' '));

  const sim = simulated(device);
  const publisher = await h.publisher();
  for (let i = 0; i < 60; i += 1) {
    const { payload, mac } = readingMessage(sim, start + i * 5);
    const body = JSON.parse(payload.toString()) as { eReal: number[]; duration: number };
    sent.push({ timestamp: start + i * 5, eReal: body.eReal, duration: body.duration });
    await publish(publisher, telemetryTopic(device.region, device.deviceId, 'se'), payload, mac);
  }
  await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 60, '60 stored readings');
}, 60_000);

afterAll(async () => {
  await platform?.close();
  await h.close();
});

const window = (seconds: number) => ({ from: new Date(start * 1000).toISOString(), to: new Date((start + seconds) * 1000).toISOString() });

describe('telemetry through the gateway', () => {
  it('serves every published reading, the latest one and powerW = eReal / duration', async () => {
    const result = await platform.query(ownToken, READINGS, { id: device.deviceId, ...window(300), granularity: 'RAW' });
    expect(result.body.errors).toBeUndefined();
    const served = result.body.data!.device as {
      latestReading: { timestamp: string; channels: { eReal: number; powerW: number }[] };
      readings: { timestamp: string; duration: number; channels: { index: number; eReal: number; powerW: number }[] }[];
    };
    expect(served.readings).toHaveLength(60);
    expect(served.readings.map((r) => Date.parse(r.timestamp) / 1000)).toEqual(sent.map((r) => r.timestamp));
    served.readings.forEach((reading, i) => {
      expect(reading.channels.map((c) => c.eReal)).toEqual(sent[i]!.eReal);
      reading.channels.forEach((c) => expect(c.powerW).toBeCloseTo(c.eReal / reading.duration, 9));
    });
    expect(Date.parse(served.latestReading.timestamp) / 1000).toBe(sent[59]!.timestamp);
    expect(served.latestReading.channels.map((c) => c.eReal)).toEqual(sent[59]!.eReal);
  });

  it('sums energy exactly in the FIVE_MINUTES rollup and averages power over the bucket', async () => {
    const result = await platform.query(ownToken, READINGS, { id: device.deviceId, ...window(300), granularity: 'FIVE_MINUTES' });
    const [bucket] = (result.body.data!.device as { readings: { duration: number; channels: { eReal: number; powerW: number }[] }[] }).readings;
    const expected = sent[0]!.eReal.map((_, c) => sent.reduce((sum, r) => sum + r.eReal[c]!, 0));
    expect(bucket!.duration).toBe(300);
    expect(bucket!.channels.map((c) => c.eReal)).toEqual(expected);
    bucket!.channels.forEach((c, i) => expect(c.powerW).toBeCloseTo(expected[i]! / 300, 9));
  });

  it('refuses a window too wide for the granularity with BAD_USER_INPUT', async () => {
    const result = await platform.query(ownToken, READINGS, { id: device.deviceId, ...window(3 * 86_400), granularity: 'RAW' });
    expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors?.[0]?.message).toMatch(/window too wide/);
  });

  it("shows another tenant neither the device nor its readings", async () => {
    const result = await platform.query(otherToken, READINGS, { id: device.deviceId, ...window(300) });
    expect(result.body).toEqual({ data: { device: null } });
    const listed = await platform.query(otherToken, '{ devices(first: 500) { edges { node { id latestReading { timestamp } } } } }');
    expect(JSON.stringify(listed.body)).not.toContain(device.deviceId);
  });

  it("gives nothing even when the subgraph itself is asked for another tenant's device", async () => {
    const context = await new ContextTokens(platform.config.masterKey, platform.config.CONTEXT_TOKEN_TTL).sign({
      subject: 'probe', clientId: null, tenantId: other.tenantId, principalType: 'client', scopes: ['fleet:read', 'telemetry:read'],
    });
    const response = await fetch(platform.subgraphUrls.telemetry!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: context },
      body: JSON.stringify({
        query: `query ($r: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $r) { ... on Device { latestReading { timestamp } readings(from: $from, to: $to) { timestamp } } } }`,
        variables: { r: [{ __typename: 'Device', id: device.deviceId }], ...window(300) },
      }),
    });
    expect(await response.json()).toEqual({ data: { _entities: [{ latestReading: null, readings: [] }] } });
  });
});
