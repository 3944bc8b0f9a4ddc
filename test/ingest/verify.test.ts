import zlib from 'node:zlib';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import { verifyTelemetry } from '../../subgraphs/telemetry/verify';
import { ingestHarness, publish, storedCount, waitFor } from './harness';

const h = ingestHarness();
afterAll(() => h.close());

let worker: Awaited<ReturnType<typeof h.startWorker>> | undefined;

/** `count` signed 5-second readings of a new 3-channel device, published and stored; their range. */
async function storedReadings(count: number, bootSeq: number) {
  worker ??= await h.startWorker();
  const device = await h.device(3);
  const sim = { deviceId: device.deviceId, region: h.region, channels: 3, dataKey: Buffer.from(device.dataKey, 'base64url'), bootSeq, seq: 0 };
  const publisher = await h.publisher();
  const start = Math.floor(Date.now() / 1000 / 60) * 60 - 120;
  for (let i = 0; i < count; i += 1) {
    const { payload, mac } = readingMessage(sim, start + i * 5);
    await publish(publisher, telemetryTopic(h.region, device.deviceId, 'se'), payload, mac);
  }
  await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === count, `${count} stored readings`);
  return { device, start, range: { deviceId: device.deviceId, from: new Date(start * 1000), to: new Date((start + count * 5) * 1000) } };
}

describe('tamper detection on stored readings', () => {
  it('reports a reading altered in the database after ingestion, and only that one', async () => {
    const { device, start, range } = await storedReadings(12, 4);

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

  it('reads blobs as the previous version wrote them, and reports a blob that no longer unpacks', async () => {
    const { device, range } = await storedReadings(6, 1);
    const { rows } = await h.pool.query<{ id: string; blob: Buffer; codec: string }>(
      'select distinct a.id, a.blob, a.codec from telemetry.archive a join telemetry.readings r on r.archive_id = a.id where r.device_id = $1',
      [device.deviceId],
    );
    expect(rows.length).toBeGreaterThan(0);
    // long blobs are compressed by PostgreSQL
    const { rows: columns } = await h.pool.query("select attcompression from pg_attribute where attrelid = 'telemetry.archive'::regclass and attname = 'blob'");
    expect(columns).toEqual([{ attcompression: 'l' }]);
    // as a worker of the previous version wrote every blob: deflated, with no codec named
    for (const row of rows) {
      const raw = row.codec === 'none' ? row.blob : zlib.inflateRawSync(row.blob);
      await h.pool.query('update telemetry.archive set blob = $2, codec = default where id = $1', [row.id, zlib.deflateRawSync(raw)]);
    }
    expect(await verifyTelemetry(h.pool, h.config.masterKey, range)).toEqual({ checked: 6, mismatches: [] });

    await h.pool.query("update telemetry.archive set blob = '\\x00ff00ff' where id = any($1::int8[])", [rows.map((row) => row.id)]);
    const result = await verifyTelemetry(h.pool, h.config.masterKey, range);
    expect(result.checked).toBe(6);
    expect(result.mismatches.map((m) => m.reason)).toEqual(new Array(6).fill('archive-missing'));
  });
});
