import { listDeadLetters } from '../../subgraphs/telemetry/dead-letters';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { readingMessage, signPayload } from '../../subgraphs/device/simulator/message';
import { createTestTenant, provisionTestDevice } from '../helpers/devices';
import { deadLetterReasons, ingestHarness, publish, storedCount, waitFor, simulated } from './harness';

const h = ingestHarness();
afterAll(() => h.close());

describe('messages the worker refuses', () => {
  it('dead-letters each forged or malformed message with its reason, stores none, and stores a valid reading after', async () => {
    const worker = await h.startWorker();
    const device = await h.device(6);
    const other = await h.device(6);
    const sim = simulated(device, { bootSeq: 7, seq: 100 });
    const key = sim.dataKey;
    const topic = telemetryTopic(device.region, device.deviceId, 'se');
    const publisher = await h.publisher();
    const now = Math.floor(Date.now() / 1000) - 60;
    const body = (overrides: Record<string, unknown> = {}) => {
      const base = JSON.parse(readingMessage({ ...sim }, now).payload.toString());
      return Buffer.from(JSON.stringify({ ...base, ...overrides }));
    };

    // a valid reading first, whose seq the replay below reuses
    const first = readingMessage(sim, now - 5);
    await publish(publisher, topic, first.payload, first.mac);
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 1, 'the first reading');
    // the same bytes again (a redelivery): neither stored twice nor dead-lettered
    await publish(publisher, topic, first.payload, first.mac);

    const forged = body({ seq: 500 });
    await publish(publisher, topic, forged, signPayload(key, Buffer.from('other bytes')));
    await publish(publisher, topic, body({ seq: 501 }), signPayload(Buffer.from(other.dataKey, 'base64url'), body({ seq: 501 })));
    const replay = body({ seq: sim.seq, timestamp: now - 3600 });
    await publish(publisher, topic, replay, signPayload(key, replay));
    const mismatch = body({ seq: 502, deviceId: other.deviceId });
    await publish(publisher, topic, mismatch, signPayload(key, mismatch));
    const fiveChannels = body({ seq: 503, eReal: [1, 2, 3, 4, 5] });
    await publish(publisher, topic, fiveChannels, signPayload(key, fiveChannels));
    const notJson = Buffer.from('{"v":1,"deviceId":');
    await publish(publisher, topic, notJson, signPayload(key, notJson));
    const infinite = Buffer.from(body({ seq: 504 }).toString().replace(/"frequency":[0-9.]+/, '"frequency":1e999'));
    await publish(publisher, topic, infinite, signPayload(key, infinite));
    await publish(publisher, topic, body({ seq: 505 }));
    const future = body({ seq: 506, timestamp: now + 86_400 });
    await publish(publisher, topic, future, signPayload(key, future));

    const valid = readingMessage(sim, now + 5);
    await publish(publisher, topic, valid.payload, valid.mac);

    const expected = ['bad-mac', 'bad-mac', 'channel-count', 'device-mismatch', 'future', 'invalid', 'no-mac', 'not-json', 'replay'];
    await waitFor(async () => (await deadLetterReasons(h.pool, device.deviceId)).length >= expected.length, 'nine dead letters');
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 2, 'the valid reading after');
    expect((await deadLetterReasons(h.pool, device.deviceId)).sort()).toEqual(expected);

    const { rows } = await h.pool.query<{ seq: string }>('select seq from telemetry.readings where device_id = $1 order by ts', [device.deviceId]);
    expect(rows.map((row) => Number(row.seq))).toEqual([JSON.parse(first.payload.toString()).seq, JSON.parse(valid.payload.toString()).seq]);
    expect(await worker.metrics.registry.getSingleMetricAsString('cypernex_ingest_duplicates_total')).toMatch(/ 1$/m);

    const { items } = await listDeadLetters(h.pool, { deviceId: device.deviceId, limit: 20 });
    expect(items).toHaveLength(9);
    expect(items[0]).toEqual(expect.objectContaining({ topic, deviceId: device.deviceId, reason: expect.any(String), receivedAt: expect.any(String) }));
    const stored = await h.pool.query<{ payload: Buffer }>("select payload from telemetry.dead_letters where device_id = $1 and reason = 'not-json'", [
      device.deviceId,
    ]);
    expect(stored.rows[0]!.payload.equals(notJson)).toBe(true);
  });

  it('dead-letters messages for unknown devices, devices of another region and oversized payloads without crashing', async () => {
    await h.startWorker({ clientId: `${h.region}-second`, group: `${h.region}-second` });
    const device = await h.device(3);
    const publisher = await h.publisher();
    const unknown = 'D999999999998';
    await publish(publisher, telemetryTopic(h.region, unknown, 'se'), '{}', signPayload(Buffer.alloc(32), Buffer.from('{}')));
    const big = Buffer.alloc(17 * 1024, 0x20);
    await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), big, signPayload(Buffer.from(device.dataKey, 'base64url'), big));
    await waitFor(async () => (await deadLetterReasons(h.pool, device.deviceId)).includes('too-large'), 'too-large dead letter');
    const unknownLetters = await listDeadLetters(h.pool, { deviceId: unknown });
    expect(unknownLetters.items.map((item) => item.reason)).toContain('unknown-device');

    // registered elsewhere: raw data stays in its region
    const tenantElsewhere = await createTestTenant(h.pool, 'zz');
    const elsewhere = await provisionTestDevice(h.pool, h.config.masterKey, { tenantId: tenantElsewhere, region: 'zz', channels: 3 });
    const sim = { deviceId: elsewhere.deviceId, region: h.region, channels: 3, dataKey: Buffer.from(elsewhere.dataKey, 'base64url'), bootSeq: 1, seq: 0 };
    const { payload, mac } = readingMessage(sim, Math.floor(Date.now() / 1000));
    await publish(publisher, telemetryTopic(h.region, elsewhere.deviceId, 'se'), payload, mac);
    await waitFor(async () => (await deadLetterReasons(h.pool, elsewhere.deviceId)).includes('wrong-region'), 'wrong-region dead letter');
    expect(await storedCount(h.pool, elsewhere.deviceId)).toBe(0);
  });
});
