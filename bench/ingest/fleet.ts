import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { sealSecret } from '../../lib/master-key';

/**
 * Registers the benchmark fleet straight into device.keys (what the worker reads), in
 * chunks; tenants are spread so that batches carry several tenants, as in production.
 */
export async function provisionFleet(pool: Pool, masterKey: Buffer, options: { region: string; devices: number; tenants: number; channels: number }) {
  const tenants: string[] = [];
  for (let i = 0; i < options.tenants; i += 1) {
    const { rows } = await pool.query<{ id: string }>('insert into tenancy.tenants (name, region) values ($1, $2) returning id', [
      `bench-${options.region}-${i}`,
      options.region,
    ]);
    tenants.push(rows[0]!.id);
  }
  const ids: string[] = [];
  for (let done = 0; done < options.devices; done += 5000) {
    const count = Math.min(5000, options.devices - done);
    const { rows } = await pool.query<{ id: string }>(
      "select 'D' || lpad(nextval('fleet.device_number')::text, 12, '0') as id from generate_series(1, $1)",
      [count],
    );
    const chunk = rows.map((row) => row.id);
    await pool.query(
      `insert into device.keys (device_id, tenant_id, region, channel_count, data_key, maintenance_key)
       select * from unnest($1::text[], $2::uuid[], $3::text[], $4::int2[], $5::text[], $6::text[])`,
      [
        chunk,
        chunk.map((_, i) => tenants[(done + i) % tenants.length]),
        chunk.map(() => options.region),
        chunk.map(() => options.channels),
        chunk.map(() => sealSecret(masterKey, 'device-data-key', crypto.randomBytes(32))),
        chunk.map(() => sealSecret(masterKey, 'device-maintenance-key', crypto.randomBytes(32))),
      ],
    );
    ids.push(...chunk);
  }
  return ids;
}
