import type { Pool } from 'pg';

export interface WorkerSession {
  clientId: string;
  /** Shared-subscription group the session is a member of. */
  group: string;
  region: string;
  sessionExpirySeconds: number;
  startedAt: Date;
  /** Last heartbeat (every HEARTBEAT_MS while the worker runs). */
  seenAt: Date;
  /** When it stopped cleanly (null while it runs, or after a crash). */
  stoppedAt: Date | null;
}

export const HEARTBEAT_MS = 60_000;
/** A worker seen this recently is taken to be running. */
export const ALIVE_WITHIN_MS = 2 * HEARTBEAT_MS + 10_000;

/** Running: not stopped, and heard of within ALIVE_WITHIN_MS (a crashed worker falls silent). */
export const isRunning = (worker: WorkerSession, now = Date.now()): boolean => worker.stoppedAt === null && now - worker.seenAt.getTime() < ALIVE_WITHIN_MS;

/** Records a worker's session (`started`: it has just connected) or its heartbeat. */
export async function recordWorker(pool: Pool, session: Pick<WorkerSession, 'clientId' | 'group' | 'region' | 'sessionExpirySeconds'>, started: boolean): Promise<void> {
  await pool.query(
    `insert into telemetry.ingest_workers (client_id, share_group, region, session_expiry_seconds, started_at, seen_at)
     values ($1, $2, $3, $4, now(), now())
     on conflict (client_id) do update set share_group = excluded.share_group, region = excluded.region,
       session_expiry_seconds = excluded.session_expiry_seconds, seen_at = now(), stopped_at = null,
       started_at = case when $5 then now() else telemetry.ingest_workers.started_at end`,
    [session.clientId, session.group, session.region, session.sessionExpirySeconds, started],
  );
}

/** Every recorded worker session, most recently seen first; with `clientId`, that one only. */
export async function listWorkers(pool: Pool, clientId?: string): Promise<WorkerSession[]> {
  const { rows } = await pool.query<{ client_id: string; share_group: string; region: string; session_expiry_seconds: number; started_at: Date; seen_at: Date; stopped_at: Date | null }>(
    `select client_id, share_group, region, session_expiry_seconds, started_at, seen_at, stopped_at from telemetry.ingest_workers
     where $1::text is null or client_id = $1 order by seen_at desc, client_id`,
    [clientId ?? null],
  );
  return rows.map((row) => ({
    clientId: row.client_id,
    group: row.share_group,
    region: row.region,
    sessionExpirySeconds: row.session_expiry_seconds,
    startedAt: row.started_at,
    seenAt: row.seen_at,
    stoppedAt: row.stopped_at,
  }));
}

/** A clean stop: the session stays with the broker (and goes on collecting its share). */
export async function recordStopped(pool: Pool, clientId: string): Promise<void> {
  await pool.query('update telemetry.ingest_workers set stopped_at = now(), seen_at = now() where client_id = $1', [clientId]);
}

export async function forgetWorker(pool: Pool, clientId: string): Promise<void> {
  await pool.query('delete from telemetry.ingest_workers where client_id = $1', [clientId]);
}
