import { promisify } from 'node:util';
import zlib from 'node:zlib';

const inflate = promisify(zlib.inflateRaw);

export const MAC_BYTES = 32;

export interface ArchiveRecord {
  payload: Buffer;
  mac: Buffer;
}

/**
 * How an archive blob's bytes are laid out (`telemetry.archive.codec`): `none`, the records
 * as they are (PostgreSQL compresses the column with lz4); `deflate-raw`, compressed by the
 * worker (short blobs, and every blob written before migration 1764979200000).
 */
export type ArchiveCodec = 'none' | 'deflate-raw';

/**
 * Blobs at least this long go to PostgreSQL as they are: a row over TOAST_TUPLE_THRESHOLD
 * (~2 KB, fixed at PostgreSQL's build; `toast_tuple_target` does not lower it, measured)
 * has its long values compressed there (lz4). Shorter ones PostgreSQL would keep raw.
 */
export const POSTGRES_COMPRESSES_FROM = 2048;

/** Compression of the blobs the worker deflates (short ones; all of them until 2026-11-27): level 1, a 2 KiB window. */
export const ARCHIVE_DEFLATE_OPTIONS: zlib.ZlibOptions = { level: 1, windowBits: 11, memLevel: 6 };

/**
 * One blob per batch and tenant: each record is the exact payload followed by its MAC, and
 * a reading row points at (offset, length) of its payload. Compressed by PostgreSQL (lz4)
 * when it is long enough for PostgreSQL to do so, by the worker (deflate) otherwise. Under
 * load nearly every blob is long (100 tenants, batches of 5,000: ~50 records each), and the
 * worker's deflate of them was 10 % of its CPU in a 100,000-device profile, 4.6 µs per
 * record on the benchmark VM, for blobs 12-28 % smaller than lz4's (docs/benchmarks.md,
 * runs of 2026-11-27 03:31-04:46; `node dist/bench/micro/run.js`, "archive").
 */
export function packArchive(records: readonly ArchiveRecord[]): { blob: Buffer; offsets: number[]; codec: ArchiveCodec } {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const record of records) {
    offsets.push(offset);
    parts.push(record.payload, record.mac);
    offset += record.payload.length + MAC_BYTES;
  }
  const raw = Buffer.concat(parts, offset);
  if (raw.length >= POSTGRES_COMPRESSES_FROM) return { blob: raw, offsets, codec: 'none' };
  return { blob: zlib.deflateRawSync(raw, ARCHIVE_DEFLATE_OPTIONS), offsets, codec: 'deflate-raw' };
}

/** The records of a stored blob, whichever codec wrote it. */
export async function unpackArchive(blob: Buffer, codec: ArchiveCodec): Promise<Buffer> {
  if (codec === 'none') return blob;
  if (codec === 'deflate-raw') return inflate(blob);
  throw new Error(`archive codec ${String(codec)} unknown`);
}

export function recordAt(raw: Buffer, offset: number, length: number): ArchiveRecord | null {
  if (offset < 0 || length < 0 || offset + length + MAC_BYTES > raw.length) return null;
  return { payload: raw.subarray(offset, offset + length), mac: raw.subarray(offset + length, offset + length + MAC_BYTES) };
}
