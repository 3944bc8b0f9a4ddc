import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Config } from '../../lib/config';
import { openDatasetLink, type DatasetRequest } from '../../lib/dataset-link';
import { isDenied } from '../../lib/deny-list';
import { sendJson } from '../../lib/http';
import type { Logger } from '../../lib/logger';
import { APP_ROLE } from '../../lib/postgres';
import type { Principal } from '../../lib/principal';
import type { Redis } from '../../lib/redis';
import { resolveScope } from '../../lib/tenant-scope';
import { datasets, type Dataset } from '../../subgraphs/telemetry/datasets';
import { DatasetRequestError, parseDatasetRequest } from './request';
import { headerLines } from './formats';

export interface DatasetDeps {
  config: Config;
  pool: Pool;
  redis: Redis;
  logger: Logger;
  /** Bearer token or API key, as for GraphQL; throws an AuthenticationError. */
  authenticate: (req: IncomingMessage) => Promise<Principal>;
}

const refuse = (res: ServerResponse, status: number, error: string, message: string) => sendJson(res, status, { error, message });

/** `GET /datasets` and `GET /datasets/{name}.csv|.tab` (CONTRACT §7). */
export async function handleDatasets(req: IncomingMessage, res: ServerResponse, deps: DatasetDeps): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  if (url.pathname !== '/datasets' && !url.pathname.startsWith('/datasets/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    refuse(res, 405, 'method_not_allowed', 'datasets are read with GET');
    return true;
  }
  let principal: Principal;
  let linked: DatasetRequest | null = null;
  try {
    const link = url.searchParams.get('link');
    if (link) {
      ({ principal, request: linked } = await openDatasetLink(deps.config.masterKey, link));
      if (await isDenied(deps.redis, principal)) throw new Error('access revoked');
    } else {
      principal = await deps.authenticate(req);
    }
  } catch (error) {
    refuse(res, 401, 'unauthenticated', `a valid access token, API key or dataset link is required (${(error as Error).message})`);
    return true;
  }
  const exporting = principal.scopes.includes('telemetry:export');
  if (url.pathname === '/datasets') {
    const list = exporting ? Object.values(datasets).map(describe) : [];
    sendJson(res, 200, { datasets: list });
    return true;
  }
  if (!exporting) {
    refuse(res, 403, 'forbidden', 'downloading datasets needs the telemetry:export scope');
    return true;
  }
  let request: DatasetRequest;
  try {
    request = parseDatasetRequest(url, linked);
  } catch (error) {
    if (!(error instanceof DatasetRequestError)) throw error;
    refuse(res, error.status, error.code, error.message);
    return true;
  }
  await stream(res, deps, principal, datasets[request.name]!, request);
  return true;
}

function describe(dataset: Dataset) {
  return {
    name: dataset.name,
    description: dataset.description,
    maxWindowDays: dataset.maxWindowDays,
    columns: dataset.columns.map(({ name, type, description }) => ({ name, type, description })),
    urls: { csv: `/datasets/${dataset.name}.csv`, tab: `/datasets/${dataset.name}.tab` },
    parameters: { from: 'ISO 8601 or unix seconds, inclusive', to: 'exclusive', devices: 'optional, comma-separated device ids' },
  };
}

/**
 * Streams the rows with COPY (constant memory, back-pressure from the client) inside a
 * transaction limited to the tenants the principal may export from (row-level security).
 */
async function stream(res: ServerResponse, deps: DatasetDeps, principal: Principal, dataset: Dataset, request: DatasetRequest): Promise<void> {
  const tenants = (await resolveScope(deps.pool, principal)).for('telemetry:export');
  const allowed = tenants.kind === 'tenants' && tenants.deviceIds ? tenants.deviceIds : null;
  const devices = request.devices && allowed ? request.devices.filter((id) => allowed.includes(id)) : (request.devices ?? allowed);
  const client = await deps.pool.connect();
  const literal = (value: string) => client.escapeLiteral(value);
  const sql = dataset.select
    .replaceAll('$from', `${literal(request.from.toISOString())}::timestamptz`)
    .replaceAll('$to', `${literal(request.to.toISOString())}::timestamptz`)
    .replaceAll('$devices', devices ? `r.device_id = any(${literal(`{${devices.join(',')}}`)}::text[])` : 'true');
  const delimiter = request.format === 'tab' ? "E'\\t'" : "','";
  let failed = false;
  try {
    await client.query('begin read only');
    await client.query("select set_config('role', $1, true), set_config('cypernex.tenant_ids', $2, true)", [
      APP_ROLE,
      tenants.kind === 'tenants' ? `{${tenants.tenantIds.join(',')}}` : '{}',
    ]);
    const rows = client.query(copyTo(`copy (${sql}) to stdout with (format csv, delimiter ${delimiter}, null '')`));
    const stamp = `${request.from.toISOString().slice(0, 10)}_${request.to.toISOString().slice(0, 10)}`;
    res.writeHead(200, {
      'content-type': request.format === 'tab' ? 'text/tab-separated-values; charset=utf-8' : 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${dataset.name}_${stamp}.${request.format}"`,
      'cache-control': 'no-store',
    });
    res.write(headerLines(dataset, request.format));
    await pipeline(rows, res);
    await client.query('commit');
  } catch (error) {
    failed = true;
    deps.logger.warn({ err: error, dataset: dataset.name }, 'dataset download ended early');
    if (!res.headersSent) refuse(res, 500, 'internal_error', 'the dataset could not be read');
    else res.destroy();
  } finally {
    client.release(failed);
  }
}
