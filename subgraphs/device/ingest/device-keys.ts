import DataLoader from 'dataloader';
import type { Pool } from 'pg';
import { HmacSha256Key } from '../../../lib/hmac-sha256';
import { secretOpener } from '../../../lib/master-key';

export interface DeviceKeys {
  deviceId: string;
  tenantId: string;
  region: string;
  channelCount: number;
  /** Current data key first, then the previous one while the rotation overlap lasts. */
  dataKeys: Buffer[];
  /**
   * `dataKeys` prepared for HMAC-SHA256 (lib/hmac-sha256.ts), in the same order: the check
   * of every message uses them (a WeakMap look-up per message was 2.2 % of the worker's CPU).
   */
  macKeys: HmacSha256Key[];
  /** Until when the previous key (second in `dataKeys`) is accepted, epoch ms. */
  previousValidUntil?: number | null;
  loadedAt: number;
  /** When the row was created or its keys last rotated (epoch ms): what `refresh()` compares. */
  stampedAt: number;
}

interface KeyRow {
  device_id: string;
  tenant_id: string;
  region: string;
  channel_count: number;
  data_key: string;
  previous_data_key: string | null;
  previous_valid_until: Date | null;
  stamped_at: Date;
}

// A device's high-water mark is not loaded with its keys: the worker loads every device's
// before it subscribes (store-write.ts `storedMarks`), and the writer reports a device's
// registered since from its look-up of the first reading (sequence-window.ts `settle`).
const KEY_COLUMNS = `k.device_id, k.tenant_id, k.region, k.channel_count, k.data_key, k.previous_data_key, k.previous_valid_until,
            greatest(k.created_at, k.rotated_at) as stamped_at
     from device.keys k`;

