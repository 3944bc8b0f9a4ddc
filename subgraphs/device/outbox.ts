import type { Pool, PoolClient } from 'pg';
import { publishEvent, type PlatformEvent } from '../../lib/events';
import type { Logger } from '../../lib/logger';
import type { Redis } from '../../lib/redis';

/** Notified when events are committed, so the relay neither polls nor waits. */
const OUTBOX_CHANNEL = 'device_outbox';

/**
 * Records events inside the caller's transaction (its scope's row-level security applies):
 * they reach the event stream if and only if the change they announce commits.
 */
export async function enqueueEvents(client: PoolClient, events: readonly PlatformEvent[]): Promise<void> {
  if (events.length === 0) return;
  await client.query(
    `with added as (insert into device.outbox (tenant_id, event) select * from unnest($1::uuid[], $2::jsonb[]) returning 1)
     select pg_notify('${OUTBOX_CHANNEL}', '') from added limit 1`,
    [
      events.map((event) => event.tenantId),
      events.map((event) => JSON.stringify(event)),
    ],
  );
}

const BATCH = 500;

/**
 * Moves outbox rows to the stream. Rows are locked (skip locked: replicas relay in
 * parallel) and deleted only after XADD succeeded; a crash in between relays them twice,
 * which consumers tolerate (webhook deliveries are unique per event id).
 */
export async function relayOutbox(pool: Pool, redis: Redis): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ id: string; event: PlatformEvent }>(
      'select id, event from device.outbox order by id limit $1 for update skip locked',
      [BATCH],
    );
    for (const row of rows) await publishEvent(redis, row.event);
    if (rows.length) await client.query('delete from device.outbox where id = any($1::bigint[])', [rows.map((row) => row.id)]);
    await client.query('commit');
    return rows.length;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Relays on every commit notification (LISTEN on a connection of its own), and on a slow
 * backstop timer for anything a lost notification left behind (a reconnect, a crash of
 * the replica that was relaying). Idle, it sends no statement at all.
 */
export async function startOutboxRelay(pool: Pool, redis: Redis, logger: Logger, backstopMs = 60_000): Promise<{ stop(): Promise<void> }> {
  const listener = await pool.connect();
  listener.on('error', (error) => logger.warn({ err: error }, 'device: outbox listener lost; relaying on the backstop timer'));
  await listener.query(`listen ${OUTBOX_CHANNEL}`);
  let running = true;
  let current: Promise<void> | null = null;
  let again = false;
  const kick = () => {
    if (!running) return;
    if (current) {
      again = true;
      return;
    }
    current = (async () => {
      while (running && (await relayOutbox(pool, redis)) === BATCH);
    })()
      .catch((error: unknown) => logger.warn({ err: error }, 'device: outbox not relayed, will retry'))
      .finally(() => {
        current = null;
        if (again) {
          again = false;
          kick();
        }
      });
  };
  listener.on('notification', kick);
  const timer = setInterval(kick, backstopMs);
  kick();
  return {
    async stop() {
      running = false;
      clearInterval(timer);
      await current;
      listener.release(true);
    },
  };
}
