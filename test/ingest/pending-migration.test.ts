import pg from 'pg';
import { migrate, migratePart } from '../../lib/migrate';
import { dropDatabase } from '../../lib/postgres';
import { foldRollups } from '../../subgraphs/telemetry/rollup-fold';
import { testConfig } from '../helpers/config';

// Migrating down and up again needs a database of its own.
const databaseUrl = (() => {
  const url = new URL(testConfig().DATABASE_URL);
  url.pathname = `${url.pathname}_pending`;
  return url.toString();
})();
let pool: pg.Pool;

/** Runs `count` of the telemetry schema's migrations in `direction` (its own connection). */
async function migrateTelemetry(direction: 'up' | 'down', count: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await migratePart(client, 'telemetry', { direction, count });
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await migrate(databaseUrl);
  pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
});

afterAll(async () => {
  await pool.end();
  await dropDatabase(databaseUrl);
});

describe('parked rollup deltas across the migration to a column per channel value', () => {
  const tenantId = '00000000-0000-4000-8000-000000000001';
  const bucket = '2026-11-26T10:00:00Z';

  it('moves deltas parked as arrays into the columns, and folds them into the same rollups', async () => {
    // the sequence ranges and the marks of stale HOUR and DAY buckets (the last two
    // migrations) go down first
    await migrateTelemetry('down', 3);
    // two deltas as a worker of the previous version parked them: arrays, two and three channels
    await pool.query(
      `insert into telemetry.rollup_pending values
         ('D100000000001', $1, $2, 1, 5, '{10,20}', '{1,2}', '{230,231}', '{0.5,1.5}', 50, 1, 3),
         ('D100000000001', $1::timestamptz + interval '5 s', $2, 1, 5, '{30,40,50}', '{3,4,5}', '{232,233,234}', '{2.5,3.5,4.5}', 49.5, 1, 3)`,
      [bucket, tenantId],
    );
    await migrateTelemetry('up', 3);

    const { rows } = await pool.query('select channels, e_real_1, e_real_2, e_real_3, e_real_4, i_rms_sum_2, part from telemetry.rollup_pending order by bucket');
    expect(rows).toEqual([
      { channels: 2, e_real_1: 10, e_real_2: 20, e_real_3: null, e_real_4: null, i_rms_sum_2: 1.5, part: 3 },
      { channels: 3, e_real_1: 30, e_real_2: 40, e_real_3: 50, e_real_4: null, i_rms_sum_2: 3.5, part: 3 },
    ]);
    // channels that only some deltas have are summed over those that have them, as from arrays
    expect(await foldRollups(pool, 3)).toBe(2);
    const { rows: folded } = await pool.query(
      'select readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count from telemetry.rollups_five_minutes',
    );
    expect(folded).toEqual([
      { readings: 2, duration: 10, e_real: [40, 60, 50], e_reactive: [4, 6, 5], v_rms_sum: [462, 464, 234], i_rms_sum: [3, 5, 4.5], frequency_sum: 99.5, frequency_count: 2 },
    ]);
  });

  it('migrates back down to arrays without losing a parked delta', async () => {
    await pool.query(
      `insert into telemetry.rollup_pending (device_id, bucket, tenant_id, readings, duration, channels, e_real_1, e_real_2,
         e_reactive_1, e_reactive_2, v_rms_sum_1, v_rms_sum_2, i_rms_sum_1, i_rms_sum_2, frequency_sum, frequency_count, part)
       values ('D100000000002', $1, $2, 1, 5, 2, 10, 20, 1, 2, 230, 231, 0.5, 1.5, 50, 1, 7)`,
      [bucket, tenantId],
    );
    // the first test's fold marked its hour stale: going down recomputes HOUR and DAY from it
    expect((await pool.query("select count(*)::int as n from telemetry.rollup_stale where granularity = 'HOUR'")).rows).toEqual([{ n: 1 }]);
    await migrateTelemetry('down', 3);
    for (const table of ['rollups_hour', 'rollups_day']) {
      const { rows: stored } = await pool.query(`select device_id, readings, duration, e_real, frequency_count from telemetry.${table}`);
      expect(stored).toEqual([{ device_id: 'D100000000001', readings: 2, duration: 10, e_real: [40, 60, 50], frequency_count: 2 }]);
    }
    const { rows } = await pool.query('select device_id, e_real, e_reactive, v_rms_sum, i_rms_sum, part from telemetry.rollup_pending');
    expect(rows).toEqual([{ device_id: 'D100000000002', e_real: [10, 20], e_reactive: [1, 2], v_rms_sum: [230, 231], i_rms_sum: [0.5, 1.5], part: 7 }]);
    await migrateTelemetry('up', 3);
    const { rows: back } = await pool.query('select channels, e_real_1, e_real_2, e_real_3 from telemetry.rollup_pending');
    expect(back).toEqual([{ channels: 2, e_real_1: 10, e_real_2: 20, e_real_3: null }]);
  });
});

