import type { Granularity } from './reading';

/** Rollup tables and their bucket width; FIFTEEN_MINUTES is read from FIVE_MINUTES. */
export const rollupTables = {
  FIVE_MINUTES: { table: 'telemetry.rollups_five_minutes', width: '5 minutes' },
  HOUR: { table: 'telemetry.rollups_hour', width: '1 hour' },
  DAY: { table: 'telemetry.rollups_day', width: '1 day' },
} as const;

export type RollupGranularity = keyof typeof rollupTables;

/** Deltas folded later by the worker (migration 1764374400000_rollup-pending). */
export const PENDING_TABLE = 'telemetry.rollup_pending';
/** List partitions of PENDING_TABLE, by `hashtext(device_id) & 15` (folded one at a time). */
export const PENDING_PARTS = 16;

/** Marks of HOUR and DAY buckets behind the finer rollup, by part of the devices. */
export const STALE_TABLE = 'telemetry.rollup_stale';
/** A device's part in STALE_TABLE, as SQL (the rollups' part indexes are on this expression). */
export const partOf = (deviceId: string): string => `(hashtext(${deviceId}) & 15)`;

/** Buckets are aligned to the unix epoch, so a day is a UTC day. */
export const bucketExpression = (width: string, column = 'ts'): string => `date_bin('${width}', ${column}, timestamptz 'epoch')`;

/** Per-channel arrays have at most this many elements (device.keys channel_count). */
export const MAX_CHANNELS = 12;
const channels = Array.from({ length: MAX_CHANNELS }, (_, i) => i + 1);

/**
 * The parked deltas' per-channel values, a column per channel (migration
 * 1765065600000_rollup-pending-columns): `e_real_1` ... `e_real_12` and so on, NULL beyond
 * the delta's `channels`. Summing plain columns costs a third to a fifth of what 48 array
 * subscripts per delta did (bench/ingest/fold-sums.sql); the whole fold, about 6 % less
 * (pg-cost, docs/benchmarks.md).
 */
export const PENDING_VALUES = ['e_real', 'e_reactive', 'v_rms_sum', 'i_rms_sum'] as const;
/** The readings' per-channel arrays, in the order of PENDING_VALUES and of the rollups' sums. */
const READING_ARRAYS = ['e_real', 'e_reactive', 'v_rms', 'i_rms'] as const;
export const pendingValueColumns = (value: string): string[] => channels.map((i) => `${value}_${i}`);
/** The columns of PENDING_TABLE in order (the direct path's binary COPY writes them all). */
export const PENDING_COLUMNS = [
  'device_id', 'bucket', 'tenant_id', 'readings', 'duration', 'channels',
  ...PENDING_VALUES.flatMap(pendingValueColumns),
  'frequency_sum', 'frequency_count', 'part', 'boot_seq', 'seq',
] as const;

// Element-wise array arithmetic spelled out with built-in subscripts: measured ~7 µs per
// call for a SQL-language helper (it cannot be inlined), which made the three rollups cost
// ~250 ms per 2,000-reading batch; the built-ins bring that down to a few milliseconds.
const sumArrays = (column: string): string =>
  `(array[${channels.map((i) => `sum(${column}[${i}])`).join(', ')}])[1:max(cardinality(${column}))]`;
const sumColumns = (value: string): string => `(array[${pendingValueColumns(value).map((column) => `sum(${column})`).join(', ')}])[1:max(channels)]`;
const addArrays = (left: string, right: string): string =>
  `(array[${channels.map((i) => `coalesce(${left}[${i}], 0) + coalesce(${right}[${i}], 0)`).join(', ')}])[1:greatest(cardinality(${left}), cardinality(${right}))]`;

/**
 * What `aggregate` sums: readings rows, rollup-shaped rows (per-channel sums as arrays), or
 * parked deltas (per-channel sums as columns).
 */
type AggregateSource = 'readings' | 'sums' | 'pending';

/**
 * The (bootSeq, seq) range of the readings in a FIVE_MINUTES or HOUR row (migration
 * 1765238400000_sequence-ranges), as two-element arrays (compared element by element): the
 * replay check's way to the buckets that may hold a pair (store-write.ts `classifySuspects`).
 * From readings or deltas, (lowest bootSeq, lowest seq) to (highest bootSeq, highest seq):
 * the exact lowest and highest pair when the bucket's readings share a bootSeq (a bucket
 * spanning a reboot gets a wider range, which only adds a bucket to look in), from scalar
 * aggregates: two arrays per bucket instead of the two per delta `min(array[boot_seq, seq])`
 * builds and compares.
 */
