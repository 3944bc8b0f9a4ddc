import { CONTEXT_HEADER, ContextTokens } from '../../lib/context-token';
import { PACKED, SERIES_HEADER, seriesMarker } from '../../lib/series-wire';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { ingestHarness, publish, storedCount, waitFor, simulated } from '../ingest/harness';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf } from '../helpers/tenants';
import { provisionTestDevice, type TestDevice } from '../helpers/devices';

const h = ingestHarness();
let platform: Platform;
let device: TestDevice;
let other: TestDevice;
let ownToken: string;
let otherToken: string;
const sent: { timestamp: number; eReal: number[]; duration: number }[] = [];
const start = Math.floor(Date.now() / 1000 / 300) * 300 - 900;

const CHANNEL = 'index eReal eReactive vRMS iRMS powerW';
const deviceQuery = (...fields: string[]) => `query ($id: ID!, $from: DateTime!, $to: DateTime!, $granularity: Granularity) {
  device(id: $id) { ${fields.join('\n')} }
}`;
const SERIES = deviceQuery(`readingSeries(from: $from, to: $to, granularity: $granularity) { granularity count timestamps durations frequency channels { ${CHANNEL} } }`);
const BOTH = deviceQuery(
  `readings(from: $from, to: $to, granularity: $granularity) { timestamp duration frequency channels { ${CHANNEL} } }`,
  `readingSeries(from: $from, to: $to, granularity: $granularity) { granularity count timestamps durations frequency channels { ${CHANNEL} } }`,
);

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

const window = (seconds: number, from = start) => ({ from: new Date(from * 1000).toISOString(), to: new Date((from + seconds) * 1000).toISOString() });

type ServedReading = { timestamp: string; duration: number; frequency: number | null; channels: Record<string, number | null>[] };
type Quantity = 'eReal' | 'eReactive' | 'vRMS' | 'iRMS' | 'powerW';

/** `readings` as `readingSeries` should serve them: position i is reading i; a missing channel is null. */
function asSeries(granularity: string, readings: ServedReading[]) {
  const width = Math.max(0, ...readings.map((reading) => reading.channels.length));
  const column = (c: number, quantity: Quantity) => readings.map((reading) => reading.channels[c]?.[quantity] ?? null);
  return {
    granularity,
    count: readings.length,
    timestamps: readings.map((reading) => Date.parse(reading.timestamp) / 1000),
    durations: readings.map((reading) => reading.duration),
    frequency: readings.map((reading) => reading.frequency),
    channels: Array.from({ length: width }, (_, c) => ({
      index: c,
      ...(Object.fromEntries((['eReal', 'eReactive', 'vRMS', 'iRMS', 'powerW'] as const).map((quantity) => [quantity, column(c, quantity)])) as Record<Quantity, (number | null)[]>),
    })),
  };
}

async function bothForms(variables: Record<string, unknown>) {
  const result = await platform.query(ownToken, BOTH, { id: device.deviceId, ...variables });
  expect(result.body.errors).toBeUndefined();
  return result.body.data!.device as { readings: ServedReading[]; readingSeries: ReturnType<typeof asSeries> };
}

/**
 * A copy of the device's first stored reading at `offset` seconds later, with only its first
 * `channels` channels, stored for `target` (the device itself unless told).
 */
