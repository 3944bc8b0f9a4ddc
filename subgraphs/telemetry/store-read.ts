import type { Pool } from 'pg';
import { scopedQuery } from '../../lib/postgres';
import type { TenantScope } from '../../lib/tenant-scope';
import type { Granularity, ReadingRow } from './reading';
import { bucketExpression, rollupTables } from './rollups';

interface RollupRow {
  device_id: string;
  bucket: Date;
  readings: number;
  duration: number;
  e_real: number[];
  e_reactive: number[];
  v_rms_sum: number[];
  i_rms_sum: number[];
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
    e_real: number[];
    e_reactive: number[];
    v_rms: number[];
    i_rms: number[];
  }>(
    pool,
    scope,
    `select device_id, ts, duration, frequency, e_real, e_reactive, v_rms, i_rms from telemetry.readings
     where device_id = any($1::text[]) and ts >= $2 and ts < $3 order by device_id, ts, duration`,
    [ids, from, to],
  );
  return rows.map((row) => ({
    deviceId: row.device_id,
    timestamp: row.ts,
    duration: row.duration,
    frequency: row.frequency,
    eReal: row.e_real,
    eReactive: row.e_reactive,
    vRMS: row.v_rms,
    iRMS: row.i_rms,
  }));
}

async function rolledUp(pool: Pool, scope: TenantScope, ids: string[], from: Date, to: Date, granularity: Exclude<Granularity, 'RAW'>) {
  const source = granularity === 'FIFTEEN_MINUTES' ? rollupTables.FIVE_MINUTES.table : rollupTables[granularity].table;
  const sql =
    granularity === 'FIFTEEN_MINUTES'
      ? `select device_id, ${bucketExpression('15 minutes', 'bucket')} as bucket, sum(readings)::int as readings, sum(duration)::int as duration,
           telemetry.sum_arrays(e_real) as e_real, telemetry.sum_arrays(e_reactive) as e_reactive,
           telemetry.sum_arrays(v_rms_sum) as v_rms_sum, telemetry.sum_arrays(i_rms_sum) as i_rms_sum,
           sum(frequency_sum) as frequency_sum, sum(frequency_count)::int as frequency_count
         from ${source} where device_id = any($1::text[]) and bucket >= $2 and bucket < $3
         group by 1, 2 order by 1, 2`
      : `select device_id, bucket, readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count
         from ${source} where device_id = any($1::text[]) and bucket >= $2 and bucket < $3 order by device_id, bucket`;
  const rows = await scopedQuery<RollupRow>(pool, scope, sql, [ids, from, to]);
  return rows.map(
    (row): ReadingRow => ({
      deviceId: row.device_id,
      timestamp: row.bucket,
      duration: row.duration,
      frequency: row.frequency_count > 0 ? row.frequency_sum / row.frequency_count : null,
      eReal: row.e_real,
      eReactive: row.e_reactive,
      vRMS: row.v_rms_sum.map((sum) => sum / row.readings),
      iRMS: row.i_rms_sum.map((sum) => sum / row.readings),
    }),
  );
}
