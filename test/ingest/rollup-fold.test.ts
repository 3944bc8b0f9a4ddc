import { readingMessage, type SimulatedDevice } from '../../subgraphs/device/simulator/message';
import { telemetryTopic } from '../../subgraphs/device/ingest/topics';
import { foldRollups, refreshRollups } from '../../subgraphs/telemetry/rollup-fold';
import { foldSkipWindowMs } from '../../subgraphs/device/ingest';
import { Batcher } from '../../subgraphs/device/ingest/batcher';
import { createIngestMetrics } from '../../subgraphs/device/ingest/metrics';
import { createLogger } from '../../lib/logger';
import { PENDING_PARTS, currentRollup, rollupTables, type DerivedGranularity } from '../../subgraphs/telemetry/rollups';
import { ingestHarness, publish, storedCount, waitFor } from './harness';

const h = ingestHarness();
afterAll(() => h.close());

/** Every time, as SQL bounds of a rollup window. */
const ALWAYS = { from: "'-infinity'::timestamptz", to: "'infinity'::timestamptz" };

/** HOUR and DAY as reads see them (marked buckets summed from the finer rollup), or as stored. */
const rollupSource = (granularity: DerivedGranularity, as: 'read' | 'stored') =>
  as === 'read' ? `(${currentRollup(granularity, { devices: 'r.device_id = $1', ...ALWAYS })}) r` : `${rollupTables[granularity].table} r where r.device_id = $1`;

/** How many readings each rollup holds for the device: HOUR and DAY as reads see them, or as stored. */
async function rollupReadings(deviceId: string, as: 'read' | 'stored' = 'read'): Promise<Record<string, number>> {
  const { rows } = await h.pool.query<{ table: string; n: number }>(
    `select 'five' as table, coalesce(sum(readings), 0)::int as n from telemetry.rollups_five_minutes where device_id = $1
     union all select 'hour', coalesce(sum(readings), 0)::int from ${rollupSource('HOUR', as)}
     union all select 'day', coalesce(sum(readings), 0)::int from ${rollupSource('DAY', as)}`,
    [deviceId],
  );
  return Object.fromEntries(rows.map((row) => [row.table, row.n]));
}

/**
 * Parks a delta as a batch would (rollups.ts pendingInsert): one reading of two channels, in
 * partition `part`, or in the one its device id hashes to.
 */
const parkDelta = (deviceId: string, tenantId: string, at: number, part: number | 'hashed') =>
  h.pool.query(
    `insert into telemetry.rollup_pending (device_id, bucket, tenant_id, readings, duration, channels, e_real_1, e_real_2,
       e_reactive_1, e_reactive_2, v_rms_sum_1, v_rms_sum_2, i_rms_sum_1, i_rms_sum_2, frequency_sum, frequency_count, part)
     values ($1, to_timestamp($3), $2, 1, 5, 2, 10, 20, 0, 0, 230, 230, 1, 2, 50, 1, ${part === 'hashed' ? `(hashtext($1) & ${PENDING_PARTS - 1})::smallint` : Number(part)})`,
    [deviceId, tenantId, at],
  );

