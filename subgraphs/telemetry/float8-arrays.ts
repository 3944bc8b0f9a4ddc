/**
 * The per-channel float8[] columns of a row, sent as one bytea: `array_send(a) ||
 * array_send(b) || ...` (PostgreSQL's binary array format, back to back). A day of raw
 * readings is 400,000 numbers: PostgreSQL printing them as text and node-postgres parsing
 * `{1.5,2.25,...}` character by character took most of the read; copying 8-byte doubles
 * takes a fraction of it (docs/benchmarks.md, Queries).
 */
export const sentArrays = (...columns: string[]): string => columns.map((column) => `array_send(${column})`).join(' || ');

const FLOAT8 = 701;

/**
 * Reads `count` one-dimensional float8 arrays from `bytes`. Each is: ndim, has-nulls flag and
 * element type (int32 each), then for one dimension its length and lower bound, then per
 * element an int32 byte length and the big-endian double. Ingestion stores finite numbers
 * only, so a NULL element is refused like any other malformed value.
 */
export function readFloat8Arrays(bytes: Buffer, count: number): number[][] {
  const arrays: number[][] = [];
  let offset = 0;
  for (let a = 0; a < count; a += 1) {
    const dimensions = bytes.readInt32BE(offset);
    if (dimensions === 0) {
      arrays.push([]);
      offset += 12;
      continue;
    }
    if (dimensions !== 1 || bytes.readInt32BE(offset + 4) !== 0 || bytes.readInt32BE(offset + 8) !== FLOAT8) {
      throw new Error('expected a one-dimensional float8 array without NULLs');
    }
    const length = bytes.readInt32BE(offset + 12);
    const values = new Array<number>(length);
    offset += 20;
    for (let i = 0; i < length; i += 1) {
      values[i] = bytes.readDoubleBE(offset + 4);
      offset += 12;
    }
    arrays.push(values);
  }
  return arrays;
}
