import type { Pool } from 'pg';

/**
 * Synthetic history written straight into the tables the telemetry subgraph reads: the
 * query benchmark measures reads, and a year of data cannot be ingested (readings older
 * than the replay look-back are refused as stale). The archive reference points at one
 * placeholder blob: `telemetry verify` would rightly report these rows. Values have the
 * precision devices send (and the simulator publishes): whole joules, volts to 0.1, amperes
 * to 0.001, hertz to 0.01, so response sizes are those of real data.
 */
export async function seedDay(pool: Pool, deviceId: string, tenantId: string, dayStart: Date): Promise<void> {
  await pool.query('select telemetry.ensure_partitions($1::date, 1)', [dayStart.toISOString().slice(0, 10)]);
  const archive = await pool.query<{ id: string }>("insert into telemetry.archive (tenant_id, messages, blob) values ($1, 0, '\\x') returning id", [tenantId]);
  await pool.query(
    `insert into telemetry.readings (device_id, ts, duration, tenant_id, region, boot_seq, seq, frequency, e_real, e_reactive, v_rms, i_rms,
       received_at, mac, archive_id, archive_offset, archive_length)
     select $1, $3::timestamptz + make_interval(secs => i * 5), 5, $2, 'au', 1, i, round((50 + random() * 0.1)::numeric, 2),
       array[round(1000 + random() * 500), round(random() * 10), round(30 + random() * 10), round(-500 - random() * 100), round(35 + random()), round(-10 - random())],
       array[round(-800 - random() * 100), -20, -360, 60, 45, -4],
       array[244.9, 244.8, 244.8, 244.9, 244.8, 244.8], array[1.26, 0.03, 0.31, 2.1, 0.15, 0.06],
       now(), '\\x00', $4, 0, 0
     from generate_series(0, 17279) as i`,
    [deviceId, tenantId, dayStart, archive.rows[0]!.id],
  );
}

export async function seedYearOfHours(pool: Pool, deviceId: string, tenantId: string, yearStart: Date): Promise<void> {
  await pool.query(
    `insert into telemetry.rollups_hour (device_id, bucket, tenant_id, readings, duration, e_real, e_reactive, v_rms_sum, i_rms_sum, frequency_sum, frequency_count)
     select $1, $3::timestamptz + make_interval(hours => h), $2, 720, 3600,
       array[4.1e6, 3.6e4, 1.2e5, -1.9e6, 1.3e5, -4e4], array[-3e6, -7e4, -1.3e6, 2.2e5, 1.6e5, -1.4e4],
       array[176000, 176000, 176000, 176000, 176000, 176000], array[907, 20, 223, 1512, 108, 43], 36000, 720
     from generate_series(0, 365 * 24 - 1) as h`,
    [deviceId, tenantId, yearStart],
  );
}