const sequenceRange = (kind: AggregateSource): string =>
  kind === 'sums'
    ? 'min(seq_low) as seq_low, max(seq_high) as seq_high'
    : // deltas parked before the migration that could not be matched to a reading have none
      `case when max(seq) is not null then array[min(boot_seq), min(seq)] end as seq_low,
    case when max(seq) is not null then array[max(boot_seq), max(seq)] end as seq_high`;

/**
 * The rollup columns (device_id, bucket, tenant_id, readings, duration, e_real, e_reactive,
 * v_rms_sum, i_rms_sum, frequency_sum, frequency_count, and with `sequences` seq_low and
 * seq_high) of `source` per bucket of `width`: readings and deltas sum the same way.
 */
function aggregate(source: string, kind: AggregateSource, width: string, sequences = false): string {
  const [column, readings, frequencySum, frequencyCount] =
    kind === 'readings'
      ? ['ts', 'count(*)', 'coalesce(sum(frequency), 0)', 'count(frequency)']
      : ['bucket', 'sum(readings)', 'sum(frequency_sum)', 'sum(frequency_count)'];
  const [eReal, eReactive, vRms, iRms] =
    kind === 'pending'
      ? PENDING_VALUES.map(sumColumns)
      : (kind === 'readings' ? READING_ARRAYS : PENDING_VALUES).map(sumArrays);
  return `select device_id, ${bucketExpression(width, column)} as bucket, tenant_id, ${readings} as readings, sum(duration) as duration,
    ${eReal} as e_real, ${eReactive} as e_reactive, ${vRms} as v_rms_sum, ${iRms} as i_rms_sum,
    ${frequencySum} as frequency_sum, ${frequencyCount} as frequency_count${sequences ? `, ${sequenceRange(kind)}` : ''}
  from ${source} group by 1, 2, 3 order by 1, 2`;
}

/** The FIVE_MINUTES upsert widens the row's (bootSeq, seq) range to the added readings'. */
const SEQUENCE_RANGE_UPDATE = `,
    seq_low = least(r.seq_low, excluded.seq_low),
    seq_high = greatest(r.seq_high, excluded.seq_high)`;

/**
 * One data-modifying CTE per rollup fed by `source` (the rows the same statement inserted,
 * or the deltas a fold deleted), so that a redelivered reading, which inserts nothing, adds
 * nothing; late readings land in their own (older) bucket. Rows are upserted in key order
 * so that concurrent writers cannot deadlock.
 */
export function rollupUpserts(source: string, kind: 'readings' | 'sums', granularities: readonly RollupGranularity[]): string {
  return granularities
    .map(
      (name) => `${name.toLowerCase()} as (
  insert into ${rollupTables[name].table} as r
  ${aggregate(source, kind, rollupTables[name].width, name === 'FIVE_MINUTES')}
  on conflict (device_id, bucket) do update set
    readings = r.readings + excluded.readings,
    duration = r.duration + excluded.duration,
    e_real = ${addArrays('r.e_real', 'excluded.e_real')},
    e_reactive = ${addArrays('r.e_reactive', 'excluded.e_reactive')},
    v_rms_sum = ${addArrays('r.v_rms_sum', 'excluded.v_rms_sum')},
    i_rms_sum = ${addArrays('r.i_rms_sum', 'excluded.i_rms_sum')},
    frequency_sum = r.frequency_sum + excluded.frequency_sum,
    frequency_count = r.frequency_count + excluded.frequency_count${name === 'FIVE_MINUTES' ? SEQUENCE_RANGE_UPDATE : ''}
)`,
    )
    .join(',\n');
}

/**
 * A CTE that parks the inserted readings' values for a later fold, unaggregated: a device
 * appears about once per batch, so grouping here would cost without shrinking anything.
 */
export const pendingInsert = (source: string): string => `pending as (
  insert into ${PENDING_TABLE} (${PENDING_COLUMNS.join(', ')})
  select device_id, ts, tenant_id, 1, duration, cardinality(e_real),
    ${READING_ARRAYS.flatMap((array) => channels.map((i) => `${array}[${i}]`)).join(', ')},
    coalesce(frequency, 0), (frequency is not null)::int, (hashtext(device_id) & ${PENDING_PARTS - 1})::smallint, boot_seq, seq
  from ${source}
)`;

