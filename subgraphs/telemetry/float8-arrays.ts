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
 * only, so a NULL element is refused like any other malformed value. The has-nulls flag is
 * not: a slice of an array with NULLs keeps the flag without holding any (rollups.ts
 * `sumArrays` writes such arrays for devices of fewer than 12 channels; they stay until a
 * later batch adds to the bucket).
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
    if (dimensions !== 1 || bytes.readInt32BE(offset + 8) !== FLOAT8) throw new Error('expected a one-dimensional float8 array');
    const mayHoldNulls = bytes.readInt32BE(offset + 4) !== 0;
    const length = bytes.readInt32BE(offset + 12);
    const values = new Array<number>(length);
    offset += 20;
    for (let i = 0; i < length; i += 1) {
      if (mayHoldNulls && bytes.readInt32BE(offset) !== 8) throw new Error('expected a float8 array without NULLs');
      values[i] = bytes.readDoubleBE(offset + 4);
      offset += 12;
    }
    arrays.push(values);
  }
  return arrays;
}

/**
 * Reads one float8 array of one or two dimensions (`array_send`, NULLs allowed) as columns:
 * a 1-D array is one column, a 2-D array [n][c] is c columns of n, column j holding element
 * [i][j] at position i. An empty array is no column. A DataView reads a day of readings
 * (400,000 doubles) in about 4 ms, Buffer's readDoubleBE in about 9.
 */
export function readFloat8Columns(bytes: Buffer): (number | null)[][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dimensions = view.getInt32(0);
  if (dimensions === 0) return [];
  if (dimensions > 2 || view.getInt32(8) !== FLOAT8) throw new Error('expected a float8 array of one or two dimensions');
  const hasNulls = view.getInt32(4) !== 0;
  const rows = view.getInt32(12);
  const width = dimensions === 2 ? view.getInt32(20) : 1;
  const columns = Array.from({ length: width }, () => new Array<number | null>(rows));
  let offset = 12 + 8 * dimensions;
  for (let i = 0; i < rows; i += 1) {
    for (let j = 0; j < width; j += 1) {
      if (hasNulls && view.getInt32(offset) === -1) {
        columns[j]![i] = null;
        offset += 4;
      } else {
        columns[j]![i] = view.getFloat64(offset + 4);
        offset += 12;
      }
    }
  }
  return columns;
}
