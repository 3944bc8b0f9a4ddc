import { promisify } from 'node:util';
import zlib from 'node:zlib';

const inflate = promisify(zlib.inflateRaw);

export const MAC_BYTES = 32;

export interface ArchiveRecord {
  payload: Buffer;
  mac: Buffer;
}

/**
 * One compressed blob per batch and tenant: each record is the exact payload followed by
 * its MAC, and a reading row points at (offset, length) of its payload. Compressed on the
 * event loop: a batch holds a blob per tenant, and for small blobs setting up a stream
 * costs more than compressing (bench/micro, 100 blobs of 10 records: 23 µs of CPU per
 * record through the libuv pool, 6 µs synchronously with a 2 KiB window; 50 records: 4.7
 * against 1.7). A 2 KiB window spans several records of ~300 bytes.
 */
const DEFLATE_OPTIONS: zlib.ZlibOptions = { level: 1, windowBits: 11, memLevel: 6 };

export function packArchive(records: readonly ArchiveRecord[]): { blob: Buffer; offsets: number[] } {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const record of records) {
    offsets.push(offset);
    parts.push(record.payload, record.mac);
    offset += record.payload.length + MAC_BYTES;
  }
  return { blob: zlib.deflateRawSync(Buffer.concat(parts, offset), DEFLATE_OPTIONS), offsets };
}

export function unpackArchive(blob: Buffer): Promise<Buffer> {
  return inflate(blob);
}

export function recordAt(raw: Buffer, offset: number, length: number): ArchiveRecord | null {
  if (offset < 0 || length < 0 || offset + length + MAC_BYTES > raw.length) return null;
  return { payload: raw.subarray(offset, offset + length), mac: raw.subarray(offset + length, offset + length + MAC_BYTES) };
}
