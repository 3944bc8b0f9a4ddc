import type { Granularity } from './reading';

/** Rollup tables and their bucket width; FIFTEEN_MINUTES is read from FIVE_MINUTES. */
export const rollupTables = {
  FIVE_MINUTES: { table: 'telemetry.rollups_five_minutes', width: '5 minutes' },
  HOUR: { table: 'telemetry.rollups_hour', width: '1 hour' },
  DAY: { table: 'telemetry.rollups_day', width: '1 day' },
} as const;

export type RollupGranularity = keyof typeof rollupTables;
const ALL_ROLLUPS = Object.keys(rollupTables) as RollupGranularity[];

/** Deltas folded later by the worker (migration 1764374400000_rollup-pending). */
export const PENDING_TABLE = 'telemetry.rollup_pending';
/** List partitions of PENDING_TABLE, by `hashtext(device_id) & 15` (folded one at a time). */
export const PENDING_PARTS = 16;

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
  'frequency_sum', 'frequency_count', 'part',
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
 * The rollup columns (device_id, bucket, tenant_id, readings, duration, e_real, e_reactive,
 * v_rms_sum, i_rms_sum, frequency_sum, frequency_count) of `source` per bucket of `width`:
 * readings and deltas sum the same way.
 */
function aggregate(source: string, kind: AggregateSource, width: string): string {
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
    ${frequencySum} as frequency_sum, ${frequencyCount} as frequency_count
  from ${source} group by 1, 2, 3 order by 1, 2`;
}

/**
 * One data-modifying CTE per rollup fed by `source` (the rows the same statement inserted,
 * or the deltas a fold deleted), so that a redelivered reading, which inserts nothing, adds
 * nothing; late readings land in their own (older) bucket. Rows are upserted in key order
 * so that concurrent writers cannot deadlock.
 */
export function rollupUpserts(source: string, kind: 'readings' | 'sums' = 'readings', granularities: readonly RollupGranularity[] = ALL_ROLLUPS): string {
  return granularities
    .map(
      (name) => `${name.toLowerCase()} as (
  insert into ${rollupTables[name].table} as r
  ${aggregate(source, kind, rollupTables[name].width)}
  on conflict (device_id, bucket) do update set
    readings = r.readings + excluded.readings,
    duration = r.duration + excluded.duration,
    e_real = ${addArrays('r.e_real', 'excluded.e_real')},
    e_reactive = ${addArrays('r.e_reactive', 'excluded.e_reactive')},
    v_rms_sum = ${addArrays('r.v_rms_sum', 'excluded.v_rms_sum')},
    i_rms_sum = ${addArrays('r.i_rms_sum', 'excluded.i_rms_sum')},
    frequency_sum = r.frequency_sum + excluded.frequency_sum,
    frequency_count = r.frequency_count + excluded.frequency_count
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
    coalesce(frequency, 0), (frequency is not null)::int, (hashtext(device_id) & ${PENDING_PARTS - 1})::smallint
  from ${source}
)`;

/**
 * Moves the parked deltas of one partition (`$1`) into the three rollups, in one statement
 * run in the fold's transaction: the deltas are summed per 5-minute bucket once, and HOUR
 * and DAY are summed from those sums (fewer rows) rather than from the deltas again.
 */
export const foldStatement = foldInto(ALL_ROLLUPS);

/**
 * The fold statement into some of the rollups only: bench/ingest/pg-cost.ts `--fold-split`
 * prices each rollup's upserts (with none, the deltas are still deleted and summed).
 */
export function foldInto(granularities: readonly RollupGranularity[]): string {
  const sums = `with deltas as (delete from ${PENDING_TABLE} where part = $1 returning *),
five_minutes_sums as materialized (${aggregate('deltas', 'pending', rollupTables.FIVE_MINUTES.width)})`;
  if (granularities.length === 0) return `${sums}\nselect count(*)::int as folded from deltas, (select count(*) from five_minutes_sums) as sums`;
  return `${sums},\n${rollupUpserts('five_minutes_sums', 'sums', granularities)}\nselect count(*)::int as folded from deltas`;
}

export const isRollup = (granularity: Granularity): boolean => granularity !== 'RAW';
