import type { Pool, PoolClient } from 'pg';
import { PENDING_PARTS, PENDING_TABLE, STALE_TABLE, foldStatement, markStale, refreshStatement, rollupTables, type DerivedGranularity } from './rollups';

/**
 * Folds the parked deltas of one partition of the pending table (see rollups.ts
 * `pendingInsert`) into FIVE_MINUTES in one transaction, and marks the hours it added to
 * stale (HOUR and DAY follow through `refreshRollups`): the delete, the upserts and the
 * marks commit together, so a delta is added exactly once whatever crashes when. One folder
 * per partition at a time across workers (a transaction-scoped advisory lock; a busy one is
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
  const folded = await inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_xact_lock(hashtext('telemetry.rollup_fold'), $1) as locked", [part]);
    if (!rows[0]?.locked || !(await takeTurn(client, part, options.unlessFoldedWithinMs ?? 0))) return 0;
    const { rows: hours } = await client.query<{ folded: number; hour: Date; part: number }>(foldStatement, [part]);
    if (hours.length > 0) await client.query(markStale('HOUR'), [hours.map((row) => row.hour), hours.map((row) => row.part)]);
    return hours[0]?.folded ?? 0;
  });
  // autovacuum may be off or slow: the emptied pages are reclaimed here (outside the
  // transaction), so a partition stays the size of one fold's deltas
  if (folded > 0) await pool.query(`vacuum ${PENDING_TABLE}_p${part}`);
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

export interface RefreshOptions {
  /** A bucket is recomputed this long after its end at the earliest (readings of its last seconds still arriving). */
  graceMs?: number;
  /** No recompute is started after this long. */
  budgetMs?: number;
}

const DAY_MS = 86_400_000;

/**
 * Recomputes the HOUR and DAY rows marked stale (rollups.ts `currentRollup`) whose bucket is
 * over, one bucket and part per transaction, hours first, until none is due or the budget is
 * spent; returns how many it recomputed. A mark is locked (`for update skip locked`: workers
 * recomputing at once take different ones), deleted, its rows recomputed from the finer
 * rollup, and for an hour its day marked, in one transaction; a fold adding to the bucket
 * meanwhile marks it again (rollups.ts `markStale`). A day waits until none of its hours is
 * marked. Reads are right whether or not this has run; it keeps them cheap.
 */
export async function refreshRollups(pool: Pool, { graceMs = 120_000, budgetMs = 2_000 }: RefreshOptions = {}): Promise<number> {
  const started = Date.now();
  let refreshed = 0;
  while (Date.now() - started < budgetMs && (await inTransaction(pool, (client) => refreshOne(client, graceMs)))) refreshed += 1;
  return refreshed;
}

async function refreshOne(client: PoolClient, graceMs: number): Promise<boolean> {
  const due = (width: string) => `bucket + interval '${width}' <= now() - make_interval(secs => $1::float8 / 1000)`;
  const { rows } = await client.query<{ granularity: DerivedGranularity; bucket: Date; part: number }>(
    `select granularity, bucket, part from ${STALE_TABLE} s
     where (granularity = 'HOUR' and ${due(rollupTables.HOUR.width)})
        or (granularity = 'DAY' and ${due(rollupTables.DAY.width)} and not exists (select from ${STALE_TABLE} h
              where h.granularity = 'HOUR' and h.part = s.part and h.bucket >= s.bucket and h.bucket < s.bucket + interval '${rollupTables.DAY.width}'))
     order by granularity desc, bucket, part limit 1 for update skip locked`,
    [graceMs],
  );
  const mark = rows[0];
  if (!mark) return false;
  await client.query(`delete from ${STALE_TABLE} where granularity = $1 and bucket = $2 and part = $3`, [mark.granularity, mark.bucket, mark.part]);
  await client.query(refreshStatement(mark.granularity), [mark.bucket, mark.part]);
  // buckets are aligned to the unix epoch (rollups.ts bucketExpression): a day is a UTC day
  if (mark.granularity === 'HOUR') await client.query(markStale('DAY'), [[new Date(Math.floor(mark.bucket.getTime() / DAY_MS) * DAY_MS)], [mark.part]]);
  return true;
}

/**
 * Runs `work` in a transaction on a connection of its own. A connection killed meanwhile
 * (database restart) fails the work instead of the process, and is discarded rather than
 * handed to the next caller.
 */
async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const onError = (): void => undefined;
  client.on('error', onError);
  let failure: Error | undefined;
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    failure = error as Error;
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    // keeping the listener on a failed connection for its last words
    if (!failure) client.off('error', onError);
    client.release(failure);
  }
}
