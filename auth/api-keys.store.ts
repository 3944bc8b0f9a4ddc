import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { API_KEY_HASH_PURPOSE, generateApiKey } from '../lib/api-key';
import { InputError } from '../lib/input-error';
import { keyedHash } from '../lib/master-key';
import { scopedQuery, withScope } from '../lib/postgres';
import { apiKeyScopes, type Scope } from '../lib/scopes';
import { scopeIncludes, type TenantScope } from '../lib/tenant-scope';

export interface NewApiKey {
  tenantId: string;
  scopes: readonly string[];
  /** Limits the key to these devices; absent: every device of the tenant. */
  deviceIds?: readonly string[];
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  scopes: Scope[];
  deviceIds: string[] | null;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEVICE_ID = /^D\d{12}$/;
const COLUMNS =
  'id, tenant_id as "tenantId", scopes, device_ids as "deviceIds", created_at as "createdAt", revoked_at as "revokedAt", last_used_at as "lastUsedAt"';

export const hashApiKey = (masterKey: Buffer, key: string): string => keyedHash(masterKey, API_KEY_HASH_PURPOSE, key);

function validate(input: NewApiKey): { scopes: Scope[]; deviceIds: string[] | null } {
  const scopes = [...new Set(input.scopes)];
  if (scopes.length === 0) throw new InputError('scopes: at least one scope is required', 'scopes');
  const refused = scopes.filter((scope) => !(apiKeyScopes as readonly string[]).includes(scope));
  if (refused.length) throw new InputError(`scopes: ${refused.join(', ')} not allowed for API keys (only ${apiKeyScopes.join(', ')})`, 'scopes');
  if (input.deviceIds === undefined) return { scopes: scopes as Scope[], deviceIds: null };
  const deviceIds = [...new Set(input.deviceIds)];
  const malformed = deviceIds.filter((id) => !DEVICE_ID.test(id));
  if (malformed.length || deviceIds.length === 0) throw new InputError(`devices: ${malformed.join(', ') || '(none)'} not device ids (D + 12 digits)`, 'devices');
  return { scopes: scopes as Scope[], deviceIds };
}

/** Creates a key; the key itself is returned once and stored only as a keyed hash. */
export async function createApiKey(pool: Pool, masterKey: Buffer, scope: TenantScope, input: NewApiKey): Promise<{ id: string; key: string }> {
  if (!UUID.test(input.tenantId)) throw new InputError(`tenant: ${JSON.stringify(input.tenantId)} is not a tenant id`, 'tenant');
  const tenantId = input.tenantId.toLowerCase();
  if (!scopeIncludes(scope, tenantId)) throw new InputError(`tenant: no tenant ${tenantId}`, 'tenant');
  const { scopes, deviceIds } = validate(input);
  const id = crypto.randomUUID();
  const key = generateApiKey();
  await withScope(pool, scope, (client) =>
    client.query('insert into auth.api_keys (id, tenant_id, key_hash, scopes, device_ids) values ($1, $2, $3, $4, $5)', [
      id,
      tenantId,
      hashApiKey(masterKey, key),
      scopes,
      deviceIds,
    ]),
  );
  return { id, key };
}

export function listApiKeys(pool: Pool, scope: TenantScope): Promise<ApiKeyRecord[]> {
  return scopedQuery<ApiKeyRecord>(pool, scope, `select ${COLUMNS} from auth.api_keys order by created_at, id`, []);
}

/**
 * Revokes a key in the scope; undefined when the scope sees no such unrevoked key. Cached
 * gateway lookups expire within seconds (gateway/api-key-principal.ts); a deny-list entry
 * for the key id (lib/deny-list) cuts it off at once.
 */
export async function revokeApiKey(pool: Pool, scope: TenantScope, id: string): Promise<ApiKeyRecord | undefined> {
  if (!UUID.test(id)) throw new InputError(`id: ${JSON.stringify(id)} is not an API key id`, 'id');
  const rows = await scopedQuery<ApiKeyRecord>(
    pool,
    scope,
    `update auth.api_keys set revoked_at = now() where id = $1 and revoked_at is null returning ${COLUMNS}`,
    [id.toLowerCase()],
  );
  return rows[0];
}

/** The gateway's read, with the pool's own rights: an unrevoked key by its hash. */
export async function findApiKeyByHash(pool: Pool, keyHash: string): Promise<ApiKeyRecord | undefined> {
  const { rows } = await pool.query<ApiKeyRecord>(`select ${COLUMNS} from auth.api_keys where key_hash = $1 and revoked_at is null`, [keyHash]);
  return rows[0];
}

export async function touchApiKey(pool: Pool, id: string): Promise<void> {
  await pool.query('update auth.api_keys set last_used_at = now() where id = $1', [id]);
}
