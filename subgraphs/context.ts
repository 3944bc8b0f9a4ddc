import type { Pool } from 'pg';
import type { Principal } from '../lib/principal';
import type { ResolvedScope } from '../lib/tenant-scope';

/** What every subgraph resolver receives; built once per request by serve-subgraph. */
export interface SubgraphContext<TLoaders = unknown> {
  /** Who calls, as the gateway's context token says. */
  principal: Principal;
  /** The principal's visible tenants, resolved at most once per request. */
  scope: () => Promise<ResolvedScope>;
  loaders: TLoaders;
  /** For list queries; single objects and nested lists go through `loaders`. */
  pool: Pool;
  requestId: string;
  /** The gateway asked for packed `NumberSeries` (lib/series-wire.ts): the marker, else null. */
  seriesMarker: string | null;
}

/** What a subgraph's `createLoaders` gets: per-request DataLoaders close over these. */
export interface LoaderSource {
  pool: Pool;
  principal: Principal;
  scope: () => Promise<ResolvedScope>;
}
