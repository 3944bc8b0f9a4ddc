import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { verifyTelemetry } from '../../subgraphs/telemetry/verify';
import { ingestHarness, publish, storedCount, waitFor } from './harness';

const h = ingestHarness();
afterAll(() => h.close());

describe('tamper detection on stored readings', () => {
  it('reports a reading altered in the database after ingestion, and only that one', async () => {
    await h.startWorker();
    const device = await h.device(3);
    const sim = { deviceId: device.deviceId, region: h.region, channels: 3, dataKey: Buffer.from(device.dataKey, 'base64url'), bootSeq: 4, seq: 0 };
    const publisher = await h.publisher();
    const start = Math.floor(Date.now() / 1000 / 60) * 60 - 120;
    for (let i = 0; i < 12; i += 1) {
      const { payload, mac } = readingMessage(sim, start + i * 5);
      await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), payload, mac);
    }
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 12, '12 stored readings');
    const range = { deviceId: device.deviceId, from: new Date(start * 1000), to: new Date((start + 60) * 1000) };

    expect(await verifyTelemetry(h.pool, h.config.masterKey, range)).toEqual({ checked: 12, mismatches: [] });

    await h.pool.query('update telemetry.readings set e_real[1] = e_real[1] + 1000 where device_id = $1 and ts = to_timestamp($2)', [
      device.deviceId,
      start + 15,
    ]);
    await h.pool.query(
      "update telemetry.readings set mac = decode(repeat('00', 32), 'hex') where device_id = $1 and ts = to_timestamp($2)",
      [device.deviceId, start + 40],
    );
    const result = await verifyTelemetry(h.pool, h.config.masterKey, range);
    expect(result.checked).toBe(12);
    expect(result.mismatches).toEqual([
      { timestamp: new Date((start + 15) * 1000).toISOString(), duration: 5, reason: 'eReal' },
      { timestamp: new Date((start + 40) * 1000).toISOString(), duration: 5, reason: 'mac' },
    ]);
  });
});
