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