describe('deferred rollups (the path batches under load take)', () => {
  it('parks the sums with the readings and folds each exactly once into all three rollups', async () => {
    // every batch defers; folds only when asked (no timer during the test)
    const worker = await h.startWorker({ deferRollupsFrom: 1, rollupFoldMs: 3_600_000 });
    const device = await h.device(3);
    const sim: SimulatedDevice = { deviceId: device.deviceId, region: device.region, channels: 3, dataKey: Buffer.from(device.dataKey, 'base64url'), bootSeq: 1, seq: 0 };
    const publisher = await h.publisher();
    const start = Math.floor(Date.now() / 1000 / 300) * 300 - 600;
    const sent: number[][] = [];
    for (let i = 0; i < 24; i += 1) {
      const { payload, mac } = readingMessage(sim, start + i * 5);
      sent.push(JSON.parse(payload.toString()).eReal);
      await publish(publisher, telemetryTopic(device.region, device.deviceId, 'se'), payload, mac);
    }
    await waitFor(async () => (await storedCount(h.pool, device.deviceId)) === 24, '24 stored readings');
    // parked or (if another test's worker folded meanwhile) folded: counted once either way
    const { rows: parked } = await h.pool.query<{ n: number }>(
      `select (select count(*) from telemetry.rollup_pending where device_id = $1)
        + (select coalesce(sum(readings), 0) from telemetry.rollups_five_minutes where device_id = $1) as n`,
      [device.deviceId],
    );
    expect(Number(parked[0]!.n)).toBe(24);

    // a fold that finds another in progress skips; the next one folds
    await waitFor(async () => (await foldRollups(h.pool), (await rollupReadings(device.deviceId)).day === 24), 'the fold');
    expect(await rollupReadings(device.deviceId)).toEqual({ five: 24, hour: 24, day: 24 });
    // a second fold finds nothing left to add
    await foldRollups(h.pool);
    expect(await rollupReadings(device.deviceId)).toEqual({ five: 24, hour: 24, day: 24 });
    const { rows } = await h.pool.query<{ e_real: number[]; duration: number }>(
      'select e_real, duration from telemetry.rollups_five_minutes where device_id = $1 and bucket = to_timestamp($2)',
      [device.deviceId, start],
    );
    expect(rows[0]!.duration).toBe(120);
    expect(rows[0]!.e_real).toEqual(sent[0]!.map((_, c) => sent.reduce((sum, eReal) => sum + eReal[c]!, 0)));

    // a redelivered reading adds nothing, folded or not
    const again = readingMessage({ ...sim, seq: 0 }, start);
    await publish(publisher, telemetryTopic(device.region, device.deviceId, 'se'), again.payload, again.mac);
    await waitFor(async () => /_total 1$/m.test(await worker.metrics.registry.getSingleMetricAsString('cypernex_ingest_duplicates_total')), 'the duplicate');
    await foldRollups(h.pool);
    expect(await rollupReadings(device.deviceId)).toEqual({ five: 24, hour: 24, day: 24 });
  });
});

describe('folding one partition at a time (the worker folds one every interval / 16)', () => {
  it('folds only the partition asked for, and each device\'s deltas all sit in one', async () => {
    const [first, second] = [await h.device(2), await h.device(2)];
    const bucket = Math.floor(Date.now() / 1000 / 300) * 300 - 3600;
    // three deltas per device, each in the partition its device id hashes to
    for (const device of [first!, second!]) for (let i = 0; i < 3; i += 1) await parkDelta(device.deviceId, device.tenantId, bucket + i * 5, 'hashed');
    const partOf = async (deviceId: string) =>
      (await h.pool.query<{ part: number; n: number }>('select min(part) as part, count(distinct part)::int as n from telemetry.rollup_pending where device_id = $1', [deviceId])).rows[0]!;
    const firstPart = await partOf(first!.deviceId);
    expect(firstPart.n).toBe(1);
    // looked up before any fold: once folded, a device has no deltas to say where they were
    const secondPart = await partOf(second!.deviceId);

    await waitFor(async () => (await foldRollups(h.pool, firstPart.part), (await rollupReadings(first!.deviceId)).five === 3), 'the fold of its partition');
    expect(await rollupReadings(first!.deviceId)).toEqual({ five: 3, hour: 3, day: 3 });
    if (secondPart.part !== firstPart.part) {
      expect(await rollupReadings(second!.deviceId)).toEqual({ five: 0, hour: 0, day: 0 });
      await waitFor(async () => (await foldRollups(h.pool, secondPart.part), (await rollupReadings(second!.deviceId)).five === 3), 'the fold of the other partition');
    }
    expect(await rollupReadings(second!.deviceId)).toEqual({ five: 3, hour: 3, day: 3 });
    const { rows } = await h.pool.query<{ e_real: number[]; duration: number }>('select e_real, duration from telemetry.rollups_five_minutes where device_id = $1', [first!.deviceId]);
    expect(rows).toEqual([{ e_real: [30, 60], duration: 15 }]);
  });
});

describe('one fold cadence for the whole deployment', () => {
  it('skips a partition that any worker folded within the interval, and folds it when asked outright', async () => {
    const device = await h.device(2);
    const bucket = Math.floor(Date.now() / 1000 / 300) * 300 - 7200;
    const { rows } = await h.pool.query<{ part: number }>(`select (hashtext($1) & ${PENDING_PARTS - 1})::int as part`, [device.deviceId]);
    const part = rows[0]!.part;
    const park = (at: number) => parkDelta(device.deviceId, device.tenantId, at, part);
    const parked = async () => Number((await h.pool.query('select count(*) as n from telemetry.rollup_pending where device_id = $1', [device.deviceId])).rows[0].n);
    await h.pool.query("update telemetry.rollup_fold_turns set folded_at = 'epoch' where part = $1", [part]);

    await park(bucket);
    await waitFor(async () => (await foldRollups(h.pool, part, { unlessFoldedWithinMs: 60_000 }), (await parked()) === 0), 'the first fold');
    // a second worker's timer, moments later: the partition had its turn
    await park(bucket + 5);
    expect(await foldRollups(h.pool, part, { unlessFoldedWithinMs: 60_000 })).toBe(0);
    expect(await parked()).toBe(1);
    // a stopping worker (or an operator) folds regardless
    await waitFor(async () => (await foldRollups(h.pool, part), (await parked()) === 0), 'the outright fold');
    expect(await rollupReadings(device.deviceId)).toEqual({ five: 2, hour: 2, day: 2 });
  });
});

