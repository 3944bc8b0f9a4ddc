import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { packArchive, type ArchiveCodec } from './archive';
import { BinaryCopyWriter, uuidField } from './copy-binary';
import { readingKey, type DeadLetter, type IncomingReading } from './reading';
import { MAX_CHANNELS, PENDING_COLUMNS, PENDING_PARTS, PENDING_TABLE, markStaleHours, pendingInsert, rollupUpserts } from './rollups';

export type Outcome = 'stored' | 'duplicate' | 'replay';

/** How far back a (bootSeq, seq) is looked up; older readings are refused as stale anyway. */
export const REPLAY_LOOKBACK_MS = 8 * 86_400_000;

/** Dead-lettered payloads are cut to this size: enough to investigate, bounded under a flood. */
export const DEAD_LETTER_PAYLOAD_BYTES = 2048;

const columns =
  'device_id, ts, duration, tenant_id, region, boot_seq, seq, frequency, e_real, e_reactive, v_rms, i_rms, extra, received_at, mac, archive_id, archive_offset, archive_length';

const stagingReady = new WeakSet<PoolClient>();

export interface WriteOptions {
  /**
   * Park the rollup sums of the inserted rows in telemetry.rollup_pending (folded later by
   * foldRollups) instead of upserting FIVE_MINUTES (and marking its hours for HOUR and
   * DAY, rollups.ts currentRollup) here: under load a device appears
   * once per batch, so folding many batches at once upserts each bucket once per fold
   * instead of once per reading. Small batches keep the rollups in step with the readings.
   */
  deferRollups?: boolean;
}

/**
 * Writes one batch in one transaction: archive blobs, readings (COPY into a temporary
 * table, then INSERT ... ON CONFLICT DO NOTHING so that a redelivery stores nothing twice),
 * the rollups (or their deferred deltas) from exactly the inserted rows, and dead letters
 * (including replays found here). Returns the outcome of each reading, in order; the caller
 * acknowledges the messages only after this resolves.
 */
export async function writeBatch(
  pool: Pool,
  readings: readonly IncomingReading[],
  deadLetters: readonly DeadLetter[],
  options: WriteOptions = {},
): Promise<Outcome[]> {
  const outcomes: (Outcome | undefined)[] = new Array(readings.length);
  const deferRollups = options.deferRollups ?? false;
  // every reading above its device's high-water mark (a warm worker's every batch): none
  // repeats another's (bootSeq, seq), and one repeating another's interval fails the direct
  // COPY, whose fallback below dedupes; so the direct path goes first, without the dedupe
  const everyFresh = deferRollups && readings.length > 0 && readings.every((reading) => reading.fresh);
  const client = await pool.connect();
  // a connection killed mid-batch (database restart) fails the batch instead of the process
  const onError = (): void => undefined;
  client.on('error', onError);
  let failure: Error | undefined;
  try {
    let done = false;
    if (everyFresh) {
      await client.query('begin');
      done = await storeDirect(client, readings, packByTenant(readings, readings.map((_, i) => i)));
      if (done) outcomes.fill('stored');
    }
    if (!done) {
      const candidates = dedupeWithinBatch(readings, outcomes);
      await classifySuspects(client, readings, candidates, outcomes);
      const toStore = candidates.filter((i) => outcomes[i] === undefined);
      const archives = packByTenant(readings, toStore);
      if (!everyFresh) await client.query('begin');
      // every reading left new and the rollups parked: COPY straight into the tables; should
      // one conflict after all (another worker stored a redelivered copy), the savepoint
      // undoes it and the staged path sorts it out
      const direct = !everyFresh && deferRollups && toStore.length > 0 && toStore.every((i) => readings[i]!.fresh);
      if (direct && (await storeDirect(client, readings, archives))) {
        for (const i of toStore) outcomes[i] = 'stored';
      } else if (toStore.length > 0) {
        await prepareStaging(client);
        const archiveIds = await insertArchives(client, archives);
        await copyRows(client, readings, archives, archiveIds);
        const inserted = await insertReadings(client, deferRollups);
        const conflicts = toStore.filter((i) => {
          const reading = readings[i]!;
          const isNew = inserted.has(readingKey(reading.deviceId, reading.timestamp, reading.duration));
          if (isNew) outcomes[i] = 'stored';
          return !isNew;
        });
        await classifyConflicts(client, readings, conflicts, outcomes);
      }
    }
    const replays = readings.filter((_, i) => outcomes[i] === 'replay').map(replayLetter);
    await insertDeadLetters(client, [...deadLetters, ...replays]);
    await client.query('commit');
  } catch (error) {
    failure = error as Error;
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    // a failed connection is discarded (keeping the listener for its last words) rather
    // than handed to the next batch
    if (!failure) client.off('error', onError);
    client.release(failure);
  }
  return outcomes.map((outcome) => outcome ?? 'duplicate');
}

