import { createPool, withScope } from '../../lib/postgres';
import { tenantsScope } from '../../lib/tenant-scope';
import { testConfig } from '../helpers/config';
import { createWorld } from './harness';

const pool = createPool(testConfig().DATABASE_URL, { service: 'test-rls' });
afterAll(() => pool.end());

/**
 * The second wall: even SQL that forgets its tenant filter sees only the scope's rows,
 * because withScope runs as cypernex_app with the scope's tenant ids set.
 */
describe('row-level security', () => {
  it.each([
    ['fleet.devices', 'tenant_id'],
    ['fleet.channels', 'tenant_id'],
    ['fleet.sites', 'tenant_id'],
    ['tenancy.tenants', 'id'],
  ])('a scope of B reads none of A\'s rows in %s, even unfiltered', async (table, column) => {
    const world = await createWorld(pool, { a: 2, a1: 1, b: 1 });
    const all = await pool.query(`select ${column} as tenant from ${table} where ${column} = $1`, [world.a.id]);
    expect(all.rowCount).toBeGreaterThan(0);
    const seen = await withScope(pool, tenantsScope([world.b.id]), async (client) => (await client.query(`select ${column} as tenant from ${table}`)).rows);
    expect(seen.map((row) => row.tenant)).not.toContain(world.a.id);
    expect(seen.every((row) => row.tenant === world.b.id)).toBe(true);
  });

  it('reads the scope once per statement in every policy (an InitPlan), not once per row', async () => {
    const { rows } = await pool.query<{ name: string; expression: string }>(
      `select schemaname || '.' || tablename || ' ' || policyname as name, coalesce(qual, with_check) as expression from pg_policies
       where coalesce(qual, with_check) like '%cypernex.tenant_ids%'`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(26);
    const perRow = rows.filter((row) => !/^\(\w+ = ANY \(\( SELECT /.test(row.expression)).map((row) => row.name);
    expect(perRow).toEqual([]);
    const plan = await withScope(pool, tenantsScope([]), async (client) =>
      (await client.query('explain select * from telemetry.readings where device_id = $1', ['D000000000001'])).rows.map((row) => row['QUERY PLAN'] as string).join('\n'),
    );
    expect(plan).toMatch(/InitPlan/);
  });

  it('a scope of B cannot change or add rows of A', async () => {
    const world = await createWorld(pool, { a: 1, a1: 0, b: 1 });
    const updated = await withScope(pool, tenantsScope([world.b.id]), (client) => client.query('update fleet.channels set ct_rating = 999'));
    expect(updated.rowCount).toBe(6);
    const ratings = await pool.query('select distinct ct_rating from fleet.channels where device_id = $1', [world.devices.a[0]]);
    expect(ratings.rows).toEqual([{ ct_rating: 60 }]);
    await expect(
      withScope(pool, tenantsScope([world.b.id]), (client) =>
        client.query("insert into fleet.sites (tenant_id, name) values ($1, 'planted')", [world.a.id]),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('an empty scope sees nothing at all', async () => {
    await createWorld(pool, { a: 1, a1: 0, b: 0 });
    const rows = await withScope(pool, tenantsScope([]), async (client) => (await client.query('select 1 from fleet.devices')).rows);
    expect(rows).toEqual([]);
  });
});
