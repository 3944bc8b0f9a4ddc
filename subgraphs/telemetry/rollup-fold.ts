import type { Pool } from 'pg';
import { PENDING_TABLE, foldStatement } from './rollups';

/**
 * Folds the parked rollup deltas (see rollups.ts `pendingInsert`) into the rollup tables in
 * one transaction: the delete and the upserts commit together, so a delta is added exactly
 * once whatever crashes when. One folder at a time across workers (a transaction-scoped
 * advisory lock; a busy one is skipped, not waited for). Returns how many deltas it folded.
 */
export async function foldRollups(pool: Pool): Promise<number> {
  const client = await pool.connect();
  const onError = (): void => undefined;
  client.on('error', onError);
  let failure: Error | undefined;
  let folded = 0;
  try {
    await client.query('begin');
    const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_xact_lock(hashtext('telemetry.rollup_fold')) as locked");
    if (rows[0]?.locked) folded = (await client.query<{ folded: number }>(foldStatement)).rows[0]?.folded ?? 0;
    await client.query('commit');
    // autovacuum may be off or slow: the emptied pages are reclaimed here, so the table
    // stays the size of one fold's deltas
    if (folded > 0) await client.query(`vacuum ${PENDING_TABLE}`);
  } catch (error) {
    failure = error as Error;
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    if (!failure) client.off('error', onError);
    client.release(failure);
  }
  return folded;
}
