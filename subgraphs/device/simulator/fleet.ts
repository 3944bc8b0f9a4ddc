import type { Pool } from 'pg';
import { openSecret } from '../../../lib/master-key';
import type { SimulatedDevice } from './message';

/**
 * The simulator plays registered devices of one region: their data keys are read from
 * device.keys and opened with the master key, as the ingestion worker does.
 */
export async function loadSimulatedDevices(pool: Pool, masterKey: Buffer, region: string, limit: number): Promise<SimulatedDevice[]> {
  const { rows } = await pool.query<{ device_id: string; channel_count: number; data_key: string }>(
    'select device_id, channel_count, data_key from device.keys where region = $1 order by device_id limit $2',
    [region, limit],
  );
  // a fresh boot per run: sequence numbers restart, as after a device reboot
  const bootSeq = Math.floor(Date.now() / 1000) % 2 ** 31;
  return rows.map((row) => ({
    deviceId: row.device_id,
    region,
    channels: row.channel_count,
    dataKey: openSecret(masterKey, 'device-data-key', row.data_key),
    bootSeq,
    seq: 0,
  }));
}
