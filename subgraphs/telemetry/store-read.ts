import type { Pool } from 'pg';
import { scopedQuery } from '../../lib/postgres';
import type { TenantScope } from '../../lib/tenant-scope';
import { readFloat8Arrays, sentArrays } from './float8-arrays';
import type { Granularity, ReadingRow } from './reading';
import { bucketExpression, rollupTables } from './rollups';

interface RollupRow {
  device_id: string;
  bucket: Date;
  readings: number;
  duration: number;
  /** e_real, e_reactive, v_rms_sum, i_rms_sum (float8-arrays.ts). */
  arrays: Buffer;
  frequency_sum: number;
  frequency_count: number;
}

/**
 * Readings of several devices in [from, to), grouped by device, in time order, through
 * the caller's tenant scope (row-level security filters other tenants' devices out).
 * Rollups sum energies and average V, I and f (CONTRACT §5); a rollup row's `duration` is
 * the seconds its readings cover, so `powerW = eReal / duration` stays an average power
 * when readings are missing. FIFTEEN_MINUTES is folded from FIVE_MINUTES. Window caps per
 * granularity are the caller's (the subgraph's) to enforce.
 */
export async function readings(
  pool: Pool,
  scope: TenantScope,
  deviceIds: readonly string[],
  from: Date,
  to: Date,
  granularity: Granularity = 'RAW',
): Promise<Map<string, ReadingRow[]>> {
  const ids = scope.kind === 'tenants' && scope.deviceIds ? deviceIds.filter((id) => scope.deviceIds!.includes(id)) : [...deviceIds];
  const result = new Map<string, ReadingRow[]>(deviceIds.map((id) => [id, []]));
  if (ids.length === 0) return result;
  const rows = granularity === 'RAW' ? await raw(pool, scope, ids, from, to) : await rolledUp(pool, scope, ids, from, to, granularity);
  for (const row of rows) result.get(row.deviceId)?.push(row);
  return result;
}

async function raw(pool: Pool, scope: TenantScope, ids: string[], from: Date, to: Date): Promise<ReadingRow[]> {
  const rows = await scopedQuery<{
    device_id: string;
    ts: Date;
    duration: number;
    frequency: number | null;
    arrays: Buffer;
  }>(
    pool,
    scope,
    `select device_id, ts, duration, frequency, ${sentArrays('e_real', 'e_reactive', 'v_rms', 'i_rms')} as arrays from telemetry.readings
     where device_id = any($1::text[]) and ts >= $2 and ts < $3 order by device_id, ts, duration`,
    [ids, from, to],
  );
  return rows.map((row) => {
    const [eReal, eReactive, vRMS, iRMS] = readFloat8Arrays(row.arrays, 4) as [number[], number[], number[], number[]];
    return { deviceId: row.device_id, timestamp: row.ts, duration: row.duration, frequency: row.frequency, eReal, eReactive, vRMS, iRMS };
  });
}

async function rolledUp(pool: Pool, scope: TenantScope, ids: string[], from: Date, to: Date, granularity: Exclude<Granularity, 'RAW'>) {
  const source = granularity === 'FIFTEEN_MINUTES' ? rollupTables.FIVE_MINUTES.table : rollupTables[granularity].table;
  const sql =
    granularity === 'FIFTEEN_MINUTES'
      ? `select device_id, ${bucketExpression('15 minutes', 'bucket')} as bucket, sum(readings)::int as readings, sum(duration)::int as duration,
           ${sentArrays('telemetry.sum_arrays(e_real)', 'telemetry.sum_arrays(e_reactive)', 'telemetry.sum_arrays(v_rms_sum)', 'telemetry.sum_arrays(i_rms_sum)')} as arrays,
           sum(frequency_sum) as frequency_sum, sum(frequency_count)::int as frequency_count
         from ${source} where device_id = any($1::text[]) and bucket >= $2 and bucket < $3
         group by 1, 2 order by 1, 2`
      : `select device_id, bucket, readings, duration, ${sentArrays('e_real', 'e_reactive', 'v_rms_sum', 'i_rms_sum')} as arrays, frequency_sum, frequency_count
         from ${source} where device_id = any($1::text[]) and bucket >= $2 and bucket < $3 order by device_id, bucket`;
  const rows = await scopedQuery<RollupRow>(pool, scope, sql, [ids, from, to]);
  return rows.map((row): ReadingRow => {
    const [eReal, eReactive, vRMSSum, iRMSSum] = readFloat8Arrays(row.arrays, 4) as [number[], number[], number[], number[]];
    return {
      deviceId: row.device_id,
      timestamp: row.bucket,
      duration: row.duration,
      frequency: row.frequency_count > 0 ? row.frequency_sum / row.frequency_count : null,
      eReal,
      eReactive,
      vRMS: vRMSSum.map((sum) => sum / row.readings),
      iRMS: iRMSSum.map((sum) => sum / row.readings),
    };
  });
}