async function storeCopy(offset: number, channels: number, frequency: 'kept' | 'unknown', target = device.deviceId): Promise<void> {
  await h.pool.query(
    `insert into telemetry.readings (device_id, ts, duration, tenant_id, region, boot_seq, seq, frequency, e_real, e_reactive, v_rms, i_rms,
       received_at, mac, archive_id, archive_offset, archive_length)
     select $6, ts + make_interval(secs => $2), duration, tenant_id, region, boot_seq, seq + $2, case when $4 then frequency end,
       e_real[1:$3], e_reactive[1:$3], v_rms[1:$3], i_rms[1:$3], received_at, mac, archive_id, archive_offset, archive_length
     from telemetry.readings where device_id = $1 and ts = to_timestamp($5)`,
    [device.deviceId, offset, channels, frequency === 'kept', start, target],
  );
}

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

  it.each([
    ['RAW', 5, 60],
    ['FIFTEEN_MINUTES', 900, 1],
    ['HOUR', 3600, 1],
  ])('serves readingSeries with the values of readings, position by position (%s)', async (granularity, width, count) => {
    const bucketStart = Math.floor(start / width) * width;
    const { readings, readingSeries } = await bothForms({ ...window(granularity === 'RAW' ? 300 : width, bucketStart), granularity });
    expect(readingSeries.count).toBe(count);
    expect(readingSeries).toEqual(asSeries(granularity, readings));
  });

  it('serves each readingSeries column the same whichever of the others an operation asks for', async () => {
    const { readingSeries: all } = await bothForms({ ...window(300), granularity: 'FIVE_MINUTES' });
    const args = '(from: $from, to: $to, granularity: FIVE_MINUTES)';
    const query = `query ($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) {
        f: readingSeries${args} { frequency }
        v: readingSeries${args} { count channels { vRMS } }
        r: readingSeries${args} { ...Reactive }
      } }
      fragment Reactive on ReadingSeries { channels { index ... on ChannelSeries { eReactive powerW } } }`;
    const pick = (quantity: 'vRMS' | 'eReactive' | 'powerW') => all.channels.map((channel) => channel[quantity]);
    // Twice: the subgraph runs a document on graphql-js first and compiled from then on.
    for (let run = 0; run < 2; run += 1) {
      const result = await platform.query(ownToken, query, { id: device.deviceId, ...window(300) });
      expect(result.body.errors).toBeUndefined();
      const served = result.body.data!.device as { f: typeof all; v: typeof all; r: typeof all };
      expect(served.f).toEqual({ frequency: all.frequency });
      expect(served.v.channels.map((channel) => channel.vRMS)).toEqual(pick('vRMS'));
      expect(served.r.channels.map((channel) => channel.eReactive)).toEqual(pick('eReactive'));
      expect(served.r.channels.map((channel) => channel.powerW)).toEqual(pick('powerW'));
    }
  });

  it("serves each device of a page its own readingSeries", async () => {
    const second = await provisionTestDevice(h.pool, h.config.masterKey, { tenantId: device.tenantId, region: device.region });
    for (const offset of [0, 5, 10]) await storeCopy(offset, 6, 'kept', second.deviceId);
    const result = await platform.query(
      ownToken,
      `query ($from: DateTime!, $to: DateTime!) { devices(first: 10) { edges { node { id
        readings(from: $from, to: $to) { timestamp duration frequency channels { ${CHANNEL} } }
        readingSeries(from: $from, to: $to) { granularity count timestamps durations frequency channels { ${CHANNEL} } }
      } } } }`,
      window(300),
    );
    expect(result.body.errors).toBeUndefined();
    const nodes = (result.body.data!.devices as { edges: { node: { id: string; readings: ServedReading[]; readingSeries: unknown } }[] }).edges.map((edge) => edge.node);
    expect(nodes.map((node) => node.id).sort()).toEqual([device.deviceId, second.deviceId].sort());
    for (const node of nodes) expect(node.readingSeries).toEqual(asSeries('RAW', node.readings));
    expect(nodes.map((node) => node.readings.length).sort()).toEqual([3, 60]);
  });

  it('serves null in readingSeries where a reading lacks a channel or its frequency', async () => {
    const later = start + 7200;
    await storeCopy(7200, 6, 'unknown');
    await storeCopy(7205, 4, 'kept');
    const { readings, readingSeries } = await bothForms({ ...window(10, later), granularity: 'RAW' });
    expect(readings.map((reading) => reading.channels.length)).toEqual([6, 4]);
    expect(readingSeries).toEqual(asSeries('RAW', readings));
    expect(readingSeries.frequency[0]).toBeNull();
    expect(readingSeries.channels[5]).toMatchObject({ eReal: [readings[0]!.channels[5]!.eReal, null], powerW: [expect.any(Number), null] });
  });

  it('serves a raw window of two hours or more, read as two halves at once, as one', async () => {
    // SPLIT_RAW_WINDOW_MS: [from, mid) and [mid, to) on two connections; readings on both
    // sides of the middle, and right at it
    const from = start + 30_000;
    for (const offset of [0, 3595, 3600, 7195]) await storeCopy(30_000 + offset, 6, 'kept');
    const { readings, readingSeries } = await bothForms({ ...window(7200, from), granularity: 'RAW' });
    expect(readings.map((reading) => Date.parse(reading.timestamp) / 1000 - from)).toEqual([0, 3595, 3600, 7195]);
    expect(readingSeries).toEqual(asSeries('RAW', readings));

    // six channels before the middle, four after: each half aggregates, the two do not join
    const ragged = start + 40_000;
    await storeCopy(40_000, 6, 'kept');
    await storeCopy(40_000 + 5000, 4, 'kept');
    const both = await bothForms({ ...window(7200, ragged), granularity: 'RAW' });
    expect(both.readings.map((reading) => reading.channels.length)).toEqual([6, 4]);
    expect(both.readingSeries).toEqual(asSeries('RAW', both.readings));
    expect(both.readingSeries.channels[5]!.eReal).toEqual([both.readings[0]!.channels[5]!.eReal, null]);
  });

  it('reads rollup arrays that PostgreSQL flags as having NULLs without holding any', async () => {
    const bucket = start + 3 * 3600;
    const sliced = (values: number[]) => `(array[${values.join(', ')}, null]::float8[])[1:${values.length}]`;
    await h.pool.query(
      `insert into telemetry.rollups_five_minutes (device_id, bucket, tenant_id, readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count)
       values ($1, to_timestamp($2), $3, 2, 10, ${sliced([300, -20])}, ${sliced([5, 1])}, ${sliced([480, 481])}, ${sliced([2, 0.5])}, 100, 2)`,
      [device.deviceId, bucket, device.tenantId],
    );
    const { readings, readingSeries } = await bothForms({ ...window(300, bucket), granularity: 'FIVE_MINUTES' });
    expect(readings[0]!.channels).toEqual([
      { index: 0, eReal: 300, eReactive: 5, vRMS: 240, iRMS: 1, powerW: 30 },
      { index: 1, eReal: -20, eReactive: 1, vRMS: 240.5, iRMS: 0.25, powerW: -2 },
    ]);
    expect(readingSeries).toEqual(asSeries('FIVE_MINUTES', readings));
  });

  it('serves an empty window as empty columns', async () => {
    const { readingSeries } = await bothForms({ ...window(300, start - 86_400), granularity: 'RAW' });
    expect(readingSeries).toEqual({ granularity: 'RAW', count: 0, timestamps: [], durations: [], frequency: [], channels: [] });
  });

  it('refuses a readingSeries window too wide for the granularity with BAD_USER_INPUT', async () => {
    const result = await platform.query(ownToken, SERIES, { id: device.deviceId, ...window(367 * 86_400), granularity: 'HOUR' });
    expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors?.[0]?.message).toMatch(/window too wide for HOUR/);
  });

  it("shows another tenant neither the device nor its readings", async () => {
    const result = await platform.query(otherToken, READINGS, { id: device.deviceId, ...window(300) });
    expect(result.body).toEqual({ data: { device: null } });
    expect((await platform.query(otherToken, SERIES, { id: device.deviceId, ...window(300) })).body).toEqual({ data: { device: null } });
    const listed = await platform.query(otherToken, '{ devices(first: 500) { edges { node { id latestReading { timestamp } } } } }');
    expect(JSON.stringify(listed.body)).not.toContain(device.deviceId);
  });

  it('sends series to the gateway packed only when it asks, and the client gets the arrays either way', async () => {
    const context = await new ContextTokens(platform.config.masterKey, platform.config.CONTEXT_TOKEN_TTL).sign({
      subject: 'probe', clientId: null, tenantId: device.tenantId, principalType: 'client', scopes: ['fleet:read', 'telemetry:read'],
    });
    const ask = async (headers: Record<string, string>) => {
      const response = await fetch(platform.subgraphUrls.telemetry!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: context, ...headers },
        body: JSON.stringify({
          query: `query ($r: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $r) { ... on Device { readingSeries(from: $from, to: $to) { timestamps channels { powerW } } } } }`,
          variables: { r: [{ __typename: 'Device', id: device.deviceId }], ...window(300) },
        }),
      });
      return ((await response.json()) as { data: { _entities: { readingSeries: { timestamps: unknown; channels: { powerW: unknown }[] } }[] } }).data._entities[0]!.readingSeries;
    };
    const plain = await ask({});
    const packed = await ask({ [SERIES_HEADER]: PACKED });
    const marker = seriesMarker(platform.config.masterKey);
    expect(plain.timestamps).toEqual(sent.map((r) => r.timestamp));
    expect(packed.timestamps).toBe(marker + JSON.stringify(plain.timestamps));
    expect(packed.channels[0]!.powerW).toBe(marker + JSON.stringify(plain.channels[0]!.powerW));
    const served = await platform.query(ownToken, SERIES, { id: device.deviceId, ...window(300), granularity: 'RAW' });
    expect((served.body.data!.device as { readingSeries: { timestamps: number[] } }).readingSeries.timestamps).toEqual(plain.timestamps);
  });

  it("gives nothing even when the subgraph itself is asked for another tenant's device", async () => {
    const context = await new ContextTokens(platform.config.masterKey, platform.config.CONTEXT_TOKEN_TTL).sign({
      subject: 'probe', clientId: null, tenantId: other.tenantId, principalType: 'client', scopes: ['fleet:read', 'telemetry:read'],
    });
    const response = await fetch(platform.subgraphUrls.telemetry!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: context },
      body: JSON.stringify({
        query: `query ($r: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $r) { ... on Device {
          latestReading { timestamp } readings(from: $from, to: $to) { timestamp } readingSeries(from: $from, to: $to) { count timestamps channels { eReal } } } } }`,
        variables: { r: [{ __typename: 'Device', id: device.deviceId }], ...window(300) },
      }),
    });
    expect(await response.json()).toEqual({ data: { _entities: [{ latestReading: null, readings: [], readingSeries: { count: 0, timestamps: [], channels: [] } }] } });
  });
});