/**
 * Moves the parked deltas of one partition (`$1`) into FIVE_MINUTES, in one statement run in
 * the fold's transaction (the deltas summed per bucket once), and returns the hours it
 * added to, by part (`hour`, `part`; `folded` on each row): the fold marks those stale
 * (`markStale`) in a statement of its own, and HOUR and DAY are recomputed once their bucket
 * is over (`refreshStatement`), not upserted by every fold.
 */
export const foldStatement = foldInto(['FIVE_MINUTES'], 'hours');

/**
 * The fold statement into some of the rollups: bench/ingest/pg-cost.ts `--fold-split` prices
 * each rollup's upserts (with none, the deltas are still deleted and summed), including the
 * HOUR and DAY upserts that every fold made before they were recomputed from FIVE_MINUTES.
 */
export function foldInto(granularities: readonly RollupGranularity[], returning: 'count' | 'hours' = 'count'): string {
  const sums = `with deltas as (delete from ${PENDING_TABLE} where part = $1 returning *),
five_minutes_sums as materialized (${aggregate('deltas', 'pending', rollupTables.FIVE_MINUTES.width, true)})`;
  const result =
    returning === 'hours'
      ? `select (select count(*) from deltas)::int as folded, t.hour, t.part
from (select distinct ${bucketExpression(rollupTables.HOUR.width, 'bucket')} as hour, ${partOf('device_id')} as part from five_minutes_sums) t order by 2, 3`
      : granularities.length === 0
        ? 'select count(*)::int as folded from deltas, (select count(*) from five_minutes_sums) as sums'
        : 'select count(*)::int as folded from deltas';
  return granularities.length === 0 ? `${sums}\n${result}` : `${sums},\n${rollupUpserts('five_minutes_sums', 'sums', granularities)}\n${result}`;
}

/** HOUR and DAY: recomputed from the next finer rollup (migration 1765152000000_rollup-stale). */
export type DerivedGranularity = 'HOUR' | 'DAY';
const FINER: Record<DerivedGranularity, RollupGranularity> = { HOUR: 'FIVE_MINUTES', DAY: 'HOUR' };

/**
 * Upserts the marks `select` yields (granularity, bucket, part), in key order. An existing
 * mark is updated, not left alone: the row lock makes a recompute that is deleting it wait
 * for this transaction, so that it reads what this transaction wrote, or (when the
 * recompute deleted it first) this waits and marks the bucket again.
 */
const upsertMarks = (select: string): string => `insert into ${STALE_TABLE} (granularity, bucket, part)
  ${select} order by 2, 3
  on conflict (granularity, bucket, part) do update set marked_at = now()`;

/** Marks (`$1` buckets, `$2` parts) of `granularity` stale (see `upsertMarks`). */
export const markStale = (granularity: DerivedGranularity): string =>
  upsertMarks(`select '${granularity}', bucket, part from unnest($1::timestamptz[], $2::int2[]) as t(bucket, part)`);

/** Marks the hours of the rows of `source` (device_id, `column`) stale (see `upsertMarks`). */
export const markStaleHours = (source: string, column: string): string =>
  upsertMarks(`select distinct 'HOUR', ${bucketExpression(rollupTables.HOUR.width, column)}, ${partOf('device_id')} from ${source}`);

/**
 * Recomputes the `granularity` rows of bucket `$1` for the devices of part `$2` from the
 * finer rollup, every column replaced (so recomputing twice changes nothing), in key order.
 */
export function refreshStatement(granularity: DerivedGranularity): string {
  const { table, width } = rollupTables[granularity];
  const finer = `(select * from ${rollupTables[FINER[granularity]].table}
    where ${partOf('device_id')} = $2 and bucket >= $1::timestamptz and bucket < $1::timestamptz + interval '${width}') f`;
  // an hour carries its (bootSeq, seq) range, from its 5-minute buckets' (the replay check)
  const sequences = granularity === 'HOUR';
  return `insert into ${table} as r
  ${aggregate(finer, 'sums', width, sequences)}
  on conflict (device_id, bucket) do update set
    readings = excluded.readings, duration = excluded.duration, e_real = excluded.e_real, e_reactive = excluded.e_reactive,
    v_rms_sum = excluded.v_rms_sum, i_rms_sum = excluded.i_rms_sum, frequency_sum = excluded.frequency_sum, frequency_count = excluded.frequency_count${
      sequences ? ', seq_low = excluded.seq_low, seq_high = excluded.seq_high' : ''
    }`;
}

