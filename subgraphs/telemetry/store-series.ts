import type { Pool } from 'pg';
import { withScope } from '../../lib/postgres';
import type { TenantScope } from '../../lib/tenant-scope';
import { copyBinaryRows } from './copy-binary';
import { readFloat8Columns } from './float8-arrays';
import { optionalColumns, type ChannelColumns, type Granularity, type OptionalColumn, type ReadingColumns, type ReadingRow, type Series } from './reading';
import { readings, visibleDevices, windowRows, type WindowSql } from './store-read';

/**
 * SQLSTATE of `array_agg` meeting arrays of different lengths ("cannot accumulate arrays of
 * different dimensionality"): readings of one window with different channel counts.
 */
const RAGGED_ARRAYS = '2202E';

/**
 * One row per device: its window's columns as float8 arrays (the per-channel ones 2-D,
 * [reading][channel]). Each device's window is aggregated in a lateral subquery over its rows
 * in time order: PostgreSQL feeds a plain aggregate the rows of a sorted subquery in that
 * order when nothing else happens at the aggregate's level (its manual, Aggregate
 * Functions), whereas ordered aggregates (`array_agg(x order by ts)`) sort once per column
 * on PostgreSQL 15.
 */
function seriesSelect(granularity: Granularity, window: WindowSql, wanted: ReadonlySet<OptionalColumn>): string {
  const ifWanted = (column: OptionalColumn, aggregate: string) => (wanted.has(column) ? aggregate : 'null::float8[]');
  const averaged = granularity !== 'RAW' && (wanted.has('vRMS') || wanted.has('iRMS'));
  return `select d.device_id, s.* from unnest(${window.devices}) as d(device_id) cross join lateral (
    select array_agg(date_part('epoch', ts)) as timestamps, array_agg(duration::float8) as durations,
      ${averaged ? 'array_agg(readings::float8)' : 'null::float8[]'} as readings, ${ifWanted('frequency', 'array_agg(frequency)')} as frequency,
      array_agg(e_real) as e_real, ${ifWanted('eReactive', 'array_agg(e_reactive)')} as e_reactive,
      ${ifWanted('vRMS', 'array_agg(v_rms)')} as v_rms, ${ifWanted('iRMS', 'array_agg(i_rms)')} as i_rms
    from (${windowRows(granularity, { ...window, devices: 'device_id = d.device_id' })}) w
  ) s`;
}

export const emptyColumns = (): ReadingColumns => ({ timestamps: [], durations: [], frequency: [], channels: [] });

/**
 * A raw window at least this long is read as two halves at once, on two connections: the
 * database's part of a day's columns (~50 ms wall, most of it one backend aggregating and
 * sending ~470,000 values) is then spread over two cores while the subgraph waits anyway.
 */
export const SPLIT_RAW_WINDOW_MS = 2 * 3_600_000;

/**
 * Readings of several devices in [from, to) as columns (`readingSeries`): the same rows,
 * values, tenant scope and rollup rules as `readings` (store-read.ts), with no JavaScript
 * object per reading. PostgreSQL aggregates each column into one array and COPY sends the
 * arrays in binary. Measured for a day of raw readings with every column (~470,000 values):
 * ~17 ms of CPU here and ~55 ms wall, against ~21 and ~75 for the same arrays base64-encoded
 * in a query result, and ~95 and ~90 for rows. Of the optional columns only those in
 * `columns` are read: each is 17,280 values per channel for that day. A window whose
 * readings differ in channel count cannot be aggregated into 2-D arrays; it is read row by
 * row instead (ingestion keeps a device's channel count, so only data written around it
 * does that).
 */
export async function readingSeries(
  pool: Pool,
  scope: TenantScope,
  deviceIds: readonly string[],
  from: Date,
  to: Date,
  granularity: Granularity = 'RAW',
  columns: readonly OptionalColumn[] = optionalColumns,
): Promise<Map<string, ReadingColumns>> {
  const wanted = new Set(columns);
  const ids = visibleDevices(scope, deviceIds);
  const result = new Map<string, ReadingColumns>(deviceIds.map((id) => [id, emptyColumns()]));
  if (ids.length === 0 || (scope.kind === 'tenants' && scope.tenantIds.length === 0)) return result;
  const split = granularity === 'RAW' && to.getTime() - from.getTime() >= SPLIT_RAW_WINDOW_MS;
  const mid = new Date(from.getTime() + Math.floor((to.getTime() - from.getTime()) / 2_000) * 1_000);
  const windows: [Date, Date][] = split ? [[from, mid], [mid, to]] : [[from, to]];
  try {
    const parts = await Promise.all(windows.map(([start, end]) => readColumns(pool, scope, ids, start, end, granularity, wanted)));
    for (const id of ids) {
      const joined = joinColumns(parts.map((part) => part.get(id)));
      if (!joined) throw Object.assign(new Error('readings of different channel counts'), { code: RAGGED_ARRAYS });
      result.set(id, joined);
    }
  } catch (error) {
    if ((error as { code?: unknown }).code !== RAGGED_ARRAYS) throw error;
    for (const [id, rows] of await readings(pool, scope, ids, from, to, granularity)) result.set(id, columnsOf(rows));
  }
  return result;
}

