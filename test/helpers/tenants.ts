import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { createClient } from '../../auth/clients.store';
import { operatorScope } from '../../lib/tenant-scope';
import { registerDevicesWithKeys, type RegisteredDevice } from '../../subgraphs/device/provisioning';
import { createTenant, grantPartner, type TenantRow } from '../../subgraphs/tenancy/store';

export interface TestClient {
  clientId: string;
  clientSecret: string;
}

export interface TestTenant extends TenantRow {
  devices: RegisteredDevice[];
}

const suffix = () => crypto.randomBytes(4).toString('hex');

/** A tenant with `deviceCount` devices of 6 channels, named uniquely for this test. */
export async function tenantWithDevices(pool: Pool, masterKey: Buffer, name: string, deviceCount: number, parentId?: string): Promise<TestTenant> {
  const tenant = await createTenant(pool, operatorScope, { name: `${name} ${suffix()}`, region: parentId ? undefined : 'au', parentId: parentId ?? null });
  const serials = Array.from({ length: deviceCount }, (_, i) => `${name}-${suffix()}-${i}`);
  const devices = deviceCount ? await registerDevicesWithKeys(pool, masterKey, { tenantId: tenant.id, model: 'WW-6M', serials, channels: 6 }) : [];
  return { ...tenant, devices };
}

/** A client_credentials client of the tenant. */
export async function clientOf(pool: Pool, masterKey: Buffer, tenantId: string, scopes: string[], control = false): Promise<TestClient> {
  const created = await createClient(pool, masterKey, { tenantId, name: `client ${suffix()}`, grant: 'client_credentials', scopes, control });
  return { clientId: created.clientId, clientSecret: created.clientSecret! };
}

/** The usual picture: tenant A with child A1, and an unrelated tenant B, each with devices. */
export async function tenantTree(pool: Pool, masterKey: Buffer, devicesEach = 2) {
  const a = await tenantWithDevices(pool, masterKey, 'A', devicesEach);
  const a1 = await tenantWithDevices(pool, masterKey, 'A1', devicesEach, a.id);
  const b = await tenantWithDevices(pool, masterKey, 'B', devicesEach);
  return { a, a1, b };
}

export const grant = (pool: Pool, clientId: string, tenantId: string, scopes: string[]) => grantPartner(pool, operatorScope, { clientId, tenantId, scopes });
