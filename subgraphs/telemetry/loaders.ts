import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import { scopeIncludes, type TenantScope } from '../../lib/tenant-scope';
import type { LoaderSource, SubgraphContext } from '../context';
import { latest, type LatestReading } from './latest-store';
import type { Granularity, ReadingRow } from './reading';
import { readings } from './store-read';

export interface ReadingsKey {
  deviceId: string;
  from: Date;
  to: Date;
  granularity: Granularity;
}

const windowOf = (key: ReadingsKey) => `${key.from.toISOString()}|${key.to.toISOString()}|${key.granularity}`;

const deviceAllowed = (scope: TenantScope, deviceId: string) => scope.kind === 'operator' || !scope.deviceIds || scope.deviceIds.includes(deviceId);

/**
 * Per-request loaders. The latest readings of a whole page of devices come from Redis in
 * one round trip; each is shown only when its device's tenant is one the caller may read
 * telemetry of. Readings are read through row-level security, one statement per window.
 */
export function createTelemetryLoaders({ pool, scope }: LoaderSource, redis: Redis) {
  return {
    latest: new DataLoader<string, LatestReading | null>(async (ids) => {
      const readable = (await scope()).for('telemetry:read');
      const rows = await latest(redis, ids);
      return rows.map((row) => (row.tenantId && scopeIncludes(readable, row.tenantId) && deviceAllowed(readable, row.deviceId) ? row : null));
    }),
    readings: new DataLoader<ReadingsKey, ReadingRow[], string>(
      async (keys) => {
        const readable = (await scope()).for('telemetry:read');
        const windows = new Map<string, ReadingsKey[]>();
        for (const key of keys) windows.set(windowOf(key), [...(windows.get(windowOf(key)) ?? []), key]);
        const results = new Map<string, ReadingRow[]>();
        for (const [window, group] of windows) {
          const { from, to, granularity } = group[0]!;
          const byDevice = await readings(pool, readable, [...new Set(group.map((key) => key.deviceId))], from, to, granularity);
          for (const [deviceId, rows] of byDevice) results.set(`${deviceId}|${window}`, rows);
        }
        return keys.map((key) => results.get(`${key.deviceId}|${windowOf(key)}`) ?? []);
      },
      { cacheKeyFn: (key) => `${key.deviceId}|${windowOf(key)}` },
    ),
  };
}

export type TelemetryLoaders = ReturnType<typeof createTelemetryLoaders>;
export type TelemetryContext = SubgraphContext<TelemetryLoaders>;
