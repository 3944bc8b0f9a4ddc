import { promisify } from 'node:util';
import zlib from 'node:zlib';

const deflate = promisify(zlib.deflateRaw);
const inflate = promisify(zlib.inflateRaw);

export const MAC_BYTES = 32;

export interface ArchiveRecord {
  payload: Buffer;
  mac: Buffer;
}

/**
 * One compressed blob per batch and tenant: each record is the exact payload followed by
 * its MAC, and a reading row points at (offset, length) of its payload. Compressing a
 * batch at once runs on the libuv pool and shrinks a 6-channel payload from ~270 bytes to
 * well under 100 (per-row deflate measured ~20 µs per message on the event loop).
 */
export async function packArchive(records: readonly ArchiveRecord[]): Promise<{ blob: Buffer; offsets: number[] }> {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const record of records) {
    offsets.push(offset);
    parts.push(record.payload, record.mac);
    offset += record.payload.length + MAC_BYTES;
  }
  return { blob: await deflate(Buffer.concat(parts, offset), { level: 1 }), offsets };
}

export function unpackArchive(blob: Buffer): Promise<Buffer> {
  return inflate(blob);
}

export function recordAt(raw: Buffer, offset: number, length: number): ArchiveRecord | null {
  if (offset < 0 || length < 0 || offset + length + MAC_BYTES > raw.length) return null;
  return { payload: raw.subarray(offset, offset + length), mac: raw.subarray(offset + length, offset + length + MAC_BYTES) };
}
