import DataLoader from 'dataloader';
import type { Pool } from 'pg';
import { openSecret } from '../../../lib/master-key';

export interface DeviceKeys {
  deviceId: string;
  tenantId: string;
  region: string;
  channelCount: number;
  /** Current data key first, then the previous one while the rotation overlap lasts. */
  dataKeys: Buffer[];
  /** Highest stored (bootSeq, seq) in the replay look-back, when the keys were loaded. */
  highWater: { bootSeq: number; seq: number } | null;
  loadedAt: number;
}

interface KeyRow {
  device_id: string;
  tenant_id: string;
  region: string;
  channel_count: number;
  data_key: string;
  previous_data_key: string | null;
  previous_valid_until: Date | null;
  boot_seq: string | null;
  seq: string | null;
}

/**
 * Keys of many devices in one statement. The ingestion worker is the one documented reader
 * of device.keys outside the device part (DESIGN: storage); keys are opened here once.
 * `anyPreviousKey` accepts a rotated-out key whatever its overlap (verifying old data).
 */
export async function loadDeviceKeys(
  pool: Pool,
  masterKey: Buffer,
  deviceIds: readonly string[],
  options: { anyPreviousKey?: boolean; lookbackMs?: number } = {},
): Promise<Map<string, DeviceKeys>> {
  const { rows } = await pool.query<KeyRow>(
    `select k.device_id, k.tenant_id, k.region, k.channel_count, k.data_key, k.previous_data_key, k.previous_valid_until,
            hw.boot_seq, hw.seq
     from device.keys k
     left join lateral (
       select r.boot_seq, r.seq from telemetry.readings r
       where r.device_id = k.device_id and r.ts >= $2
       order by r.boot_seq desc, r.seq desc limit 1
     ) hw on true
     where k.device_id = any($1::text[])`,
    [deviceIds, new Date(Date.now() - (options.lookbackMs ?? 8 * 86_400_000))],
  );
  const now = Date.now();
  return new Map(
    rows.map((row) => {
      const dataKeys = [openSecret(masterKey, 'device-data-key', row.data_key)];
      const overlap = row.previous_valid_until ? row.previous_valid_until.getTime() > now : false;
      if (row.previous_data_key && (overlap || options.anyPreviousKey)) {
        dataKeys.push(openSecret(masterKey, 'device-data-key', row.previous_data_key));
      }
      const highWater = row.boot_seq === null ? null : { bootSeq: Number(row.boot_seq), seq: Number(row.seq) };
      return [row.device_id, { deviceId: row.device_id, tenantId: row.tenant_id, region: row.region, channelCount: row.channel_count, dataKeys, highWater, loadedAt: now }];
    }),
  );
}

/**
 * A short-lived in-memory cache of opened device keys, batching misses of the same tick
 * into one query (a cold worker meets thousands of devices at once). Unknown devices are
 * cached too, briefly, so garbage on the topic does not become a query per message.
 */
export class DeviceDirectory {
  private readonly cache = new Map<string, { keys: DeviceKeys | null; expires: number }>();
  private readonly loader: DataLoader<string, DeviceKeys | null>;

  constructor(
    pool: Pool,
    masterKey: Buffer,
    private readonly ttlMs = 60_000,
    private readonly unknownTtlMs = 5_000,
  ) {
    this.loader = new DataLoader(
      async (ids) => {
        const found = await loadDeviceKeys(pool, masterKey, ids);
        return ids.map((id) => found.get(id) ?? null);
      },
      { cache: false, maxBatchSize: 5000 },
    );
  }

  async get(deviceId: string): Promise<DeviceKeys | null> {
    const cached = this.cache.get(deviceId);
    if (cached && cached.expires > Date.now()) return cached.keys;
    return this.reload(deviceId);
  }

  /** After a MAC failure with keys older than `minAgeMs`: the key may have been rotated. */
  async refreshIfOlder(deviceId: string, minAgeMs: number): Promise<DeviceKeys | null> {
    const cached = this.cache.get(deviceId);
    if (!cached?.keys || Date.now() - cached.keys.loadedAt < minAgeMs) return null;
    return this.reload(deviceId);
  }

  private async reload(deviceId: string): Promise<DeviceKeys | null> {
    const keys = await this.loader.load(deviceId);
    this.cache.set(deviceId, { keys, expires: Date.now() + (keys ? this.ttlMs : this.unknownTtlMs) });
    if (this.cache.size > 500_000) this.evictExpired();
    return keys;
  }

  private evictExpired(): void {
    const now = Date.now();
    for (const [id, entry] of this.cache) if (entry.expires <= now) this.cache.delete(id);
  }
}
