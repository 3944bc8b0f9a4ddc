import { macOf } from '../../subgraphs/device/ingest/mac';
import { acceptReading, leExtras } from '../../subgraphs/device/ingest/reading-schema';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { readingMessage } from '../../subgraphs/device/simulator/message';
import type { IncomingReading } from '../../subgraphs/telemetry/reading';
import { foldRollups, refreshRollups } from '../../subgraphs/telemetry/rollup-fold';
import { PENDING_VALUES, currentRollup, pendingValueColumns } from '../../subgraphs/telemetry/rollups';
import { storedMarks, writeBatch } from '../../subgraphs/telemetry/store-write';
import { verifyTelemetry } from '../../subgraphs/telemetry/verify';
import type { TestDevice } from '../helpers/devices';
import { ingestHarness, simulated } from './harness';

/** A device's HOUR rows as reads see them (rollups.ts currentRollup). */
const currentHour = currentRollup('HOUR', { devices: 'r.device_id = $1', from: "'-infinity'::timestamptz", to: "'infinity'::timestamptz" });

const h = ingestHarness();
afterAll(() => h.close());

/** What the worker hands the writer for a checked message (check-message.ts). */
function incoming(device: TestDevice, payload: Buffer, kind: 'se' | 'le', fresh = true): IncomingReading {
  const body = acceptReading(JSON.parse(payload.toString()));
  if (!body) throw new Error('test: the payload does not pass the worker checks');
  return {
    deviceId: device.deviceId,
    tenantId: device.tenantId,
    region: device.region,
    bootSeq: body.bootSeq,
    seq: body.seq,
    timestamp: body.timestamp,
    duration: body.duration,
    frequency: body.frequency,
    eReal: body.eReal,
    eReactive: body.eReactive,
    vRMS: body.vRMS,
    iRMS: body.iRMS,
    ...(kind === 'le' ? { extra: leExtras(body) } : {}),
    topic: telemetryTopic(device.region, device.deviceId, kind),
    receivedAt: new Date(Date.now() - 1234),
    payload,
    mac: macOf(Buffer.from(device.dataKey, 'base64url'), payload),
    fresh,
  };
}

/** A signed 5-minute reading with the `le` extras (and values that need all of a double). */
function leReading(device: TestDevice, seq: number, timestamp: number): Buffer {
  const values = (base: number) => Array.from({ length: device.channels }, (_, c) => base + c + 0.1 + 1e-9 * (seq % 997));
  return Buffer.from(
    JSON.stringify({
      v: 1, deviceId: device.deviceId, bootSeq: 2, seq, timestamp, duration: 300, frequency: 49.987654321,
      eReal: values(-300_000), eReactive: values(1000), vRMS: values(230), iRMS: values(0.001),
      eRealPositive: values(10), eRealNegative: values(-10), eReactivePositive: values(5), eReactiveNegative: values(-5),
      vRMSMin: values(228), vRMSMax: values(232), iRMSMin: values(0), iRMSMax: values(3),
    }),
  );
}

async function storedRows(deviceId: string) {
  const { rows } = await h.pool.query(
    `select extract(epoch from ts)::int8 as ts, duration, tenant_id, region, boot_seq, seq, frequency, e_real, e_reactive, v_rms, i_rms, extra,
       received_at, mac, archive_offset, archive_length
     from telemetry.readings where device_id = $1 order by ts, duration`,
    [deviceId],
  );
  return rows;
}

async function pendingReadings(deviceId: string): Promise<number> {
  const { rows } = await h.pool.query<{ n: number }>(
    `select (select coalesce(sum(readings), 0) from telemetry.rollup_pending where device_id = $1)
       + (select coalesce(sum(readings), 0) from telemetry.rollups_five_minutes where device_id = $1) as n`,
    [deviceId],
  );
  return Number(rows[0]!.n);
}

