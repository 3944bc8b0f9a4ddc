import type { Pool } from 'pg';
import { loadDeviceKeys } from '../device/ingest/device-keys';
import { macMatches } from '../device/ingest/mac';
import { recordAt, unpackArchive, type ArchiveCodec } from './archive';

export interface VerifyMismatch {
  timestamp: string;
  duration: number;
  /** `archive-missing`, `mac` (archived bytes or MAC altered) or the columns that differ from the signed message */
  reason: string;
}

interface StoredRow {
  ts: Date;
  duration: number;
  boot_seq: string;
  seq: string;
  frequency: number | null;
  e_real: number[];
  e_reactive: number[];
  v_rms: number[];
  i_rms: number[];
  mac: Buffer;
  archive_id: string;
  archive_offset: number;
  archive_length: number;
}

const PAGE = 5000;

/**
 * Tamper detection on stored data (`telemetry verify`): every reading of the device in
 * [from, to) is re-derived from its archived signed bytes, whose MAC must verify with the
 * device's data key (current or previous), and compared column by column. Runs with the
 * operator's rights; pages through the range so that memory stays flat.
 */
export async function verifyTelemetry(
  pool: Pool,
  masterKey: Buffer,
  options: { deviceId: string; from: Date; to: Date },
): Promise<{ checked: number; mismatches: VerifyMismatch[] }> {
  const keys = (await loadDeviceKeys(pool, masterKey, [options.deviceId], { anyPreviousKey: true })).get(options.deviceId);
  const mismatches: VerifyMismatch[] = [];
  let checked = 0;
  let after = new Date(options.from.getTime() - 1);
  let afterDuration = -1;
  for (;;) {
    const { rows } = await pool.query<StoredRow>(
      `select ts, duration, boot_seq, seq, frequency, e_real, e_reactive, v_rms, i_rms, mac, archive_id, archive_offset, archive_length
       from telemetry.readings
       where device_id = $1 and ts >= $2 and ts < $3 and (ts, duration) > ($4, $5)
       order by ts, duration limit ${PAGE}`,
      [options.deviceId, options.from, options.to, after, afterDuration],
    );
    if (rows.length === 0) break;
    const archives = await loadArchives(pool, [...new Set(rows.map((row) => row.archive_id))]);
    for (const row of rows) {
      checked += 1;
      const reason = check(row, archives.get(row.archive_id), keys?.dataKeys ?? []);
      if (reason) mismatches.push({ timestamp: row.ts.toISOString(), duration: row.duration, reason });
    }
    const last = rows[rows.length - 1]!;
    after = last.ts;
    afterDuration = last.duration;
    if (rows.length < PAGE) break;
  }
  return { checked, mismatches };
}

async function loadArchives(pool: Pool, ids: string[]): Promise<Map<string, Buffer>> {
  const { rows } = await pool.query<{ id: string; blob: Buffer; codec: ArchiveCodec }>('select id, blob, codec from telemetry.archive where id = any($1::int8[])', [ids]);
  // a blob that no longer unpacks (altered in the database) leaves its rows 'archive-missing'
  const unpacked = await Promise.all(rows.map(async (row) => [row.id, await unpackArchive(row.blob, row.codec).catch(() => null)] as const));
  return new Map(unpacked.filter((entry): entry is readonly [string, Buffer] => entry[1] !== null));
}

function check(row: StoredRow, raw: Buffer | undefined, dataKeys: Buffer[]): string | null {
  const record = raw ? recordAt(raw, row.archive_offset, row.archive_length) : null;
  if (!record) return 'archive-missing';
  if (!record.mac.equals(row.mac) || !macMatches(dataKeys, record.payload, record.mac)) return 'mac';
  let signed: Record<string, unknown>;
  try {
    signed = JSON.parse(record.payload.toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'mac';
  }
  const differing = [
    ['timestamp', signed.timestamp === row.ts.getTime() / 1000],
    ['duration', signed.duration === row.duration],
    ['bootSeq', String(signed.bootSeq) === row.boot_seq],
    ['seq', String(signed.seq) === row.seq],
    ['frequency', (signed.frequency ?? null) === row.frequency],
    ['eReal', sameNumbers(signed.eReal, row.e_real)],
    ['eReactive', sameNumbers(signed.eReactive, row.e_reactive)],
    ['vRMS', sameNumbers(signed.vRMS, row.v_rms)],
    ['iRMS', sameNumbers(signed.iRMS, row.i_rms)],
  ]
    .filter(([, same]) => !same)
    .map(([name]) => name);
  return differing.length ? differing.join(',') : null;
}

function sameNumbers(signed: unknown, stored: number[]): boolean {
  return Array.isArray(signed) && signed.length === stored.length && signed.every((value, i) => value === stored[i]);
}
