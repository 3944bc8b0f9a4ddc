import fs from 'node:fs';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { APP_ROLE, ensureDatabase } from './postgres';
import { fromRoot } from './paths';

/**
 * Each part owns one PostgreSQL schema and migrates only that schema, in this order
 * (later parts may reference functions of earlier ones, never their tables).
 */
export const parts = [
  { schema: 'auth', dir: 'auth/migrations' },
  { schema: 'tenancy', dir: 'subgraphs/tenancy/migrations' },
  { schema: 'fleet', dir: 'subgraphs/fleet/migrations' },
  { schema: 'device', dir: 'subgraphs/device/migrations' },
  { schema: 'telemetry', dir: 'subgraphs/telemetry/migrations' },
  { schema: 'security', dir: 'gateway/migrations' },
] as const;

export interface MigrationResult {
  createdDatabase: boolean;
  applied: { schema: string; name: string }[];
}

/** Creates the database if missing, the application role, then every part's pending migrations. */
export async function migrate(databaseUrl: string, log: (line: string) => void = () => undefined): Promise<MigrationResult> {
  const createdDatabase = await ensureDatabase(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: MigrationResult['applied'] = [];
  try {
    await ensureAppRole(client);
    for (const part of parts) {
      const ran = await migratePart(client, part.schema, { log });
      for (const name of ran) applied.push({ schema: part.schema, name });
    }
  } finally {
    await client.end();
  }
  for (const migration of applied) log(`migrated ${migration.schema}: ${migration.name}`);
  return { createdDatabase, applied };
}

/**
 * Runs one part's migrations on `client`: all pending ones up (the default), or `count` of
 * them in `direction` (tests take a migration down and up again). Returns their names.
 */
export async function migratePart(
  client: pg.Client,
  schema: (typeof parts)[number]['schema'],
  options: { direction?: 'up' | 'down'; count?: number; log?: (line: string) => void } = {},
): Promise<string[]> {
  const part = parts.find((candidate) => candidate.schema === schema)!;
  const dir = fromRoot(part.dir);
  if (!fs.existsSync(dir)) return [];
  const log = options.log ?? (() => undefined);
  const ran = await runner({
    dbClient: client,
    dir,
    direction: options.direction ?? 'up',
    migrationsTable: 'migrations',
    migrationsSchema: part.schema,
    createMigrationsSchema: true,
    schema: part.schema,
    createSchema: true,
    checkOrder: true,
    count: options.count ?? Infinity,
    singleTransaction: true,
    ignorePattern: '(\\..*)|(.*\\.md)',
    log: () => undefined,
    logger: { debug: () => undefined, info: () => undefined, warn: log, error: log },
  });
  return ran.map((migration) => migration.name);
}

/** Roles are cluster-wide: create it once, tolerate a concurrent creator. */
async function ensureAppRole(client: pg.Client): Promise<void> {
  await client.query(`
    do $$
    begin
      if not exists (select 1 from pg_roles where rolname = '${APP_ROLE}') then
        create role ${APP_ROLE} nologin;
      end if;
    exception when duplicate_object or unique_violation then null;
    end $$`);
  // A non-superuser DATABASE_URL (production) must be able to switch to the role.
  await client.query(`
    do $$
    begin
      if not pg_has_role(current_user, '${APP_ROLE}', 'member') then
        execute format('grant %I to %I', '${APP_ROLE}', current_user);
      end if;
    end $$`);
}