/** A second copy in the same batch is a duplicate when its bytes match, a replay otherwise. */
function dedupeWithinBatch(readings: readonly IncomingReading[], outcomes: (Outcome | undefined)[]): number[] {
  const byInterval = new Map<string, number>();
  const bySequence = new Map<string, number>();
  const candidates: number[] = [];
  readings.forEach((reading, i) => {
    const interval = readingKey(reading.deviceId, reading.timestamp, reading.duration);
    const sequence = `${reading.deviceId}|${reading.bootSeq}|${reading.seq}`;
    const first = byInterval.get(interval) ?? bySequence.get(sequence);
    if (first !== undefined) {
      outcomes[i] = readings[first]!.mac.equals(reading.mac) ? 'duplicate' : 'replay';
      return;
    }
    byInterval.set(interval, i);
    bySequence.set(sequence, i);
    candidates.push(i);
  });
  return candidates;
}

/** Readings not above their device's high-water mark: is that (bootSeq, seq) stored already? */
async function classifySuspects(client: PoolClient, readings: readonly IncomingReading[], candidates: number[], outcomes: (Outcome | undefined)[]) {
  const suspects = candidates.filter((i) => !readings[i]!.fresh);
  if (suspects.length === 0) return;
  const { rows } = await client.query<{ key: string; mac: Buffer }>(
    `select r.device_id || '|' || r.boot_seq || '|' || r.seq as key, r.mac
     from telemetry.readings r
     join unnest($1::text[], $2::int8[], $3::int8[]) as s(device_id, boot_seq, seq) using (device_id, boot_seq, seq)
     where r.ts >= $4`,
    [
      suspects.map((i) => readings[i]!.deviceId),
      suspects.map((i) => readings[i]!.bootSeq),
      suspects.map((i) => readings[i]!.seq),
      new Date(Date.now() - REPLAY_LOOKBACK_MS),
    ],
  );
  const stored = new Map(rows.map((row) => [row.key, row.mac]));
  for (const i of suspects) {
    const reading = readings[i]!;
    const mac = stored.get(`${reading.deviceId}|${reading.bootSeq}|${reading.seq}`);
    if (mac) outcomes[i] = mac.equals(reading.mac) ? 'duplicate' : 'replay';
  }
}

/** The same interval stored already (by another batch or worker): same bytes, or a replay. */
async function classifyConflicts(client: PoolClient, readings: readonly IncomingReading[], conflicts: number[], outcomes: (Outcome | undefined)[]) {
  if (conflicts.length === 0) return;
  const { rows } = await client.query<{ key: string; mac: Buffer }>(
    `select r.device_id || '|' || extract(epoch from r.ts)::int8 || '|' || r.duration as key, r.mac
     from telemetry.readings r
     join unnest($1::text[], $2::float8[], $3::int2[]) as s(device_id, t, duration)
       on r.device_id = s.device_id and r.ts = to_timestamp(s.t) and r.duration = s.duration`,
    [conflicts.map((i) => readings[i]!.deviceId), conflicts.map((i) => readings[i]!.timestamp), conflicts.map((i) => readings[i]!.duration)],
  );
  const stored = new Map(rows.map((row) => [row.key, row.mac]));
  for (const i of conflicts) {
    const reading = readings[i]!;
    const mac = stored.get(readingKey(reading.deviceId, reading.timestamp, reading.duration));
    outcomes[i] = mac && !mac.equals(reading.mac) ? 'replay' : 'duplicate';
  }
}

interface TenantArchive {
  tenantId: string;
  indexes: number[];
  offsets: number[];
  blob: Buffer;
  codec: ArchiveCodec;
}

function packByTenant(readings: readonly IncomingReading[], toStore: number[]): TenantArchive[] {
  const groups = new Map<string, number[]>();
  for (const i of toStore) {
    const tenantId = readings[i]!.tenantId;
    const group = groups.get(tenantId);
    if (group) group.push(i);
    else groups.set(tenantId, [i]);
  }
  return [...groups].map(([tenantId, indexes]) => {
    const { blob, offsets, codec } = packArchive(indexes.map((i) => readings[i]!));
    return { tenantId, indexes, offsets, blob, codec };
  });
}

async function prepareStaging(client: PoolClient): Promise<void> {
  if (stagingReady.has(client)) return;
  await client.query('create temporary table if not exists staging_readings (like telemetry.readings) on commit delete rows');
  stagingReady.add(client);
}

