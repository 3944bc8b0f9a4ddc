import pg, { type Pool, type PoolClient, type QueryResultRow } from 'pg';
import type { TenantScope } from './tenant-scope';

/** Role every tenant-scoped transaction runs as, so that row-level security applies. */
export const APP_ROLE = 'cypernex_app';

let statements = 0;

/** Statements sent by every pool of this process (tests assert there is no N+1). */
export const statementCount = (): number => statements;

/**
 * `countStatements: false` for a pool of background work (consumers, sweepers): tests count
 * the statements that requests cause, and a worker in the same process must not blur that.
 */
export function createPool(databaseUrl: string, options: { service: string; max?: number; countStatements?: boolean }): Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    application_name: `cypernex-${options.service}`,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    // No JIT compilation: every statement here is short, and the server compiles a plan whose
    // estimated cost passes jit_above_cost, which a stale estimate can make of a query of
    // milliseconds: the ingestion worker's replay look-up of 5,000 readings took 1.2-3.0 s,
    // 1.9 of them compiling, instead of 0.13-0.47 s (bench/ingest/pg-cost.ts `lookUp`). A
    // DATABASE_URL with its own `options` parameter keeps them.
    options: '-c jit=off',
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on the next checkout.
  });
  if (options.countStatements !== false) pool.on('connect', (client) => countStatements(client));
  return pool;
}

function countStatements(client: PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    statements += 1;
    return query(...args);
  };
}

/** The database URL without credentials, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = parsed.username ? parsed.username : '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Runs `work` in a transaction limited to the scope's tenants: as the application role, with
 * the tenant ids in `cypernex.tenant_ids`, which the row-level security policies read.
 * The operator scope (CLI) runs with the connection's own rights.
 */
export async function withScope<T>(pool: Pool, scope: TenantScope, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    if (scope.kind === 'tenants') {
      // One round trip for both: a parameterless query may hold two statements.
      const ids = client.escapeLiteral(`{${scope.tenantIds.join(',')}}`);
      await client.query(`begin; select set_config('role', '${APP_ROLE}', true), set_config('cypernex.tenant_ids', ${ids}, true)`);
    } else {
      await client.query('begin');
    }
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Shorthand for one scoped read. */
export async function scopedQuery<R extends QueryResultRow>(
  pool: Pool,
  scope: TenantScope,
  text: string,
  values: unknown[],
): Promise<R[]> {
  if (scope.kind === 'tenants' && scope.tenantIds.length === 0) return [];
  return withScope(pool, scope, async (client) => (await client.query<R>(text, values)).rows);
}

/** Creates the database named in the URL when it does not exist yet (CONTRACT §1). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`database name ${JSON.stringify(name)} is not supported`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) return false;
    try {
      await client.query(`create database "${name}"`);
    } catch (error) {
      // Two processes racing to create it: the other one won.
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
    return true;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}
