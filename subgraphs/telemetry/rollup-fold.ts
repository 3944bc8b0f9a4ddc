import type { Pool, PoolClient } from 'pg';
import { PENDING_PARTS, PENDING_TABLE, foldStatement } from './rollups';

/**
 * Folds the parked deltas of one partition of the pending table (see rollups.ts
 * `pendingInsert`) into the rollup tables in one transaction: the delete and the upserts
 * commit together, so a delta is added exactly once whatever crashes when. One folder per
 * partition at a time across workers (a transaction-scoped advisory lock; a busy one is
 * skipped, not waited for). Without `part`, every partition in turn. With
 * `unlessFoldedWithinMs`, a partition folded that recently (by any worker) is skipped: the
 * workers' timers then keep one cadence between them. Returns how many deltas it folded.
 */
export async function foldRollups(pool: Pool, part?: number, options: { unlessFoldedWithinMs?: number } = {}): Promise<number> {
  if (part === undefined) {
    let folded = 0;
    for (let p = 0; p < PENDING_PARTS; p += 1) folded += await foldRollups(pool, p);
    return folded;
  }
  const client = await pool.connect();
  const onError = (): void => undefined;
  client.on('error', onError);
  let failure: Error | undefined;
  let folded = 0;
  try {
    await client.query('begin');
    const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_xact_lock(hashtext('telemetry.rollup_fold'), $1) as locked", [part]);
    if (rows[0]?.locked && (await takeTurn(client, part, options.unlessFoldedWithinMs ?? 0))) {
      folded = (await client.query<{ folded: number }>(foldStatement, [part])).rows[0]?.folded ?? 0;
    }
    await client.query('commit');
    // autovacuum may be off or slow: the emptied pages are reclaimed here, so a partition
    // stays the size of one fold's deltas
    if (folded > 0) await client.query(`vacuum ${PENDING_TABLE}_p${part}`);
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

/** Records this fold of `part` unless one happened within `withinMs` (in the fold's transaction). */
async function takeTurn(client: PoolClient, part: number, withinMs: number): Promise<boolean> {
  const { rowCount } = await client.query(
    "update telemetry.rollup_fold_turns set folded_at = now() where part = $1 and folded_at <= now() - make_interval(secs => $2::float8 / 1000)",
    [part, withinMs],
  );
  return rowCount === 1;
}