/** Opens the rows' keys, yielding the event loop every 1,000 rows (100,000 take seconds). */
async function openRows(masterKey: Buffer, rows: KeyRow[], anyPreviousKey = false): Promise<DeviceKeys[]> {
  const sealedWith = secretOpener(masterKey, 'device-data-key');
  const open = (deviceId: string, sealed: string) => {
    try {
      return sealedWith(sealed);
    } catch {
      throw new Error(`data key of device ${deviceId} cannot be opened: was CYPERNEX_MASTER_KEY changed?`);
    }
  };
  const now = Date.now();
  const opened: DeviceKeys[] = [];
  for (const [i, row] of rows.entries()) {
    if (i > 0 && i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    const dataKeys = [open(row.device_id, row.data_key)];
    const previousValidUntil = row.previous_valid_until?.getTime() ?? null;
    if (row.previous_data_key && ((previousValidUntil ?? 0) > now || anyPreviousKey)) dataKeys.push(open(row.device_id, row.previous_data_key));
    const macKeys = dataKeys.map((key) => new HmacSha256Key(key));
    opened.push({ deviceId: row.device_id, tenantId: row.tenant_id, region: row.region, channelCount: row.channel_count, dataKeys, macKeys, previousValidUntil, loadedAt: now, stampedAt: row.stamped_at.getTime() });
  }
  return opened;
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
  options: { anyPreviousKey?: boolean } = {},
): Promise<Map<string, DeviceKeys>> {
  const { rows } = await pool.query<KeyRow>(`select ${KEY_COLUMNS} where k.device_id = any($1::text[])`, [deviceIds]);
  return new Map((await openRows(masterKey, rows, options.anyPreviousKey)).map((keys) => [keys.deviceId, keys]));
}

/**
 * How long an id the database does not know is answered from memory. Short: a device's
 * messages that arrive just before it is registered (or its retained status, delivered on
 * subscribing) must not have its first readings refused for long after it is registered
 * (measured with 5 s: the first reading of each of 4 of the demo's 7 devices dead-lettered
 * as unknown-device when the simulator started right after `seed demo`). It still makes a
 * burst from one unknown id cost one query per half second; ids never seen cost a query
 * each whatever this is (batched per tick).
 */
export const UNKNOWN_TTL_MS = 500;

/** Devices looked up per statement, on demand (batched misses) and by `refresh()`. */
const KEYS_PER_STATEMENT = 5000;

/**
 * Opened device keys of the worker's region, all held in memory. `warm()` loads the whole
 * region page by page before the worker subscribes (measured at 100,000 devices: looking
 * keys up on demand, in batches of misses, queued tens of thousands of messages behind key
 * queries that held every pool connection, and a TTL expired the whole fleet at once every
 * minute); `refresh()` then reloads only rows created or rotated since the last load. Rows
 * of device.keys are never deleted, so nothing needs evicting. A device registered after
 * the last refresh is looked up on demand, misses of the same tick in one query; unknown
 * devices are remembered briefly, so garbage on the topic does not become a query per message.
 */
export class DeviceDirectory {
  private readonly cache = new Map<string, { keys: DeviceKeys | null; expires: number }>();
  private readonly loader: DataLoader<string, DeviceKeys | null>;
  /** Database time from which `refresh()` looks for created or rotated rows. */
  private since: Date | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly masterKey: Buffer,
    private readonly options: { region?: string; pageSize?: number; unknownTtlMs?: number } = {},
  ) {
    this.loader = new DataLoader(
      async (ids) => {
        const found = await loadDeviceKeys(pool, masterKey, ids);
        return ids.map((id) => found.get(id) ?? null);
      },
      { cache: false, maxBatchSize: KEYS_PER_STATEMENT },
    );
  }

  /** Loads every device of the region (`+`: all), a page per statement; returns how many. */
  async warm(): Promise<number> {
    const since = await this.databaseNow();
    const pageSize = this.options.pageSize ?? 10_000;
    let loaded = 0;
    for (let after = ''; ; ) {
      const { rows } = await this.pool.query<KeyRow>(
        `select ${KEY_COLUMNS} where ($1 = '+' or k.region = $1) and k.device_id > $2 order by k.device_id limit $3`,
        [this.options.region ?? '+', after, pageSize],
      );
      this.remember(await openRows(this.masterKey, rows));
      loaded += rows.length;
      if (rows.length < pageSize) break;
      after = rows.at(-1)!.device_id;
    }
    this.since = since;
    return loaded;
  }

  /**
   * Reloads the devices created or rotated since the last load; returns how many. The look-back
   * minute is listed again at every refresh (cheap columns only), and only a device whose row
   * moved on since it was cached is reloaded: after a bulk registration (100,000 devices) each
   * refresh of the next minute and a half reopened every new key (AES-GCM, a new HMAC key
   * object per device) and looked each device's high-water mark up again (6 % of the
   * worker's CPU in a 60 s bench run).
   */
  async refresh(): Promise<number> {
    if (!this.since) return this.warm();
    const since = await this.databaseNow();
    // rows stamped before a slow transaction committed: look back a minute every time
    const from = new Date(this.since.getTime() - 60_000);
    const { rows } = await this.pool.query<{ device_id: string; stamped_at: Date }>(
      `select k.device_id, greatest(k.created_at, k.rotated_at) as stamped_at from device.keys k
       where ($1 = '+' or k.region = $1) and (k.created_at >= $2 or k.rotated_at >= $2)`,
      [this.options.region ?? '+', from],
    );
    const moved = rows.filter((row) => this.cache.get(row.device_id)?.keys?.stampedAt !== row.stamped_at.getTime()).map((row) => row.device_id);
    for (let start = 0; start < moved.length; start += KEYS_PER_STATEMENT) {
      const loaded = await loadDeviceKeys(this.pool, this.masterKey, moved.slice(start, start + KEYS_PER_STATEMENT));
      this.remember([...loaded.values()]);
    }
    this.since = since;
    return moved.length;
  }

  async get(deviceId: string): Promise<DeviceKeys | null> {
    const cached = this.cached(deviceId);
    return cached === undefined ? this.reload(deviceId) : cached;
  }

  /** What `get` would answer from memory: undefined when the device has to be loaded. */
  cached(deviceId: string): DeviceKeys | null | undefined {
    const cached = this.cache.get(deviceId);
    if (cached?.keys) return withoutExpiredKey(cached.keys);
    if (cached && cached.expires > Date.now()) return null;
    return undefined;
  }

  /** After a MAC failure with keys older than `minAgeMs`: the key may have been rotated. */
  async refreshIfOlder(deviceId: string, minAgeMs: number): Promise<DeviceKeys | null> {
    const cached = this.cache.get(deviceId);
    if (!cached?.keys || Date.now() - cached.keys.loadedAt < minAgeMs) return null;
    return this.reload(deviceId);
  }

  get size(): number {
    return this.cache.size;
  }

  private remember(opened: DeviceKeys[]): void {
    for (const keys of opened) this.cache.set(keys.deviceId, { keys, expires: Infinity });
  }

  private async reload(deviceId: string): Promise<DeviceKeys | null> {
    const keys = await this.loader.load(deviceId);
    this.cache.set(deviceId, { keys, expires: keys ? Infinity : Date.now() + (this.options.unknownTtlMs ?? UNKNOWN_TTL_MS) });
    if (this.cache.size > 2_000_000) this.evictUnknown();
    return keys;
  }

  private evictUnknown(): void {
    for (const [id, entry] of this.cache) if (!entry.keys) this.cache.delete(id);
  }

  private async databaseNow(): Promise<Date> {
    return (await this.pool.query<{ now: Date }>('select now() as now')).rows[0]!.now;
  }
}

/** The previous key stops being accepted when its rotation overlap ends, cached or not. */
function withoutExpiredKey(keys: DeviceKeys): DeviceKeys {
  if (keys.dataKeys.length > 1 && (keys.previousValidUntil ?? 0) <= Date.now()) {
    keys.dataKeys = keys.dataKeys.slice(0, 1);
    keys.macKeys = keys.macKeys.slice(0, 1);
  }
  return keys;
}