describe('folding half as often while the worker is behind', () => {
  it('a worker is behind once a full batch waits beyond the batches committing', () => {
    // no batch may commit (none in flight allowed): what is added stays queued
    const batcher = new Batcher({
      pool: h.pool,
      redis: h.redis,
      logger: createLogger('ingest-test', 'silent'),
      metrics: createIngestMetrics(),
      maxItems: 3,
      maxDelayMs: 60_000,
      maxInFlight: 0,
      deferRollupsFrom: 1,
    });
    const add = () => batcher.add({ kind: 'status', deviceId: 'D000000000001', status: { v: 1, deviceId: 'D000000000001', online: true } } as never, () => undefined, Date.now());
    add();
    add();
    expect(batcher.behind).toBe(false);
    add();
    expect(batcher.behind).toBe(true);
    batcher.abandon();
    expect(batcher.behind).toBe(false);
  });

  it('skips a partition folded one interval ago while behind, and folds it otherwise', async () => {
    const interval = 30_000;
    const device = await h.device(2);
    const bucket = Math.floor(Date.now() / 1000 / 300) * 300 - 7200;
    const { rows } = await h.pool.query<{ part: number }>(`select (hashtext($1) & ${PENDING_PARTS - 1})::int as part`, [device.deviceId]);
    const part = rows[0]!.part;
    await parkDelta(device.deviceId, device.tenantId, bucket, part);
    // the partition's turn comes again one interval after its last fold
    const lastFoldedOneIntervalAgo = () =>
      h.pool.query('update telemetry.rollup_fold_turns set folded_at = now() - make_interval(secs => $2::float8 / 1000) where part = $1', [part, interval + 500]);

    await lastFoldedOneIntervalAgo();
    expect(await foldRollups(h.pool, part, { unlessFoldedWithinMs: foldSkipWindowMs(interval, true) })).toBe(0);
    expect(await rollupReadings(device.deviceId)).toEqual({ five: 0, hour: 0, day: 0 });

    await lastFoldedOneIntervalAgo();
    await waitFor(async () => (await foldRollups(h.pool, part, { unlessFoldedWithinMs: foldSkipWindowMs(interval, false) })) > 0 || (await rollupReadings(device.deviceId)).five === 1, 'the fold on time');
    expect(await rollupReadings(device.deviceId)).toEqual({ five: 1, hour: 1, day: 1 });
  });
});