/**
 * The archive rows of a batch, by binary COPY: the blobs go over as they are. As bind
 * parameters they went as hex text inside a text array, which PostgreSQL parsed again
 * (array_in and hex_decode: 2.3 % of its CPU under load, perf). COPY returns nothing, so
 * the ids are drawn from the sequence first.
 */
async function insertArchives(client: PoolClient, archives: TenantArchive[]): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string }>("select nextval('telemetry.archive_id_seq') as id from generate_series(1, $1)", [archives.length]);
  const ids = new Map<string, string>();
  let bytes = 0;
  for (const archive of archives) bytes += archive.blob.length + 64;
  const copy = new BinaryCopyWriter(bytes);
  archives.forEach((archive, n) => {
    const id = rows[n]!.id;
    ids.set(archive.tenantId, id);
    copy.row(5).int8(Number(id)).bytes(uuidField(archive.tenantId)).int4(archive.indexes.length).bytes(archive.blob).text(archive.codec);
  });
  await copyIn(client, 'copy telemetry.archive (id, tenant_id, messages, blob, codec) from stdin with (format binary)', copy.finish());
  return ids;
}

/** COPY text format; every value is validated before it gets here (ids, numbers, arrays). */
async function copyRows(client: PoolClient, readings: readonly IncomingReading[], archives: TenantArchive[], archiveIds: Map<string, string>) {
  const lines: string[] = [];
  for (const archive of archives) {
    const archiveId = archiveIds.get(archive.tenantId)!;
    archive.indexes.forEach((i, n) => {
      const r = readings[i]!;
      lines.push(
        [
          r.deviceId,
          new Date(r.timestamp * 1000).toISOString(),
          r.duration,
          r.tenantId,
          r.region,
          r.bootSeq,
          r.seq,
          r.frequency ?? '\\N',
          `{${r.eReal.join(',')}}`,
          `{${r.eReactive.join(',')}}`,
          `{${r.vRMS.join(',')}}`,
          `{${r.iRMS.join(',')}}`,
          r.extra ? JSON.stringify(r.extra) : '\\N',
          r.receivedAt.toISOString(),
          `\\\\x${r.mac.toString('hex')}`,
          archiveId,
          archive.offsets[n],
          r.payload.length,
        ].join('\t'),
      );
    });
  }
  await copyIn(client, `copy staging_readings (${columns}) from stdin`, `${lines.join('\n')}\n`);
}

const UNIQUE_VIOLATION = '23505';

/**
 * The fast path: the archive rows, then the readings and their parked rollup deltas each
 * in one binary COPY (the per-channel values written into both: arrays, and a column per
 * channel for the deltas), inside a savepoint.
 * Returns false, with the savepoint rolled back, when a reading's interval is stored
 * already.
 */
async function storeDirect(client: PoolClient, readings: readonly IncomingReading[], archives: TenantArchive[]): Promise<boolean> {
  await client.query('savepoint direct');
  try {
    const archiveIds = await insertArchives(client, archives);
    // in key order, as the staged path inserts: two workers storing the same redelivered
    // readings then wait on each other in one order (the later gets the unique violation)
    // instead of deadlocking
    const placed = archives.flatMap((archive) => {
      const tenant = uuidField(archive.tenantId);
      const archiveId = Number(archiveIds.get(archive.tenantId));
      return archive.indexes.map((i, n) => ({ r: readings[i]!, tenant, archiveId, offset: archive.offsets[n]! }));
    });
    placed.sort((a, b) => (a.r.deviceId < b.r.deviceId ? -1 : a.r.deviceId > b.r.deviceId ? 1 : a.r.timestamp - b.r.timestamp || a.r.duration - b.r.duration));
    const { rows, deltas } = encodeRows(placed);
    await copyIn(client, `copy telemetry.readings (${columns}) from stdin with (format binary)`, rows);
    await copyIn(client, `copy ${PENDING_TABLE} (${PENDING_COLUMNS.join(', ')}) from stdin with (format binary)`, deltas);
    await client.query('release savepoint direct');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await client.query('rollback to savepoint direct');
    return false;
  }
}

/** A reading placed in its tenant's archive blob. */
export interface PlacedReading {
  r: IncomingReading;
  /** The tenant id's 16 bytes. */
  tenant: Buffer;
  archiveId: number;
  offset: number;
}

