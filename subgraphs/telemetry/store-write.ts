import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { packArchive, type ArchiveCodec } from './archive';
import { BinaryCopyWriter, uuidField } from './copy-binary';
import { readingKey, type DeadLetter, type IncomingReading, type SequenceMark } from './reading';
import { MAX_CHANNELS, PENDING_COLUMNS, PENDING_PARTS, PENDING_TABLE, STALE_TABLE, bucketExpression, markStaleHours, partOf, pendingInsert, rollupTables, rollupUpserts } from './rollups';

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
  /**
   * Filled with the high-water mark of each device whose readings were looked up (not
   * fresh: `IncomingReading.fresh`): its highest stored (bootSeq, seq) before this batch, or
   * null when it had none. The worker's sequence window takes it up, and the pairs of the
   * looked-up readings the batch stored (`SequenceWindow.settle`).
   */
  marks?: Map<string, SequenceMark | null>;
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
      await classifySuspects(client, readings, candidates, outcomes, options.marks);
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

/**
 * Readings not above their device's high-water mark (or whose device's mark the worker does
 * not know yet): is that (bootSeq, seq) stored already, and with which MAC? Without an index
 * of the readings by sequence (migration 1765238400000_sequence-ranges): the rollups carry
 * each bucket's (bootSeq, seq) range, so a folded reading is found through the recomputed
 * hours whose range holds the pair (an index) and the 5-minute buckets of hours marked stale
 * (not recomputed since readings were added: `currentRollup` reads them the same way), then in
 * those buckets' readings by the primary key; a reading not folded yet through its parked
 * delta. One statement, one snapshot: a fold or a recompute meanwhile is seen whole or not at
 * all. The same statement reports each device's highest stored pair (`marks`).
 */
async function classifySuspects(
  client: PoolClient,
  readings: readonly IncomingReading[],
  candidates: number[],
  outcomes: (Outcome | undefined)[],
  marks: Map<string, SequenceMark | null> | undefined,
) {
  const suspects = candidates.filter((i) => !readings[i]!.fresh);
  if (suspects.length === 0) return;
  const { rows } = await client.query<{ key: string | null; mac: Buffer | null; device_id: string | null; high: string[] | null }>(SUSPECTS_STATEMENT, [
    suspects.map((i) => readings[i]!.deviceId),
    suspects.map((i) => readings[i]!.bootSeq),
    suspects.map((i) => readings[i]!.seq),
    new Date(Date.now() - REPLAY_LOOKBACK_MS),
  ]);
  const stored = new Map<string, Buffer>();
  for (const row of rows) {
    if (row.key !== null) stored.set(row.key, row.mac!);
    else marks?.set(row.device_id!, markOf(row.high));
  }
  for (const i of suspects) {
    const reading = readings[i]!;
    const mac = stored.get(`${reading.deviceId}|${reading.bootSeq}|${reading.seq}`);
    if (mac) outcomes[i] = mac.equals(reading.mac) ? 'duplicate' : 'replay';
  }
}

const FIVE_MINUTES = rollupTables.FIVE_MINUTES.table;
const HOUR = rollupTables.HOUR.table;
const hourOf = (since: string): string => bucketExpression(rollupTables.HOUR.width, `${since}::timestamptz`);
/** `range` (a FIVE_MINUTES or HOUR row) holds the pair (`pair`.boot_seq, `pair`.seq). */
const holds = (range: string, pair: string): string =>
  `${range}.seq_high >= array[${pair}.boot_seq, ${pair}.seq] and ${range}.seq_low <= array[${pair}.boot_seq, ${pair}.seq]`;

/** `alias`.device_id's FIVE_MINUTES rows (`f`) in the hour starting at `hour` (SQL). */
const inHour = (alias: string, hour: string): string =>
  `f.device_id = ${alias}.device_id and f.bucket >= ${hour} and f.bucket < ${hour} + interval '${rollupTables.HOUR.width}'`;

/** The hours marked stale since `since` (SQL): their HOUR rows may lag their FIVE_MINUTES rows. */
const staleHours = (since: string): string => `select bucket as hour, part from ${STALE_TABLE} where granularity = 'HOUR' and bucket >= ${hourOf(since)}`;

/**
 * The highest (bootSeq, seq) stored for `alias`.device_id since `since` (SQL): from the
 * recomputed hours (the index's last entry), the 5-minute buckets of the hours marked stale
 * (`stale`: a CTE of `staleHours`), and the parked deltas (`parkedHigh`: the device's, as SQL,
 * from a join: a subquery per device would scan them all each time).
 */
const storedHigh = (alias: string, since: string, stale: string, parkedHigh: string): string => `greatest(
    (select h.seq_high from ${HOUR} h
     where h.device_id = ${alias}.device_id and h.seq_high is not null and h.bucket >= ${hourOf(since)}
     order by h.seq_high desc limit 1),
    (select max(f.seq_high) from ${stale} sh join ${FIVE_MINUTES} f on ${inHour(alias, 'sh.hour')}
     where sh.part = ${partOf(`${alias}.device_id`)}),
    ${parkedHigh}
  )`;

