import type { Pool } from 'pg';

/**
 * Daily partitions from yesterday to `daysAhead` days ahead (UTC). Rows outside them still
 * land in the default partition and move when their day is created.
 */
export async function ensurePartitions(pool: Pool, now: Date = new Date(), daysAhead = 2): Promise<number> {
  const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  const { rows } = await pool.query<{ created: number }>('select telemetry.ensure_partitions($1::date, $2) as created', [
    yesterday,
    daysAhead + 2,
  ]);
  return rows[0]?.created ?? 0;
}