describe('the batch writer', () => {
  it('archives a long blob as it is, compressed by PostgreSQL, and a short one deflated; both verify', async () => {
    const device = await h.device(6);
    const start = Math.floor(Date.now() / 1000 / 300) * 300 - 7200;
    const sim = simulated(device!);
    const readings = Array.from({ length: 12 }, (_, i) => incoming(device!, readingMessage(sim, start + i * 5).payload, 'se'));
    // twelve records (~3.5 KB) make one long blob; two (~600 bytes) a short one
    expect(await writeBatch(h.pool, readings.slice(0, 10), [], { deferRollups: true })).toEqual(Array(10).fill('stored'));
    expect(await writeBatch(h.pool, readings.slice(10), [], { deferRollups: true })).toEqual(Array(2).fill('stored'));
    const { rows } = await h.pool.query<{ messages: number; codec: string; compression: string | null; length: number }>(
      `select messages, codec, pg_column_compression(blob) as compression, length(blob) as length from telemetry.archive
       where id in (select archive_id from telemetry.readings where device_id = $1) order by messages desc`,
      [device!.deviceId],
    );
    expect(rows).toEqual([
      { messages: 10, codec: 'none', compression: 'lz4', length: expect.any(Number) },
      { messages: 2, codec: 'deflate-raw', compression: null, length: expect.any(Number) },
    ]);
    const raw = readings.slice(0, 10).reduce((sum, r) => sum + r.payload.length + 32, 0);
    expect(rows[0]!.length).toBe(raw);
    const range = { deviceId: device!.deviceId, from: new Date((start - 1) * 1000), to: new Date((start + 60) * 1000) };
    expect(await verifyTelemetry(h.pool, h.config.masterKey, range)).toEqual({ checked: 12, mismatches: [] });
  });

  it('stores the same rows by direct binary COPY (parked rollups) as by the staged path, every column exact', async () => {
    const [direct, staged, stagedParked] = [await h.device(4), await h.device(4), await h.device(4)];
    const start = Math.floor(Date.now() / 1000 / 300) * 300 - 3600;
    const batch = (device: TestDevice, fresh = true) => {
      const sim = simulated(device, { bootSeq: 7, seq: 2 ** 40 });
      const readings = Array.from({ length: 5 }, (_, i) => incoming(device, readingMessage(sim, start + i * 5).payload, 'se', fresh));
      readings.push(incoming(device, leReading(device, 2 ** 40 + 10, start), 'le', fresh));
      return readings;
    };
    const directBatch = batch(direct!);
    const stagedBatch = batch(staged!);
    // not above the high-water mark: the staged path, its deltas parked by SQL (pendingInsert)
    const stagedParkedBatch = batch(stagedParked!, false);
    expect(await writeBatch(h.pool, directBatch, [], { deferRollups: true })).toEqual(Array(6).fill('stored'));
    expect(await writeBatch(h.pool, stagedBatch, [], { deferRollups: false })).toEqual(Array(6).fill('stored'));
    expect(await writeBatch(h.pool, stagedParkedBatch, [], { deferRollups: true })).toEqual(Array(6).fill('stored'));

    // every column exactly what the worker handed over, on either path
    const expected = (readings: IncomingReading[]) =>
      [...readings]
        .sort((a, b) => a.timestamp - b.timestamp || a.duration - b.duration)
        .map((r) => ({
          ts: String(r.timestamp),
          duration: r.duration,
          tenant_id: r.tenantId,
          region: r.region,
          boot_seq: String(r.bootSeq),
          seq: String(r.seq),
          frequency: r.frequency,
          e_real: r.eReal,
          e_reactive: r.eReactive,
          v_rms: r.vRMS,
          i_rms: r.iRMS,
          extra: r.extra ?? null,
          received_at: r.receivedAt,
          mac: r.mac,
          archive_offset: expect.any(Number),
          archive_length: r.payload.length,
        }));
    expect(await storedRows(direct!.deviceId)).toEqual(expected(directBatch));
    expect(await storedRows(staged!.deviceId)).toEqual(expected(stagedBatch));
    expect(directBatch[5]!.extra).toMatchObject({ vRMSMax: expect.any(Array) });
    // the archive pointers hold: every stored reading verifies against its signed bytes
    const range = (device: TestDevice) => ({ deviceId: device.deviceId, from: new Date((start - 1) * 1000), to: new Date((start + 600) * 1000) });
    expect(await verifyTelemetry(h.pool, h.config.masterKey, range(direct!))).toEqual({ checked: 6, mismatches: [] });
    expect(await verifyTelemetry(h.pool, h.config.masterKey, range(staged!))).toEqual({ checked: 6, mismatches: [] });

    // both paths park a delta per reading: its values a column per channel, NULL beyond the four
    const parkedDeltas = async (deviceId: string) =>
      (
        await h.pool.query(
          `select extract(epoch from bucket)::int8 as ts, readings, duration, channels, ${PENDING_VALUES.flatMap(pendingValueColumns).join(', ')}, frequency_sum, frequency_count
           from telemetry.rollup_pending where device_id = $1 order by bucket, duration`,
          [deviceId],
        )
      ).rows;
    const expectedDeltas = (readings: IncomingReading[]) =>
      [...readings]
        .sort((a, b) => a.timestamp - b.timestamp || a.duration - b.duration)
        .map((r) => {
          const values = [r.eReal, r.eReactive, r.vRMS, r.iRMS].flatMap((channels, n) =>
            pendingValueColumns(PENDING_VALUES[n]!).map((column, c) => [column, c < channels.length ? channels[c] : null]),
          );
          return { ts: String(r.timestamp), readings: 1, duration: r.duration, channels: 4, ...Object.fromEntries(values), frequency_sum: r.frequency, frequency_count: 1 };
        });
    expect(await parkedDeltas(direct!.deviceId)).toEqual(expectedDeltas(directBatch));
    expect(await parkedDeltas(stagedParked!.deviceId)).toEqual(expectedDeltas(stagedParkedBatch));

    // the parked deltas fold into the same rollups as the staged path's upserts
    expect(await pendingReadings(direct!.deviceId)).toBe(6);
    await foldRollups(h.pool);
    const sums = (readings: IncomingReading[], pick: (r: IncomingReading) => number[]) => pick(readings[0]!).map((_, c) => readings.reduce((sum, r) => sum + pick(r)[c]!, 0));
    for (const [device, readings] of [[direct!, directBatch], [staged!, stagedBatch], [stagedParked!, stagedParkedBatch]] as const) {
      const { rows } = await h.pool.query(`select readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count from (${currentHour}) r`, [device.deviceId]);
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row).toMatchObject({ readings: 6, duration: 325, frequency_count: 6 });
      expect(row.frequency_sum).toBeCloseTo(readings.reduce((sum, r) => sum + r.frequency!, 0), 9);
      const columns = [['e_real', (r: IncomingReading) => r.eReal], ['e_reactive', (r: IncomingReading) => r.eReactive], ['v_rms_sum', (r: IncomingReading) => r.vRMS], ['i_rms_sum', (r: IncomingReading) => r.iRMS]] as const;
      for (const [column, pick] of columns) {
        expect(row[column]).toHaveLength(4);
        sums(readings, pick).forEach((sum, c) => expect(row[column][c]).toBeCloseTo(sum, 6));
      }
    }
  });

  it('falls back to the staged path when a reading it took for new is stored already: duplicates, replays and the rest each get their outcome', async () => {
    const device = await h.device(2);
    const sim = simulated(device, { bootSeq: 1, seq: 0 });
    const start = Math.floor(Date.now() / 1000 / 300) * 300 - 1800;
    const first = [0, 1, 2].map((i) => incoming(device, readingMessage(sim, start + i * 5).payload, 'se'));
    expect(await writeBatch(h.pool, first, [], { deferRollups: true })).toEqual(['stored', 'stored', 'stored']);

    // as another worker would see a redelivery: above its own high-water mark, so fresh
    const redelivered = incoming(device, first[0]!.payload, 'se');
    const forged = { ...sim, seq: 100 };
    const conflicting = incoming(device, readingMessage(forged, start + 5).payload, 'se');
    const later = [3, 4].map((i) => incoming(device, readingMessage(sim, start + i * 5).payload, 'se'));
    const outcomes = await writeBatch(h.pool, [redelivered, ...later, conflicting], [], { deferRollups: true });
    expect(outcomes).toEqual(['duplicate', 'stored', 'stored', 'replay']);

    expect((await storedRows(device.deviceId)).map((row) => Number(row.ts) - start)).toEqual([0, 5, 10, 15, 20]);
    expect(await pendingReadings(device.deviceId)).toBe(5);
    const { rows } = await h.pool.query<{ reason: string }>('select reason from telemetry.dead_letters where device_id = $1', [device.deviceId]);
    expect(rows.map((row) => row.reason)).toEqual(['replay']);
  });

  it('looks a (bootSeq, seq) up wherever its sums are (parked, folded, upserted by a small batch) and reports each device its stored high-water mark', async () => {
    const [parked, small, empty] = [await h.device(2), await h.device(2), await h.device(2)];
    const start = Math.floor(Date.now() / 1000 / 300) * 300 - 3000;
    const sim = simulated(parked, { bootSeq: 4, seq: 0 });
    const first = [0, 1, 2].map((i) => incoming(parked, readingMessage(sim, start + i * 5).payload, 'se'));
    expect(await writeBatch(h.pool, first, [], { deferRollups: true })).toEqual(['stored', 'stored', 'stored']);
    const smallSim = simulated(small, { bootSeq: 9, seq: 0 });
    const smallFirst = [0, 1].map((i) => incoming(small, readingMessage(smallSim, start + i * 5).payload, 'se'));
    // a small batch upserts FIVE_MINUTES at once, its (bootSeq, seq) range with it
    expect(await writeBatch(h.pool, smallFirst, [], { deferRollups: false })).toEqual(['stored', 'stored']);

    // what a worker loads before it subscribes: parked, upserted, nothing stored
    const loaded = await storedMarks(h.pool, '+');
    expect([parked, small, empty].map((device) => loaded.get(device.deviceId))).toEqual([{ bootSeq: 4, seq: 3 }, { bootSeq: 9, seq: 2 }, null]);

    // as a worker that does not know the marks (a device registered since it started) hands them over: not fresh
    const suspect = (device: TestDevice, payload: Buffer) => incoming(device, payload, 'se', false);
    const lookUp = async (readings: IncomingReading[]) => {
      const marks = new Map();
      const outcomes = await writeBatch(h.pool, readings, [], { deferRollups: true, marks });
      return { outcomes, marks: Object.fromEntries(marks) };
    };
    // seq 2 (parked, not folded) again with other content; seq 3 redelivered; seq 50 new; seq 1
    // of the small batch's device again; a device with nothing stored
    const emptySim = simulated(empty, { bootSeq: 0, seq: 6 });
    expect(
      await lookUp([
        suspect(parked, readingMessage({ ...sim, seq: 1 }, start + 100).payload),
        suspect(parked, first[2]!.payload),
        suspect(parked, readingMessage({ ...sim, seq: 49 }, start + 200).payload),
        suspect(small, readingMessage({ ...smallSim, seq: 0 }, start + 100).payload),
        suspect(empty, readingMessage(emptySim, start).payload),
      ]),
    ).toEqual({
      outcomes: ['replay', 'duplicate', 'stored', 'replay', 'stored'],
      // what was stored before the batch (the worker then settles the batch's stored pairs too)
      marks: { [parked.deviceId]: { bootSeq: 4, seq: 3 }, [small.deviceId]: { bootSeq: 9, seq: 2 }, [empty.deviceId]: null },
    });

    // once folded, FIVE_MINUTES holds the range, and the look-up finds the readings through it
    await foldRollups(h.pool);
    expect(await pendingReadings(parked.deviceId)).toBe(4);
    const { rows: ranges } = await h.pool.query('select seq_low, seq_high from telemetry.rollups_five_minutes where device_id = $1', [parked.deviceId]);
    expect(ranges).toEqual([{ seq_low: ['4', '1'], seq_high: ['4', '50'] }]);
    const { rows: parkedLeft } = await h.pool.query('select count(*)::int as n from telemetry.rollup_pending where device_id = $1', [parked.deviceId]);
    expect(parkedLeft).toEqual([{ n: 0 }]);
    expect(
      await lookUp([
        suspect(parked, readingMessage({ ...sim, seq: 0 }, start + 250).payload),
        suspect(parked, first[1]!.payload),
        suspect(parked, readingMessage({ ...sim, seq: 10 }, start + 55).payload),
        suspect(empty, readingMessage({ ...emptySim, seq: 6 }, start + 5).payload),
      ]),
    ).toEqual({
      outcomes: ['replay', 'duplicate', 'stored', 'replay'],
      marks: { [parked.deviceId]: { bootSeq: 4, seq: 50 }, [empty.deviceId]: { bootSeq: 0, seq: 7 } },
    });
    expect((await storedRows(parked.deviceId)).map((row) => Number(row.seq))).toEqual([1, 2, 3, 11, 50]);

    // the hours recomputed (as once they are over): HOUR holds the range, the marks are gone,
    // and the look-up finds folded readings through the hours' index
    await refreshRollups(h.pool, { graceMs: -2 * 86_400_000, budgetMs: 60_000 });
    const { rows: hours } = await h.pool.query('select device_id, seq_low, seq_high from telemetry.rollups_hour where device_id = any($1) order by seq_low', [
      [parked.deviceId, small.deviceId],
    ]);
    expect(hours).toEqual([
      { device_id: parked.deviceId, seq_low: ['4', '1'], seq_high: ['4', '50'] },
      { device_id: small.deviceId, seq_low: ['9', '1'], seq_high: ['9', '2'] },
    ]);
    const { rows: marked } = await h.pool.query("select count(*)::int as n from telemetry.rollup_stale where granularity = 'HOUR'");
    expect(marked).toEqual([{ n: 0 }]);
    expect(
      await lookUp([
        suspect(parked, readingMessage({ ...sim, seq: 2 }, start + 260).payload),
        suspect(parked, readingMessage({ ...sim, seq: 10 }, start + 270).payload),
        suspect(small, smallFirst[1]!.payload),
      ]),
    ).toEqual({
      outcomes: ['replay', 'replay', 'duplicate'],
      marks: { [parked.deviceId]: { bootSeq: 4, seq: 50 }, [small.deviceId]: { bootSeq: 9, seq: 2 } },
    });
    const reloaded = await storedMarks(h.pool, '+');
    expect([parked, small, empty].map((device) => reloaded.get(device.deviceId))).toEqual([{ bootSeq: 4, seq: 50 }, { bootSeq: 9, seq: 2 }, { bootSeq: 0, seq: 7 }]);

    const { rows } = await h.pool.query<{ reason: string; detail: string }>('select reason, detail from telemetry.dead_letters where device_id = any($1) order by id', [
      [parked.deviceId, small.deviceId, empty.deviceId],
    ]);
    expect(rows).toEqual([
      { reason: 'replay', detail: 'bootSeq 4 seq 2 was already stored with other content' },
      { reason: 'replay', detail: 'bootSeq 9 seq 1 was already stored with other content' },
      { reason: 'replay', detail: 'bootSeq 4 seq 1 was already stored with other content' },
      { reason: 'replay', detail: 'bootSeq 0 seq 7 was already stored with other content' },
      { reason: 'replay', detail: 'bootSeq 4 seq 3 was already stored with other content' },
      { reason: 'replay', detail: 'bootSeq 4 seq 11 was already stored with other content' },
    ]);
  });

  it('dedupes a batch of readings all taken for new once its direct COPY fails on an interval the batch repeats', async () => {
    const device = await h.device(2);
    const sim = simulated(device, { bootSeq: 1, seq: 0 });
    const start = Math.floor(Date.now() / 1000 / 300) * 300 - 1800;
    const reading = incoming(device, readingMessage(sim, start).payload, 'se');
    const again = incoming(device, reading.payload, 'se');
    const forged = incoming(device, readingMessage({ ...sim, seq: 100 }, start).payload, 'se');
    const next = incoming(device, readingMessage(sim, start + 5).payload, 'se');
    expect([reading, again, forged, next].every((r) => r.fresh)).toBe(true);

    expect(await writeBatch(h.pool, [reading, again, forged, next], [], { deferRollups: true })).toEqual(['stored', 'duplicate', 'replay', 'stored']);
    expect((await storedRows(device.deviceId)).map((row) => Number(row.ts) - start)).toEqual([0, 5]);
    expect(await pendingReadings(device.deviceId)).toBe(2);
    const { rows } = await h.pool.query<{ reason: string }>('select reason from telemetry.dead_letters where device_id = $1', [device.deviceId]);
    expect(rows.map((row) => row.reason)).toEqual(['replay']);
  });

  it('lets two writers store the same readings at once: each reading is stored once and the other writer is told it is a duplicate', async () => {
    const device = await h.device(2);
    const sim = simulated(device);
    const start = Math.floor(Date.now() / 1000 / 300) * 300 - 86_000;
    const readings = Array.from({ length: 3000 }, (_, i) => incoming(device, readingMessage(sim, start + i * 5).payload, 'se'));
    // as two workers would hold a redelivery: both above their own high-water marks, in opposite orders
    const [first, second] = await Promise.all([
      writeBatch(h.pool, readings, [], { deferRollups: true }),
      writeBatch(h.pool, [...readings].reverse(), [], { deferRollups: true }),
    ]);
    const byReading = readings.map((_, i) => [first[i], second[readings.length - 1 - i]].sort());
    expect(byReading).toEqual(readings.map(() => ['duplicate', 'stored']));
    expect(await storedRows(device.deviceId)).toHaveLength(3000);
    expect(await pendingReadings(device.deviceId)).toBe(3000);
  });

  it('stores nothing of a batch the database refuses, and raises the refusal instead of taking the fallback', async () => {
    const device = await h.device(2);
    const sim = simulated(device);
    const start = Math.floor(Date.now() / 1000 / 300) * 300 - 900;
    const good = incoming(device, readingMessage(sim, start).payload, 'se');
    // out of the table's check (1..3600 s): the worker's checks never let this through
    const refused = { ...incoming(device, readingMessage(sim, start + 5).payload, 'se'), duration: 0 };
    await expect(writeBatch(h.pool, [good, refused], [], { deferRollups: true })).rejects.toMatchObject({ code: '23514' });
    expect(await storedRows(device.deviceId)).toEqual([]);
    expect(await pendingReadings(device.deviceId)).toBe(0);
  });
});