/** The highest (bootSeq, seq) of each device among `parked` (device_id, boot_seq, seq), as (device_id, high). */
const parkedHighs = (parked: string): string => `select device_id, max(array[boot_seq, seq]) as high from ${parked} group by 1`;

/**
 * `classifySuspects`: $1-$3 the suspects' (device_id, boot_seq, seq), $4 the look-back's
 * start. Every step is a lateral look-up by a device's key, kept from being flattened into
 * the join (`offset 0`), so that no plan can choose to scan a table instead: without fresh
 * statistics one sorted the day's readings for a merge join (0.8 s for 600,000 readings;
 * bench/ingest/pg-cost.ts `lookUp`).
 */
const SUSPECTS_STATEMENT = `with s as materialized (
  select * from unnest($1::text[], $2::int8[], $3::int8[]) as s(device_id, boot_seq, seq)
),
parked as materialized (
  select p.device_id, p.bucket as ts, p.duration, p.boot_seq, p.seq from ${PENDING_TABLE} p
  where p.device_id in (select device_id from s)
),
stale as materialized (${staleHours('$4')}),
buckets as (
  select s.device_id, s.boot_seq, s.seq, f.bucket
  from s
  cross join lateral (
    select h.bucket from ${HOUR} h where h.device_id = s.device_id and h.bucket >= ${hourOf('$4')} and ${holds('h', 's')} offset 0
  ) h
  cross join lateral (select f.bucket from ${FIVE_MINUTES} f where ${inHour('s', 'h.bucket')} and ${holds('f', 's')} offset 0) f
  union
  select s.device_id, s.boot_seq, s.seq, f.bucket
  from s
  join stale sh on sh.part = ${partOf('s.device_id')}
  cross join lateral (select f.bucket from ${FIVE_MINUTES} f where ${inHour('s', 'sh.hour')} and ${holds('f', 's')} offset 0) f
),
hits as (
  select b.device_id, b.boot_seq, b.seq, r.mac
  from buckets b
  cross join lateral (
    select r.mac from telemetry.readings r
    where r.device_id = b.device_id and r.ts >= b.bucket and r.ts < b.bucket + interval '${rollupTables.FIVE_MINUTES.width}' and r.ts >= $4
      and r.boot_seq = b.boot_seq and r.seq = b.seq offset 0
  ) r
  union
  select p.device_id, p.boot_seq, p.seq, r.mac
  from s join parked p using (device_id, boot_seq, seq)
  cross join lateral (
    select r.mac from telemetry.readings r where r.device_id = p.device_id and r.ts = p.ts and r.duration = p.duration and r.ts >= $4 offset 0
  ) r
)
select device_id || '|' || boot_seq || '|' || seq as key, mac, null as device_id, null::int8[] as high from hits
union all
select null, null, d.device_id, ${storedHigh('d', '$4', 'stale', 'ph.high')}
from (select distinct device_id from s) d
left join (${parkedHighs('parked')}) ph using (device_id)`;

/**
 * The high-water mark of every device of `region` (`+`: all) in storage: its highest
 * (bootSeq, seq) within the replay look-back, folded or parked, or null for none. One
 * statement (one snapshot, so a fold or a recompute meanwhile is seen whole or not at all);
 * the worker loads them before it subscribes, so that a warm worker's first readings go
 * straight to storage (measured at 100,000 devices: looking every device's first reading up
 * put the worker seconds behind at the start of a run, and it stayed behind).
 */
export async function storedMarks(pool: Pool, region: string): Promise<Map<string, SequenceMark | null>> {
  const { rows } = await pool.query<{ device_id: string; high: string[] | null }>(
    `with stale as materialized (${staleHours('$2')})
     select k.device_id, ${storedHigh('k', '$2', 'stale', 'ph.high')} as high
     from device.keys k
     left join (${parkedHighs(PENDING_TABLE)}) ph using (device_id)
     where $1 = '+' or k.region = $1`,
    [region, new Date(Date.now() - REPLAY_LOOKBACK_MS)],
  );
  return new Map(rows.map((row) => [row.device_id, markOf(row.high)]));
}

const markOf = (high: string[] | null): SequenceMark | null => (high ? { bootSeq: Number(high[0]), seq: Number(high[1]) } : null);

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
    deltas.float8(r.frequency ?? 0).int4(r.frequency === null ? 0 : 1).int2(pendingPart(r.deviceId)).int8(r.bootSeq).int8(r.seq);
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
       returning device_id, ts, duration, tenant_id, boot_seq, seq, frequency, e_real, e_reactive, v_rms, i_rms
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