/** The binary COPY input of the readings and of their parked rollup deltas. */
export function encodeRows(placed: readonly PlacedReading[]): { rows: Buffer; deltas: Buffer } {
  // sized for six channels, so that the writers seldom grow (each growth copies what is
  // written: measured 2 % of the worker's CPU with small first buffers)
  const rows = new BinaryCopyWriter(placed.length * ROW_BYTES);
  const deltas = new BinaryCopyWriter(placed.length * DELTA_BYTES);
  for (const { r, tenant, archiveId, offset } of placed) {
    const tsMs = r.timestamp * 1000;
    rows.row(18).text(r.deviceId).timestamptz(tsMs).int2(r.duration).bytes(tenant).text(r.region).int8(r.bootSeq).int8(r.seq).float8(r.frequency);
    rows.float8Array(r.eReal).float8Array(r.eReactive).float8Array(r.vRMS).float8Array(r.iRMS);
    if (r.extra) rows.jsonb(JSON.stringify(r.extra));
    else rows.null();
    rows.timestamptz(r.receivedAt.getTime()).bytes(r.mac).int8(archiveId).int4(offset).int4(r.payload.length);
    deltas.row(PENDING_COLUMNS.length).text(r.deviceId).timestamptz(tsMs).bytes(tenant).int4(1).int4(r.duration).int2(r.eReal.length);
    channelColumns(deltas, r.eReal);
    channelColumns(deltas, r.eReactive);
    channelColumns(deltas, r.vRMS);
    channelColumns(deltas, r.iRMS);
    deltas.float8(r.frequency ?? 0).int4(r.frequency === null ? 0 : 1).int2(pendingPart(r.deviceId));
  }
  return { rows: rows.finish(), deltas: deltas.finish() };
}

/** About the bytes of a six-channel reading's row in the readings COPY, and of its delta's row in the deltas COPY. */
const ROW_BYTES = 600;
const DELTA_BYTES = 500;

/** One per-channel value of a parked delta: its channels' values, then NULL in the unused columns. */
function channelColumns(writer: BinaryCopyWriter, values: readonly number[]): void {
  for (let i = 0; i < MAX_CHANNELS; i += 1) writer.float8(i < values.length ? values[i]! : null);
}

/** Runs a `COPY ... FROM STDIN` with all of its input at hand (text or binary format). */
async function copyIn(client: PoolClient, statement: string, data: Buffer | string): Promise<void> {
  await pipeline(Readable.from([data]), client.query(copyFrom(statement)));
}

/**
 * The pending partition of a device's deltas on the direct path (FNV-1a of the id). The
 * staged path's SQL uses hashtext: the two need not agree, since a fold adds deltas into
 * the rollups whichever partition holds them; a device's deltas meeting in one partition
 * only saves upserts.
 */
export function pendingPart(deviceId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i += 1) hash = Math.imul(hash ^ deviceId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % PENDING_PARTS;
}

async function insertReadings(client: PoolClient, deferRollups: boolean): Promise<Set<string>> {
  const { rows } = await client.query<{ key: string }>(
    `with ins as (
       insert into telemetry.readings (${columns})
       select ${columns} from staging_readings order by device_id, ts
       on conflict do nothing
       returning device_id, ts, duration, tenant_id, frequency, e_real, e_reactive, v_rms, i_rms
     ),
     ${deferRollups ? pendingInsert('ins') : rollupUpserts('ins', 'readings', ['FIVE_MINUTES'])}
     select device_id || '|' || extract(epoch from ts)::int8 || '|' || duration as key from ins`,
  );
  // HOUR and DAY follow FIVE_MINUTES through marks, in a statement of its own (rollups.ts
  // markStale: the marks are locked after the rollup rows, as the fold locks them); a
  // staged row that was not inserted only marks an hour once more
  if (!deferRollups && rows.length > 0) await client.query(markStaleHours('staging_readings', 'ts'));
  return new Set(rows.map((row) => row.key));
}

function replayLetter(reading: IncomingReading): DeadLetter {
  return {
    receivedAt: reading.receivedAt,
    topic: reading.topic,
    deviceId: reading.deviceId,
    tenantId: reading.tenantId,
    reason: 'replay',
    detail: `bootSeq ${reading.bootSeq} seq ${reading.seq} was already stored with other content`,
    payload: reading.payload,
  };
}

async function insertDeadLetters(client: PoolClient, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await client.query(
    `insert into telemetry.dead_letters (received_at, topic, device_id, tenant_id, reason, detail, payload_size, payload)
     select * from unnest($1::timestamptz[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::int[], $8::bytea[])`,
    [
      letters.map((l) => l.receivedAt),
      letters.map((l) => l.topic.replace(/\0/g, '')),
      letters.map((l) => l.deviceId),
      letters.map((l) => l.tenantId),
      letters.map((l) => l.reason),
      letters.map((l) => l.detail?.replace(/\0/g, '').slice(0, 500) ?? null),
      letters.map((l) => l.payload.length),
      letters.map((l) => l.payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES)),
    ],
  );
}
