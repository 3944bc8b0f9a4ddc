import type { Pool } from 'pg';
import { scopedQuery } from '../../lib/postgres';
import type { TenantScope } from '../../lib/tenant-scope';
import { readFloat8Arrays, sentArrays } from './float8-arrays';
import type { Granularity, ReadingRow } from './reading';
import { bucketExpression, currentRollup, rollupTables } from './rollups';

/** The devices of `deviceIds` a device-restricted token may read; row-level security does the rest. */
export const visibleDevices = (scope: TenantScope, deviceIds: readonly string[]): string[] =>
  scope.kind === 'tenants' && scope.deviceIds ? deviceIds.filter((id) => scope.deviceIds!.includes(id)) : [...deviceIds];

const averageFrequency = (sum: string, count: string): string => `case when ${count} > 0 then ${sum} / ${count} end`;

/** Where a window's rows come from, as SQL: a condition on device_id and the bounds of [from, to). */
export interface WindowSql {
  devices: string;
  from: string;
  to: string;
}

/**
 * The rows of a window in time order per device, as both reads of this store take them:
 * device_id, ts, duration, readings (how many readings a row holds), frequency, and the
 * per-channel arrays e_real, e_reactive, v_rms, i_rms, where V and I are still sums for
 * rollups (divided by `readings` on read). Rollups sum energies and average V, I and f
 * (CONTRACT §5); a rollup row's `duration` is the seconds its readings cover, so
 * `powerW = eReal / duration` stays an average power when readings are missing.
 * FIFTEEN_MINUTES is folded from FIVE_MINUTES; HOUR and DAY are read as they are now
 * (rollups.ts `currentRollup`: buckets marked stale are summed from the finer rollup).
 */
export function windowRows(granularity: Granularity, { devices, from, to }: WindowSql): string {
  if (granularity === 'RAW') {
    return `select device_id, ts, duration, 1 as readings, frequency, e_real, e_reactive, v_rms, i_rms from telemetry.readings
      where ${devices} and ts >= ${from} and ts < ${to} order by device_id, ts, duration`;
  }
  if (granularity === 'FIFTEEN_MINUTES') {
    return `select device_id, ${bucketExpression('15 minutes', 'bucket')} as ts, sum(duration)::int as duration, sum(readings)::int as readings,
        ${averageFrequency('sum(frequency_sum)', 'sum(frequency_count)::int')} as frequency,
        telemetry.sum_arrays(e_real) as e_real, telemetry.sum_arrays(e_reactive) as e_reactive,
        telemetry.sum_arrays(v_rms_sum) as v_rms, telemetry.sum_arrays(i_rms_sum) as i_rms
      from ${rollupTables.FIVE_MINUTES.table} where ${devices} and bucket >= ${from} and bucket < ${to}
      group by 1, 2 order by 1, 2`;
  }
  const [source, order] =
    granularity === 'FIVE_MINUTES'
      ? [`${rollupTables.FIVE_MINUTES.table} where ${devices} and bucket >= ${from} and bucket < ${to}`, 'device_id, bucket']
      : [`(${currentRollup(granularity, { devices, from, to })}) r`, 'bucket, device_id'];
  return `select device_id, bucket as ts, duration, readings, ${averageFrequency('frequency_sum', 'frequency_count')} as frequency,
      e_real, e_reactive, v_rms_sum as v_rms, i_rms_sum as i_rms
    from ${source} order by ${order}`;
}

/** Sums of V or I over a rollup row's readings, as averages (a raw row holds one reading). */
const averaged = (sums: number[], readings: number): number[] => (readings === 1 ? sums : sums.map((sum) => sum / readings));

interface Row {
  device_id: string;
  ts: Date;
  duration: number;
  readings: number;
  frequency: number | null;
  /** e_real, e_reactive, v_rms, i_rms (float8-arrays.ts). */
  arrays: Buffer;
}

/**
 * Readings of several devices in [from, to), grouped by device, in time order, through
 * the caller's tenant scope (row-level security filters other tenants' devices out), as
 * `windowRows` defines them. Window caps per granularity are the caller's (the
 * subgraph's) to enforce.
 */
export async function readings(
  pool: Pool,
  scope: TenantScope,
  deviceIds: readonly string[],
  from: Date,
  to: Date,
  granularity: Granularity = 'RAW',
): Promise<Map<string, ReadingRow[]>> {
  const ids = visibleDevices(scope, deviceIds);
  const result = new Map<string, ReadingRow[]>(deviceIds.map((id) => [id, []]));
  if (ids.length === 0) return result;
  const rows = await scopedQuery<Row>(
    pool,
    scope,
    `select device_id, ts, duration, readings, frequency, ${sentArrays('e_real', 'e_reactive', 'v_rms', 'i_rms')} as arrays
     from (${windowRows(granularity, { devices: 'device_id = any($1::text[])', from: '$2', to: '$3' })}) w order by device_id, ts, duration`,
    [ids, from, to],
  );
  for (const row of rows) {
    const [eReal, eReactive, vRMS, iRMS] = readFloat8Arrays(row.arrays, 4) as [number[], number[], number[], number[]];
    result.get(row.device_id)?.push({
      deviceId: row.device_id,
      timestamp: row.ts,
      duration: row.duration,
      frequency: row.frequency,
      eReal,
      eReactive,
      vRMS: averaged(vRMS, row.readings),
      iRMS: averaged(iRMS, row.readings),
    });
  }
  return result;
}
