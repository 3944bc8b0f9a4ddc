import type { Pool } from 'pg';
import { createClient } from '../../auth/clients.store';
import { operatorScope } from '../../lib/tenant-scope';
import { createTenant, listTenants, type TenantRow } from '../../subgraphs/tenancy/store';
import { getDevices } from '../../subgraphs/fleet/store';
import type { Command } from './command';
import { registerDevicesWithKeys } from '../../subgraphs/device/provisioning';

const MODEL = 'WW-6M';
const MONITORING = ['tenancy:read', 'fleet:read', 'telemetry:read', 'telemetry:export', 'security:read'];

/** The demo: a utility with an installer below it, and an unrelated utility. */
const plan = [
  { name: 'Demo Utility', parent: null, serials: ['DEMO-U-0001', 'DEMO-U-0002', 'DEMO-U-0003'] },
  { name: 'Demo Installer', parent: 'Demo Utility', serials: ['DEMO-I-0001', 'DEMO-I-0002'] },
  { name: 'Other Utility', parent: null, serials: ['OTHER-0001', 'OTHER-0002'] },
] as const;

async function findOrCreateTenant(pool: Pool, name: string, parent: TenantRow | null, existing: TenantRow[]): Promise<TenantRow> {
  const found = existing.find((tenant) => tenant.name === name && tenant.parentId === (parent?.id ?? null));
  return found ?? createTenant(pool, operatorScope, { name, region: 'au', parentId: parent?.id ?? null });
}

/**
 * `seed demo`: tenants and devices are created once and reused by later runs (a device's
 * keys are shown only when it is created); every run registers fresh clients, since a
 * client secret is shown only once.
 */
export const seedDemo: Command = {
  usage: '',
  options: {},
  async run(ctx) {
    const pool = ctx.pool();
    const existing = await listTenants(pool, operatorScope);
    const tenants = new Map<string, TenantRow>();
    const devices: object[] = [];
    for (const step of plan) {
      const tenant = await findOrCreateTenant(pool, step.name, step.parent ? tenants.get(step.parent)! : null, existing);
      tenants.set(step.name, tenant);
      const known = await pool.query<{ id: string; serial: string }>('select id, serial from fleet.devices where tenant_id = $1 and model = $2', [tenant.id, MODEL]);
      const missing = step.serials.filter((serial) => !known.rows.some((row) => row.serial === serial));
      const created = missing.length ? await registerDevicesWithKeys(pool, ctx.config.masterKey, { tenantId: tenant.id, model: MODEL, serials: missing, channels: 6 }) : [];
      const reused = await getDevices(pool, operatorScope, known.rows.map((row) => row.id));
      devices.push(...created, ...reused.map((device) => ({ id: device.id, serial: device.serial, region: device.region, tenantId: device.tenantId })));
    }
    const utility = tenants.get('Demo Utility')!;
    const other = tenants.get('Other Utility')!;
    const clients = [
      { tenant: utility, name: 'Demo dashboard', scopes: MONITORING, control: false },
      { tenant: utility, name: 'Demo operations (control)', scopes: ['fleet:read', 'device:control', 'device:firmware'], control: true },
      { tenant: other, name: 'Other Utility app', scopes: MONITORING, control: false },
    ];
    const registered = [];
    for (const client of clients) {
      const created = await createClient(pool, ctx.config.masterKey, {
        tenantId: client.tenant.id,
        name: client.name,
        grant: 'client_credentials',
        scopes: client.scopes,
        control: client.control,
      });
      registered.push({ name: client.name, tenantId: client.tenant.id, scopes: client.scopes.join(' '), control: client.control, ...created });
    }
    return { tenants: [...tenants.values()], clients: registered, devices };
  },
};
