import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/** PGCOPY\n\377\r\n\0, then int32 flags and the int32 length of a header extension. */
const SIGNATURE_LENGTH = 11;

/**
 * Runs `select` as `COPY (...) TO STDOUT (FORMAT binary)` and returns its rows, each a list
 * of fields in PostgreSQL's binary send format (null for NULL). Large values arrive as raw
 * bytes: no text encoding on the server, no string for node-postgres to build and decode.
 * COPY takes no bind parameters, so values go into `select` as escaped literals.
 */
export async function copyBinaryRows(client: PoolClient, select: string): Promise<(Buffer | null)[][]> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyTo(`copy (${select}) to stdout with (format binary)`))) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  let offset = SIGNATURE_LENGTH + 8 + bytes.readInt32BE(SIGNATURE_LENGTH + 4);
  const rows: (Buffer | null)[][] = [];
  for (let fields = bytes.readInt16BE(offset); fields !== -1; fields = bytes.readInt16BE(offset)) {
    offset += 2;
    const row: (Buffer | null)[] = [];
    for (let f = 0; f < fields; f += 1) {
      const length = bytes.readInt32BE(offset);
      offset += 4;
      row.push(length < 0 ? null : bytes.subarray(offset, offset + length));
      offset += Math.max(length, 0);
    }
    rows.push(row);
  }
  return rows;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** PostgreSQL's epoch (2000-01-01) in unix seconds. */
const PG_EPOCH_SECONDS = 946_684_800;
const FLOAT8_OID = 701;
const TWO_32 = 4_294_967_296;

/**
 * Builds the input of `COPY ... FROM STDIN WITH (FORMAT binary)`: rows of fields in
 * PostgreSQL's binary receive format. Numbers go in as IEEE doubles and integers rather
 * than text, so neither side formats or parses them (measured: the text COPY's number
 * formatting was the worker's largest self time). Callers validate values first: the
 * encoder writes what it is given, and the server checks only the types.
 */
export class BinaryCopyWriter {
  private buffer: Buffer;
  /**
   * The same bytes, for the fixed-size fields: DataView's big-endian setters compile to a
   * store or two, where Buffer's writeInt32BE and writeDoubleBE go byte by byte (measured
   * by `node dist/bench/micro/run.js`, copyRows: 20-34 → 2.2 ns per float8 field; a
   * batch's readings and deltas 5.2-7.3 → 1.3-2.2 µs per reading).
   */
  private view: DataView;
  private offset = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(initialBytes, 64));
    this.view = viewOf(this.buffer);
    SIGNATURE.copy(this.buffer, 0);
    this.view.setInt32(SIGNATURE.length, 0); // flags
    this.view.setInt32(SIGNATURE.length + 4, 0); // header extension length
    this.offset = SIGNATURE.length + 8;
  }

  row(fields: number): this {
    this.reserve(2);
    this.view.setInt16(this.offset, fields);
    this.offset += 2;
    return this;
  }

  null(): this {
    this.reserve(4);
    this.view.setInt32(this.offset, -1);
    this.offset += 4;
    return this;
  }

  text(value: string): this {
    const length = Buffer.byteLength(value);
    this.reserve(4 + length);
    this.view.setInt32(this.offset, length);
    this.offset += 4 + this.buffer.write(value, this.offset + 4, 'utf8');
    return this;
  }

  /** bytea, or any field already in binary form (a uuid's 16 bytes, an encoded array). */
  bytes(value: Buffer): this {
    this.reserve(4 + value.length);
    this.view.setInt32(this.offset, value.length);
    this.offset += 4 + value.copy(this.buffer, this.offset + 4);
    return this;
  }

  int2(value: number): this {
    this.reserve(6);
    const { view, offset } = this;
    view.setInt32(offset, 2);
    view.setInt16(offset + 4, value);
    this.offset = offset + 6;
    return this;
  }

  int4(value: number): this {
    this.reserve(8);
    const { view, offset } = this;
    view.setInt32(offset, 4);
    view.setInt32(offset + 4, value);
    this.offset = offset + 8;
    return this;
  }

  /** A safe integer as int8. */
  int8(value: number): this {
    this.reserve(12);
    const { view, offset } = this;
    const high = Math.floor(value / TWO_32);
    view.setInt32(offset, 8);
    view.setInt32(offset + 4, high);
    view.setUint32(offset + 8, value - high * TWO_32);
    this.offset = offset + 12;
    return this;
  }

  float8(value: number | null): this {
    if (value === null) return this.null();
    this.reserve(12);
    const { view, offset } = this;
    view.setInt32(offset, 8);
    view.setFloat64(offset + 4, value);
    this.offset = offset + 12;
    return this;
  }

  /** timestamptz from milliseconds since the unix epoch (whole milliseconds). */
  timestamptz(unixMs: number): this {
    return this.int8((unixMs - PG_EPOCH_SECONDS * 1000) * 1000);
  }

  /** float8[] (one dimension, no NULLs): written in place, no intermediate buffer. */
  float8Array(values: readonly number[]): this {
    const count = values.length;
    this.reserve(24 + 12 * count);
    const view = this.view;
    let offset = this.offset;
    view.setInt32(offset, 20 + 12 * count);
    view.setInt32(offset + 4, 1); // dimensions
    view.setInt32(offset + 8, 0); // has NULLs
    view.setInt32(offset + 12, FLOAT8_OID);
    view.setInt32(offset + 16, count);
    view.setInt32(offset + 20, 1); // lower bound
    offset += 24;
    for (let i = 0; i < count; i += 1) {
      view.setInt32(offset, 8);
      view.setFloat64(offset + 4, values[i]!);
      offset += 12;
    }
    this.offset = offset;
    return this;
  }

  /** jsonb: a version byte, then the JSON text. */
  jsonb(json: string): this {
    const length = Buffer.byteLength(json);
    this.reserve(5 + length);
    this.view.setInt32(this.offset, length + 1);
    this.buffer[this.offset + 4] = 1;
    this.offset += 5 + this.buffer.write(json, this.offset + 5, 'utf8');
    return this;
  }

  /** The finished input: the rows so far and the end-of-data marker. */
  finish(): Buffer {
    this.reserve(2);
    this.view.setInt16(this.offset, -1);
    this.offset += 2;
    return this.buffer.subarray(0, this.offset);
  }

  private reserve(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
    this.view = viewOf(grown);
  }
}

const viewOf = (buffer: Buffer): DataView => new DataView(buffer.buffer, buffer.byteOffset, buffer.length);

/** A uuid's text form as its 16 bytes. */
export const uuidField = (uuid: string): Buffer => Buffer.from(uuid.replace(/-/g, ''), 'hex');
