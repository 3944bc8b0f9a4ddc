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
  private offset = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(initialBytes, 64));
    SIGNATURE.copy(this.buffer, 0);
    this.buffer.writeInt32BE(0, SIGNATURE.length); // flags
    this.buffer.writeInt32BE(0, SIGNATURE.length + 4); // header extension length
    this.offset = SIGNATURE.length + 8;
  }

  row(fields: number): this {
    this.reserve(2);
    this.offset = this.buffer.writeInt16BE(fields, this.offset);
    return this;
  }

  null(): this {
    this.reserve(4);
    this.offset = this.buffer.writeInt32BE(-1, this.offset);
    return this;
  }

  text(value: string): this {
    const length = Buffer.byteLength(value);
    this.reserve(4 + length);
    this.offset = this.buffer.writeInt32BE(length, this.offset);
    this.offset += this.buffer.write(value, this.offset, 'utf8');
    return this;
  }

  /** bytea, or any field already in binary form (a uuid's 16 bytes, an encoded array). */
  bytes(value: Buffer): this {
    this.reserve(4 + value.length);
    this.offset = this.buffer.writeInt32BE(value.length, this.offset);
    this.offset += value.copy(this.buffer, this.offset);
    return this;
  }

  int2(value: number): this {
    this.reserve(6);
    this.offset = this.buffer.writeInt32BE(2, this.offset);
    this.offset = this.buffer.writeInt16BE(value, this.offset);
    return this;
  }

  int4(value: number): this {
    this.reserve(8);
    this.offset = this.buffer.writeInt32BE(4, this.offset);
    this.offset = this.buffer.writeInt32BE(value, this.offset);
    return this;
  }

  /** A safe integer as int8. */
  int8(value: number): this {
    this.reserve(12);
    this.offset = this.buffer.writeInt32BE(8, this.offset);
    const high = Math.floor(value / TWO_32);
    this.offset = this.buffer.writeInt32BE(high, this.offset);
    this.offset = this.buffer.writeUInt32BE(value - high * TWO_32, this.offset);
    return this;
  }

  float8(value: number | null): this {
    if (value === null) return this.null();
    this.reserve(12);
    this.offset = this.buffer.writeInt32BE(8, this.offset);
    this.offset = this.buffer.writeDoubleBE(value, this.offset);
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
    const buffer = this.buffer;
    let offset = buffer.writeInt32BE(20 + 12 * count, this.offset);
    offset = buffer.writeInt32BE(1, offset); // dimensions
    offset = buffer.writeInt32BE(0, offset); // has NULLs
    offset = buffer.writeInt32BE(FLOAT8_OID, offset);
    offset = buffer.writeInt32BE(count, offset);
    offset = buffer.writeInt32BE(1, offset); // lower bound
    for (let i = 0; i < count; i += 1) {
      offset = buffer.writeInt32BE(8, offset);
      offset = buffer.writeDoubleBE(values[i]!, offset);
    }
    this.offset = offset;
    return this;
  }

  /** jsonb: a version byte, then the JSON text. */
  jsonb(json: string): this {
    const length = Buffer.byteLength(json);
    this.reserve(5 + length);
    this.offset = this.buffer.writeInt32BE(length + 1, this.offset);
    this.offset = this.buffer.writeUInt8(1, this.offset);
    this.offset += this.buffer.write(json, this.offset, 'utf8');
    return this;
  }

  /** The finished input: the rows so far and the end-of-data marker. */
  finish(): Buffer {
    this.reserve(2);
    this.offset = this.buffer.writeInt16BE(-1, this.offset);
    return this.buffer.subarray(0, this.offset);
  }

  private reserve(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }
}


/** A uuid's text form as its 16 bytes. */
export const uuidField = (uuid: string): Buffer => Buffer.from(uuid.replace(/-/g, ''), 'hex');
