import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import type { Config } from '../../lib/config';
import { signDatasetLink, type DatasetRequest } from '../../lib/dataset-link';
import type { Principal } from '../../lib/principal';
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
export interface DatasetLinkSigner {
  sign(principal: Principal, request: DatasetRequest): Promise<{ url: string; expiresAt: Date }>;
}

/** Mints dataset links for the gateway's public URL (CONTRACT §7). */
export function datasetLinkSigner(config: Pick<Config, 'masterKey' | 'GATEWAY_PUBLIC_URL' | 'DATASET_LINK_TTL'>): DatasetLinkSigner {
  return {
    async sign(principal, request) {
      const { path, expiresAt } = await signDatasetLink(config.masterKey, principal, request, config.DATASET_LINK_TTL);
      return { url: new URL(path, config.GATEWAY_PUBLIC_URL).toString(), expiresAt };
    },
  };
}

export function createTelemetryLoaders({ pool, scope }: LoaderSource, redis: Redis, datasetLinks: DatasetLinkSigner) {
  return {
    datasetLinks,
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
