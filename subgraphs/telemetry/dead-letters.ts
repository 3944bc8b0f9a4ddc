import type { Pool } from 'pg';
import { scopedQuery } from '../../lib/postgres';
import type { TenantScope } from '../../lib/tenant-scope';

export interface DeadLetterItem {
  receivedAt: string;
  topic: string;
  deviceId?: string;
  reason: string;
  detail?: string;
}

/** CONTRACT §4 `ingest deadletters`: newest first. */
export async function listDeadLetters(
  pool: Pool,
  options: { deviceId?: string; limit?: number; scope?: TenantScope } = {},
): Promise<{ items: DeadLetterItem[] }> {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), 1000);
  const rows = await scopedQuery<{ received_at: Date; topic: string; device_id: string | null; reason: string; detail: string | null }>(
    pool,
    options.scope ?? { kind: 'operator' },
    `select received_at, topic, device_id, reason, detail from telemetry.dead_letters
     where ($1::text is null or device_id = $1) order by id desc limit $2`,
    [options.deviceId ?? null, limit],
  );
  return {
    items: rows.map((row) => ({
      receivedAt: row.received_at.toISOString(),
      topic: row.topic,
      ...(row.device_id ? { deviceId: row.device_id } : {}),
      reason: row.reason,
      ...(row.detail ? { detail: row.detail } : {}),
    })),
  };
}

/**
 * Keeps the dead-letter store bounded under a flood of garbage: at most `maxRows` and
 * nothing older than `maxAgeDays`. Runs periodically in the ingestion worker.
 */
export async function pruneDeadLetters(pool: Pool, options: { maxRows: number; maxAgeDays: number }): Promise<number> {
  const { rowCount } = await pool.query(
    `delete from telemetry.dead_letters
     where received_at < now() - make_interval(days => $2)
        or id <= (select id from telemetry.dead_letters order by id desc offset $1 limit 1)`,
    [options.maxRows, options.maxAgeDays],
  );
  return rowCount ?? 0;
}