describe('the replay look-up across the migration to sequence ranges in FIVE_MINUTES', () => {
  const tenantId = '00000000-0000-4000-8000-000000000001';
  const indexes = async () =>
    (await pool.query<{ name: string }>("select indexname as name from pg_indexes where schemaname = 'telemetry' and indexname like '%sequence%' order by 1")).rows.map(
      (row) => row.name,
    );

  it('fills the ranges of folded buckets and the pairs of parked deltas from the readings, and drops the readings index; down brings it back', async () => {
    await migrateTelemetry('down', 1);
    expect(await indexes()).toEqual(['readings_sequence_idx']);
    // three readings of the previous version: two folded into their bucket, one still parked
    const bucket = new Date(Math.floor(Date.now() / 300_000) * 300_000 - 3_600_000);
    const at = (seconds: number) => new Date(bucket.getTime() + seconds * 1000);
    for (const [seconds, seq] of [[0, 41], [5, 42], [10, 43]] as const) {
      await pool.query(
        `insert into telemetry.readings (device_id, ts, duration, tenant_id, region, boot_seq, seq, e_real, e_reactive, v_rms, i_rms, received_at, mac, archive_id, archive_offset, archive_length)
         values ('D100000000003', $1, 5, $2, 'au', 6, $3, '{1}', '{1}', '{230}', '{1}', now(), '\\x00', 1, 0, 1)`,
        [at(seconds), tenantId, seq],
      );
    }
    await pool.query(
      `insert into telemetry.rollups_five_minutes (device_id, bucket, tenant_id, readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count)
       values ('D100000000003', $1, $2, 2, 10, '{2}', '{2}', '{460}', '{2}', 0, 0)`,
      [bucket, tenantId],
    );
    await pool.query(
      `insert into telemetry.rollups_hour (device_id, bucket, tenant_id, readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count)
       values ('D100000000003', date_bin('1 hour', $1::timestamptz, timestamptz 'epoch'), $2, 2, 10, '{2}', '{2}', '{460}', '{2}', 0, 0)`,
      [bucket, tenantId],
    );
    await pool.query(
      `insert into telemetry.rollup_pending (device_id, bucket, tenant_id, readings, duration, channels, e_real_1, e_reactive_1, v_rms_sum_1, i_rms_sum_1, frequency_sum, frequency_count, part)
       values ('D100000000003', $1, $2, 1, 5, 1, 1, 1, 230, 1, 0, 0, 3)`,
      [at(10), tenantId],
    );

    await migrateTelemetry('up', 1);
    expect(await indexes()).toEqual(['rollups_hour_sequence_idx']);
    for (const table of ['rollups_five_minutes', 'rollups_hour']) {
      const { rows: ranges } = await pool.query(`select seq_low, seq_high from telemetry.${table} where device_id = 'D100000000003'`);
      expect(ranges).toEqual([{ seq_low: ['6', '41'], seq_high: ['6', '42'] }]);
    }
    const { rows: parked } = await pool.query("select boot_seq, seq from telemetry.rollup_pending where device_id = 'D100000000003'");
    expect(parked).toEqual([{ boot_seq: '6', seq: '43' }]);
    // folded, the parked reading widens the range
    expect(await foldRollups(pool, 3)).toBe(1);
    const { rows: folded } = await pool.query("select readings, seq_low, seq_high from telemetry.rollups_five_minutes where device_id = 'D100000000003'");
    expect(folded).toEqual([{ readings: 3, seq_low: ['6', '41'], seq_high: ['6', '43'] }]);

    await migrateTelemetry('down', 1);
    expect(await indexes()).toEqual(['readings_sequence_idx']);
    const { rows: columns } = await pool.query(
      "select table_name, column_name from information_schema.columns where table_schema = 'telemetry' and column_name in ('seq_low', 'seq_high', 'boot_seq') order by 1, 2",
    );
    expect(columns.filter((column) => ['rollup_pending', 'rollups_five_minutes', 'rollups_hour'].includes(column.table_name))).toEqual([]);
    await migrateTelemetry('up', 1);
  });
});