describe('HOUR and DAY recomputed from FIVE_MINUTES once their bucket is over (marks of stale buckets)', () => {
  const partOfDevice = async (deviceId: string) => (await h.pool.query<{ part: number }>('select (hashtext($1) & 15)::int as part', [deviceId])).rows[0]!.part;
  const marked = async (granularity: DerivedGranularity, bucket: number, deviceId: string) =>
    (
      await h.pool.query<{ n: number }>('select count(*)::int as n from telemetry.rollup_stale where granularity = $1 and bucket = to_timestamp($2) and part = $3', [
        granularity,
        bucket,
        await partOfDevice(deviceId),
      ])
    ).rows[0]!.n === 1;
  const rollupRow = async (granularity: DerivedGranularity, as: 'read' | 'stored', deviceId: string) =>
    (await h.pool.query(`select readings, duration, e_real, v_rms_sum, frequency_sum, frequency_count from ${rollupSource(granularity, as)}`, [deviceId])).rows;
  // the tests' buckets are not over: only a negative grace makes them due, so no other
  // test's worker (grace of two minutes) recomputes them meanwhile
  const NOT_OVER_YET = -2 * 86_400_000;

  it('reads a marked hour and day from FIVE_MINUTES, stores them when recomputed, and marks the hour again for late data', async () => {
    const device = await h.device(2);
    const hour = Math.floor(Date.now() / 3_600_000) * 3600;
    const day = Math.floor(hour / 86_400) * 86_400;
    for (const at of [hour, hour + 5]) await parkDelta(device.deviceId, device.tenantId, at, 'hashed');
    await waitFor(async () => (await foldRollups(h.pool), (await rollupReadings(device.deviceId)).five === 2), 'the fold');

    // not recomputed yet: stored nothing, read from FIVE_MINUTES
    expect(await marked('HOUR', hour, device.deviceId)).toBe(true);
    expect(await rollupReadings(device.deviceId, 'stored')).toEqual({ five: 2, hour: 0, day: 0 });
    const expected = [{ readings: 2, duration: 10, e_real: [20, 40], v_rms_sum: [460, 460], frequency_sum: 100, frequency_count: 2 }];
    expect(await rollupRow('HOUR', 'read', device.deviceId)).toEqual(expected);
    expect(await rollupRow('DAY', 'read', device.deviceId)).toEqual(expected);
    // a bucket not over is left alone
    await refreshRollups(h.pool, { budgetMs: 60_000 });
    expect(await marked('HOUR', hour, device.deviceId)).toBe(true);

    // recomputed: the hour stored, its mark gone, its day marked (then recomputed as well)
    await refreshRollups(h.pool, { graceMs: NOT_OVER_YET, budgetMs: 60_000 });
    expect(await marked('HOUR', hour, device.deviceId)).toBe(false);
    expect(await rollupRow('HOUR', 'stored', device.deviceId)).toEqual(expected);
    await waitFor(async () => (await refreshRollups(h.pool, { graceMs: NOT_OVER_YET, budgetMs: 60_000 }), !(await marked('DAY', day, device.deviceId))), 'the day recomputed');
    expect(await rollupRow('DAY', 'stored', device.deviceId)).toEqual(expected);
    expect(await rollupRow('DAY', 'read', device.deviceId)).toEqual(expected);

    // a late reading for the stored hour: marked again, read at once, stored once recomputed
    await parkDelta(device.deviceId, device.tenantId, hour + 10, 'hashed');
    await waitFor(async () => (await foldRollups(h.pool), (await rollupReadings(device.deviceId)).five === 3), 'the fold of the late reading');
    expect(await marked('HOUR', hour, device.deviceId)).toBe(true);
    expect(await rollupReadings(device.deviceId, 'stored')).toEqual({ five: 3, hour: 2, day: 2 });
    expect(await rollupReadings(device.deviceId)).toEqual({ five: 3, hour: 3, day: 3 });
    const late = [{ readings: 3, duration: 15, e_real: [30, 60], v_rms_sum: [690, 690], frequency_sum: 150, frequency_count: 3 }];
    expect(await rollupRow('DAY', 'read', device.deviceId)).toEqual(late);
    await waitFor(
      async () => (await refreshRollups(h.pool, { graceMs: NOT_OVER_YET, budgetMs: 60_000 }), !(await marked('HOUR', hour, device.deviceId)) && !(await marked('DAY', day, device.deviceId))),
      'the hour and the day recomputed',
    );
    expect(await rollupReadings(device.deviceId, 'stored')).toEqual({ five: 3, hour: 3, day: 3 });
    expect(await rollupRow('DAY', 'stored', device.deviceId)).toEqual(late);
  });

  it('sums a stale day from its stored hours and its marked hours, each counted once', async () => {
    const device = await h.device(2);
    const first = Math.floor(Date.now() / 3_600_000) * 3600;
    // the hour before, when the current one is not the day's first; the next one otherwise
    const second = first % 86_400 === 0 ? first + 3600 : first - 3600;
    await parkDelta(device.deviceId, device.tenantId, first, 'hashed');
    await waitFor(async () => (await foldRollups(h.pool), (await rollupReadings(device.deviceId)).five === 1), 'the fold');
    await waitFor(async () => (await refreshRollups(h.pool, { graceMs: NOT_OVER_YET, budgetMs: 60_000 }), !(await marked('HOUR', first, device.deviceId))), 'the first hour recomputed');
    // the other hour of the day comes later: the day is stale through it alone
    for (const at of [second, second + 300]) await parkDelta(device.deviceId, device.tenantId, at, 'hashed');
    await waitFor(async () => (await foldRollups(h.pool), (await rollupReadings(device.deviceId)).five === 3), 'the second fold');
    expect(await marked('HOUR', second, device.deviceId)).toBe(true);
    expect((await rollupRow('HOUR', 'read', device.deviceId)).map((row) => row.readings).sort()).toEqual([1, 2]);
    expect(await rollupRow('DAY', 'read', device.deviceId)).toEqual([{ readings: 3, duration: 15, e_real: [30, 60], v_rms_sum: [690, 690], frequency_sum: 150, frequency_count: 3 }]);
  });
});
