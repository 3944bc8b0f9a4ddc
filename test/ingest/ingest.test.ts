import { tenantsScope } from '../../lib/tenant-scope';
import { readings } from '../../subgraphs/telemetry/store-read';
import { createTestTenant } from '../helpers/devices';
import { latest } from '../../subgraphs/telemetry/latest-store';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { ingestHarness, publish, storedCount, waitFor, simulated } from './harness';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';

const h = ingestHarness();
afterAll(() => h.close());

describe('ingestion of signed readings', () => {
  it('stores 60 signed readings, keeps the latest in Redis and sums the FIVE_MINUTES rollup exactly', async () => {
    const worker = await h.startWorker();
    const device = await h.device(6);
    const sim = simulated(device);
    const publisher = await h.publisher();
    // 60 readings of 5 s = 5 minutes, aligned on a 5-minute bucket in the recent past
    const start = Math.floor(Date.now() / 1000 / 300) * 300 - 600;
    const sent: { timestamp: number; eReal: number[] }[] = [];
    for (let i = 0; i < 60; i += 1) {
      const timestamp = start + i * 5;
      const { payload, mac } = readingMessage(sim, timestamp);
      sent.push({ timestamp, eReal: JSON.parse(payload.toString()).eReal });
      await publish(publisher, telemetryTopic(device.region, device.deviceId, 'se'), payload, mac);
    }
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 60, '60 stored readings');

    const [current] = await latest(h.redis, [device.deviceId]);
    expect(current!.reading!.timestamp).toBe(start + 59 * 5);
    expect(current!.reading!.eReal).toEqual(sent[59]!.eReal);
    expect(current!.lastSeenAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(current!.tenantId).toBe(device.tenantId);

    const { rows } = await h.pool.query<{ readings: number; e_real: number[]; duration: number }>(
      'select readings, e_real, duration from telemetry.rollups_five_minutes where device_id = $1 and bucket = to_timestamp($2)',
      [device.deviceId, start],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.readings).toBe(60);
    expect(rows[0]!.duration).toBe(300);
    const expected = sent[0]!.eReal.map((_, c) => sent.reduce((sum, r) => sum + r.eReal[c]!, 0));
    expect(rows[0]!.e_real).toEqual(expected);
    // HOUR as the subgraph reads it (a bucket marked stale is summed from FIVE_MINUTES)
    const [hour] = (await readings(h.pool, tenantsScope([device.tenantId]), [device.deviceId], new Date(start * 1000 - 3_600_000), new Date(start * 1000 + 3_600_000), 'HOUR')).get(device.deviceId)!;
    expect(hour!.eReal).toEqual(sent[0]!.eReal.map((_, c) => sent.reduce((sum, r) => sum + r.eReal[c]!, 0)));
    expect(hour!.duration).toBe(300);
    expect(await worker.metrics.registry.getSingleMetricAsString('cypernex_ingest_readings_stored_total')).toMatch(/ 60$/m);

    // the store the telemetry subgraph reads through: the tenant sees its device, another tenant nothing
    const from = new Date(start * 1000);
    const to = new Date((start + 300) * 1000);
    const own = tenantsScope([device.tenantId]);
    const rawRows = (await readings(h.pool, own, [device.deviceId], from, to, 'RAW')).get(device.deviceId)!;
    expect(rawRows).toHaveLength(60);
    expect(rawRows[59]!.eReal).toEqual(sent[59]!.eReal);
    const [bucket] = (await readings(h.pool, own, [device.deviceId], from, to, 'FIVE_MINUTES')).get(device.deviceId)!;
    expect(bucket!.eReal).toEqual(expected);
    expect(bucket!.duration).toBe(300);
    const stranger = tenantsScope([await createTestTenant(h.pool, h.region)]);
    expect((await readings(h.pool, stranger, [device.deviceId], from, to, 'RAW')).get(device.deviceId)).toEqual([]);
    expect((await readings(h.pool, stranger, [device.deviceId], from, to, 'HOUR')).get(device.deviceId)).toEqual([]);
  });
});
