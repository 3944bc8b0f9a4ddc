import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { createPool } from '../../lib/postgres';
import { BinaryCopyWriter } from '../../subgraphs/telemetry/copy-binary';
import { testConfig } from '../helpers/config';

const pool = createPool(testConfig().DATABASE_URL, { service: 'copy-binary-test', max: 1 });
afterAll(() => pool.end());

describe('BinaryCopyWriter', () => {
  it('writes per-channel float8 arrays that PostgreSQL reads back exactly, whatever their length', async () => {
    const arrays = [[0.1], [1150, 2, 38, -560, 37, -14], Array.from({ length: 12 }, (_, i) => (i - 6) * 1234.5678 + 1e-9), [-0, 1e300, -2.5e-300]];
    const writer = new BinaryCopyWriter(64);
    arrays.forEach((values, i) => writer.row(3).int4(i).float8Array(values).float8(values.length));
    const client = await pool.connect();
    try {
      await client.query('create temporary table channel_arrays (n int, a float8[], c float8)');
      await pipeline(Readable.from([writer.finish()]), client.query(copyFrom('copy channel_arrays from stdin with (format binary)')));
      const { rows } = await client.query<{ a: number[]; c: number; dims: string }>('select a, c, array_dims(a) as dims from channel_arrays order by n');
      expect(rows.map((row) => row.a)).toEqual(arrays);
      expect(rows.map((row) => row.dims)).toEqual(arrays.map((values) => `[1:${values.length}]`));
    } finally {
      client.release();
    }
  });
});