/** Where rollup rows are read from, as SQL over the alias `r`: a condition on the devices, and the bounds of [from, to) on the bucket. */
export interface RollupWindow {
  devices: string;
  from: string;
  to: string;
}

const ROLLUP_COLUMNS = 'r.device_id, r.bucket, r.tenant_id, r.readings, r.duration, r.e_real, r.e_reactive, r.v_rms_sum, r.i_rms_sum, r.frequency_sum, r.frequency_count';

/** `aggregate` of rollup-shaped rows with the rollup tables' column types (sums of integers are bigint). */
const summed = (source: string, width: string): string =>
  `select device_id, bucket, tenant_id, readings::int, duration::int, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count::int
  from (${aggregate(source, 'sums', width)}) t`;

/**
 * The HOUR or DAY rollup rows of a window as they are now, with the rollup tables' columns:
 * a bucket not marked stale as stored, a marked one summed from the finer rows (an hour from
 * its FIVE_MINUTES rows; a day from its hours, each of those stored or, when marked, summed
 * from its FIVE_MINUTES rows). A day is stale when it or one of its hours is marked. One
 * statement: one snapshot, in which a recompute and its mark's deletion are both seen or
 * neither. Tables are aliased `r` throughout, so `devices` may name `r.device_id` (the
 * datasets do) or `device_id`.
 */
export function currentRollup(granularity: DerivedGranularity, { devices, from, to }: RollupWindow): string {
  const staleHours = (range: string) => `select ${ROLLUP_COLUMNS} from ${STALE_TABLE} s join ${rollupTables.FIVE_MINUTES.table} r
      on ${partOf('r.device_id')} = s.part and r.bucket >= s.bucket and r.bucket < s.bucket + interval '${rollupTables.HOUR.width}'
    where s.granularity = 'HOUR' and ${range} and ${devices}`;
  // the marks as arrays computed once per statement (they name no row), tested in the scan
  // of the stored rows: an anti-join with the marks took a hash of the device id per row
  // and a sort after (a year of HOUR rows: 5.1 -> 8.4 ms of database time); a bucket no
  // part has marked is passed without hashing
  const notIn = (bucket: string, marks: string) =>
    `(${bucket} <> all (array(select b from (${marks}) m(b, p))) or (${bucket}, ${partOf('r.device_id')}::int2) <> all (array(select (b, p) from (${marks}) m(b, p))))`;
  const hourMarks = `select bucket, part from ${STALE_TABLE} where granularity = 'HOUR'`;
  if (granularity === 'HOUR') {
    return `select ${ROLLUP_COLUMNS} from ${rollupTables.HOUR.table} r
    where ${devices} and r.bucket >= ${from} and r.bucket < ${to} and ${notIn('r.bucket', `${hourMarks} and bucket >= ${from} and bucket < ${to}`)}
  union all
  ${summed(`(${staleHours(`s.bucket >= ${from} and s.bucket < ${to}`)}) r`, rollupTables.HOUR.width)}`;
  }
  const day = (column: string) => bucketExpression(rollupTables.DAY.width, column);
  // a day is stale when it is marked or one of its hours is
  const staleDays = `select distinct day, part from (
      select bucket as day, part from ${STALE_TABLE} where granularity = 'DAY'
      union all select ${day('bucket')}, part from ${STALE_TABLE} where granularity = 'HOUR'
    ) x where day >= ${from} and day < ${to}`;
  return `select ${ROLLUP_COLUMNS} from ${rollupTables.DAY.table} r
    where ${devices} and r.bucket >= ${from} and r.bucket < ${to} and ${notIn('r.bucket', staleDays)}
  union all
  ${summed(
    `(select ${ROLLUP_COLUMNS} from (${staleDays}) sd join ${rollupTables.HOUR.table} r
        on ${partOf('r.device_id')} = sd.part and r.bucket >= sd.day and r.bucket < sd.day + interval '1 day'
      where ${devices} and ${notIn('r.bucket', hourMarks)}
    union all
    ${staleHours(`${day('s.bucket')} >= ${from} and ${day('s.bucket')} < ${to}`)}) r`,
    rollupTables.DAY.width,
  )}`;
}

export const isRollup = (granularity: Granularity): boolean => granularity !== 'RAW';