/** One statement: the devices' columns over [from, to); devices without rows are absent. */
async function readColumns(
  pool: Pool,
  scope: TenantScope,
  ids: readonly string[],
  from: Date,
  to: Date,
  granularity: Granularity,
  wanted: ReadonlySet<OptionalColumn>,
): Promise<Map<string, ReadingColumns>> {
  const rows = await withScope(pool, scope, (client) => {
    const literal = (value: string) => client.escapeLiteral(value);
    const window = { devices: `array[${ids.map(literal).join(', ')}]::text[]`, from: `${literal(from.toISOString())}::timestamptz`, to: `${literal(to.toISOString())}::timestamptz` };
    return copyBinaryRows(client, seriesSelect(granularity, window, wanted));
  });
  return new Map(rows.map(([deviceId, ...fields]) => [deviceId!.toString(), decode(fields, wanted)]));
}

/**
 * Consecutive windows' columns as one; null when they hold different channel counts (read
 * as rows then, as one window whose readings differ would be).
 */
export function joinColumns(parts: readonly (ReadingColumns | undefined)[]): ReadingColumns | null {
  const present = parts.filter((part): part is ReadingColumns => part !== undefined && part.timestamps.length > 0);
  if (present.length <= 1) return present[0] ?? emptyColumns();
  const width = present[0]!.channels.length;
  if (present.some((part) => part.channels.length !== width)) return null;
  const join = (column: (part: ReadingColumns) => Series | undefined): Series | undefined =>
    column(present[0]!) === undefined ? undefined : ([] as Series).concat(...present.map((part) => column(part)!));
  return {
    timestamps: join((part) => part.timestamps)!,
    durations: join((part) => part.durations)!,
    frequency: join((part) => part.frequency),
    channels: present[0]!.channels.map((_, c) => ({
      eReal: join((part) => part.channels[c]!.eReal)!,
      eReactive: join((part) => part.channels[c]!.eReactive),
      vRMS: join((part) => part.channels[c]!.vRMS),
      iRMS: join((part) => part.channels[c]!.iRMS),
    })),
  };
}

const columnsIn = (bytes: Buffer | null | undefined): Series[] => (bytes ? readFloat8Columns(bytes) : []);
const seriesIn = (bytes: Buffer | null | undefined): Series => columnsIn(bytes)[0] ?? [];

/** timestamps, durations, readings, frequency, e_real, e_reactive, v_rms, i_rms (seriesSelect). */
function decode(fields: (Buffer | null)[], wanted: ReadonlySet<OptionalColumn>): ReadingColumns {
  const [timestampsIn, durations, readingsIn, frequency, eRealIn, eReactiveIn, vRMSIn, iRMSIn] = fields;
  const timestamps = seriesIn(timestampsIn);
  const readingsPerRow = readingsIn ? seriesIn(readingsIn) : null;
  const unknown = (): Series => new Array<null>(timestamps.length).fill(null);
  const average = (sums: Series | undefined): Series => {
    if (!sums) return unknown();
    return readingsPerRow ? sums.map((sum, i) => (sum === null ? null : sum / readingsPerRow[i]!)) : sums;
  };
  const optional = (column: OptionalColumn, bytes: Buffer | null | undefined) => (wanted.has(column) ? columnsIn(bytes) : null);
  const [eReactive, vRMS, iRMS] = [optional('eReactive', eReactiveIn), optional('vRMS', vRMSIn), optional('iRMS', iRMSIn)];
  return {
    timestamps,
    durations: seriesIn(durations),
    frequency: wanted.has('frequency') ? seriesIn(frequency) : undefined,
    channels: columnsIn(eRealIn).map((eReal, c) => ({
      eReal,
      eReactive: eReactive ? (eReactive[c] ?? unknown()) : undefined,
      vRMS: vRMS ? average(vRMS[c]) : undefined,
      iRMS: iRMS ? average(iRMS[c]) : undefined,
    })),
  };
}

/** Rows (store-read.ts) as columns; a row without a channel position has null there. */
export function columnsOf(rows: readonly ReadingRow[]): ReadingColumns {
  const width = rows.reduce((widest, row) => Math.max(widest, row.eReal.length), 0);
  const channel = (c: number): ChannelColumns => ({
    eReal: rows.map((row) => row.eReal[c] ?? null),
    eReactive: rows.map((row) => row.eReactive?.[c] ?? null),
    vRMS: rows.map((row) => row.vRMS?.[c] ?? null),
    iRMS: rows.map((row) => row.iRMS?.[c] ?? null),
  });
  return {
    timestamps: rows.map((row) => row.timestamp.getTime() / 1000),
    durations: rows.map((row) => row.duration),
    frequency: rows.map((row) => row.frequency),
    channels: Array.from({ length: width }, (_, c) => channel(c)),
  };
}
