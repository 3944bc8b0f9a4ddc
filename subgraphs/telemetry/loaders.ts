import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import { signDatasetLink, type DatasetRequest } from '../../lib/dataset-link';
import type { Principal } from '../../lib/principal';
import { scopeIncludes, type TenantScope } from '../../lib/tenant-scope';
import type { LoaderSource, SubgraphContext } from '../context';
import { latest, type LatestReading } from './latest-store';
import type { Granularity, OptionalColumn, ReadingColumns, ReadingRow } from './reading';
import { readings } from './store-read';
import { emptyColumns, readingSeries } from './store-series';

export interface ReadingsKey {
  deviceId: string;
  from: Date;
  to: Date;
  granularity: Granularity;
  /** For series: the optional columns to read (store-series.ts), in `optionalColumns` order. */
  columns?: readonly OptionalColumn[];
}

const windowOf = (key: ReadingsKey) => `${key.from.toISOString()}|${key.to.toISOString()}|${key.granularity}|${key.columns?.join(',') ?? ''}`;

const deviceAllowed = (scope: TenantScope, deviceId: string) => scope.kind === 'operator' || !scope.deviceIds || scope.deviceIds.includes(deviceId);

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

/** A store read of one window for several devices (store-read.ts, store-series.ts). */
type WindowRead<T> = (
  pool: Pool,
  scope: TenantScope,
  deviceIds: readonly string[],
  from: Date,
  to: Date,
  granularity: Granularity,
  columns?: readonly OptionalColumn[],
) => Promise<Map<string, T>>;

/** Batches the keys of a tick by window: one statement per window, for every device asked about it. */
function windowLoader<T>({ pool, scope }: LoaderSource, read: WindowRead<T>, empty: () => T): DataLoader<ReadingsKey, T, string> {
  return new DataLoader<ReadingsKey, T, string>(
    async (keys) => {
      const readable = (await scope()).for('telemetry:read');
      const windows = new Map<string, ReadingsKey[]>();
      for (const key of keys) windows.set(windowOf(key), [...(windows.get(windowOf(key)) ?? []), key]);
      const results = new Map<string, T>();
      for (const [window, group] of windows) {
        const { from, to, granularity, columns } = group[0]!;
        const byDevice = await read(pool, readable, [...new Set(group.map((key) => key.deviceId))], from, to, granularity, columns);
        for (const [deviceId, value] of byDevice) results.set(`${deviceId}|${window}`, value);
      }
      return keys.map((key) => results.get(`${key.deviceId}|${windowOf(key)}`) ?? empty());
    },
    { cacheKeyFn: (key) => `${key.deviceId}|${windowOf(key)}` },
  );
}

/**
 * Per-request loaders. The latest readings of a whole page of devices come from Redis in
 * one round trip; each is shown only when its device's tenant is one the caller may read
 * telemetry of. Readings, as rows or as columns, are read through row-level security, one
 * statement per window.
 */
export function createTelemetryLoaders(source: LoaderSource, redis: Redis, datasetLinks: DatasetLinkSigner) {
  return {
    datasetLinks,
    latest: new DataLoader<string, LatestReading | null>(async (ids) => {
      const readable = (await source.scope()).for('telemetry:read');
      const rows = await latest(redis, ids);
      return rows.map((row) => (row.tenantId && scopeIncludes(readable, row.tenantId) && deviceAllowed(readable, row.deviceId) ? row : null));
    }),
    readings: windowLoader<ReadingRow[]>(source, readings, () => []),
    readingSeries: windowLoader<ReadingColumns>(source, readingSeries, emptyColumns),
  };
}

export type TelemetryLoaders = ReturnType<typeof createTelemetryLoaders>;
export type TelemetryContext = SubgraphContext<TelemetryLoaders>;
