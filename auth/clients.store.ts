import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { InputError, parseInput } from '../lib/input-error';
import { keyedHash } from '../lib/master-key';
import { scopedQuery, withScope } from '../lib/postgres';
import { controlScopes, parseScopes, type Scope } from '../lib/scopes';
import { operatorScope, type TenantScope } from '../lib/tenant-scope';
import { validateRedirectUri } from './redirect-uri';

/** The grant a client is registered for, as the CLI names it (CONTRACT §4). */
export type ClientGrant = 'client_credentials' | 'device_code' | 'authorization_code';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface NewClient {
  tenantId: string;
  name: string;
  grant: ClientGrant;
  scopes: readonly string[];
  control?: boolean;
  redirectUris?: readonly string[];
}

export interface ClientRecord {
  clientId: string;
  tenantId: string;
  name: string;
  /** OAuth grant type names, as the token endpoint sees them. */
  grantTypes: string[];
  scopes: Scope[];
  redirectUris: string[];
  control: boolean;
  /** Holds a secret (client_credentials); the others are public clients using PKCE. */
  confidential: boolean;
  createdAt: Date;
  disabledAt: Date | null;
}

export interface StoredClient extends ClientRecord {
  secretHash: string | null;
}

const SECRET_PURPOSE = 'client-secret';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Control clients never get refresh tokens (CONTRACT §3); the others may refresh.
 * Public clients (no secret) authenticate with PKCE only.
 */
function grantTypesFor(grant: ClientGrant, control: boolean): string[] {
  const refresh = control ? [] : ['refresh_token'];
  switch (grant) {
    case 'client_credentials':
      return ['client_credentials'];
    case 'device_code':
      return [DEVICE_CODE_GRANT, ...refresh];
    case 'authorization_code':
      return ['authorization_code', ...refresh];
    default:
      throw new InputError(`grant: must be client_credentials, device_code or authorization_code (got ${JSON.stringify(grant)})`, 'grant');
  }
}

function validate(input: NewClient): { scopes: Scope[]; redirectUris: string[]; control: boolean; name: string } {
  if (!UUID.test(input.tenantId)) throw new InputError(`tenant: ${JSON.stringify(input.tenantId)} is not a tenant id`, 'tenantId');
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200) throw new InputError('name: must be 1 to 200 characters', 'name');
  const control = input.control ?? false;
  const scopes = parseInput('scopes', () => parseScopes(input.scopes.join(' ')));
  if (scopes.length === 0) throw new InputError('scopes: at least one scope is required', 'scopes');
  const forbidden = scopes.filter((scope) => controlScopes.includes(scope));
  if (forbidden.length && !control) {
    throw new InputError(`scopes: ${forbidden.join(', ')} only for control clients (register it with --control)`, 'scopes');
  }
  const redirectUris = [...new Set(input.redirectUris ?? [])];
  if (input.grant === 'authorization_code') {
    if (redirectUris.length === 0) throw new InputError('redirect-uri: required for authorization_code clients', 'redirectUris');
    for (const uri of redirectUris) validateRedirectUri(uri);
  } else if (redirectUris.length) {
    throw new InputError('redirect-uri: only authorization_code clients have redirect URIs', 'redirectUris');
  }
  return { scopes, redirectUris, control, name };
}

/** Registers a client; the secret (client_credentials only) is returned once and stored hashed. */
export async function createClient(
  pool: Pool,
  masterKey: Buffer,
  input: NewClient,
): Promise<{ clientId: string; clientSecret?: string }> {
  const { scopes, redirectUris, control, name } = validate(input);
  const grantTypes = grantTypesFor(input.grant, control);
  const clientId = `cpx-${crypto.randomBytes(16).toString('base64url')}`;
  const clientSecret = input.grant === 'client_credentials' ? crypto.randomBytes(32).toString('base64url') : undefined;
  const secretHash = clientSecret ? keyedHash(masterKey, SECRET_PURPOSE, clientSecret) : null;
  // The operator (CLI) registers clients; tenant existence is its check, not this store's.
  await withScope(pool, operatorScope, (client) =>
    client.query(
      `insert into auth.clients (client_id, tenant_id, name, secret_hash, grant_types, scopes, redirect_uris, control)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [clientId, input.tenantId, name, secretHash, grantTypes, scopes, redirectUris, control],
    ),
  );
  return clientSecret ? { clientId, clientSecret } : { clientId };
}

/** True when the presented secret is the client's, compared in constant time. */
export function secretMatches(masterKey: Buffer, secretHash: string, presented: string): boolean {
  const hash = Buffer.from(keyedHash(masterKey, SECRET_PURPOSE, presented));
  const stored = Buffer.from(secretHash);
  return hash.length === stored.length && crypto.timingSafeEqual(hash, stored);
}

interface ClientRow {
  client_id: string;
  tenant_id: string;
  name: string;
  grant_types: string[];
  scopes: Scope[];
  redirect_uris: string[];
  control: boolean;
  created_at: Date;
  disabled_at: Date | null;
}

// Everything but the secret hash: the application role may not read that column.
const COLUMNS = 'client_id, tenant_id, name, grant_types, scopes, redirect_uris, control, created_at, disabled_at';

function toRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    tenantId: row.tenant_id,
    name: row.name,
    grantTypes: row.grant_types,
    scopes: row.scopes,
    redirectUris: row.redirect_uris,
    control: row.control,
    confidential: row.grant_types.includes('client_credentials'),
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

export async function findClient(pool: Pool, scope: TenantScope, clientId: string): Promise<ClientRecord | undefined> {
  const rows = await scopedQuery<ClientRow>(pool, scope, `select ${COLUMNS} from auth.clients where client_id = $1`, [clientId]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/**
 * The issuer's read, per token request, with the pool's own rights: the only reader of the
 * secret hash. Disabled clients are returned too; the adapter refuses them.
 */
export async function findClientForIssuer(pool: Pool, clientId: string): Promise<StoredClient | undefined> {
  const { rows } = await pool.query<ClientRow & { secret_hash: string | null }>(
    `select ${COLUMNS}, secret_hash from auth.clients where client_id = $1`,
    [clientId],
  );
  const row = rows[0];
  return row ? { ...toRecord(row), secretHash: row.secret_hash } : undefined;
}

export async function listClients(pool: Pool, scope: TenantScope): Promise<ClientRecord[]> {
  const rows = await scopedQuery<ClientRow>(pool, scope, `select ${COLUMNS} from auth.clients order by created_at, client_id`, []);
  return rows.map(toRecord);
}

/** Disables a client at once on every replica (clients are read per token request). */
export async function disableClient(pool: Pool, scope: TenantScope, clientId: string): Promise<boolean> {
  const rows = await scopedQuery<{ client_id: string }>(
    pool,
    scope,
    'update auth.clients set disabled_at = now() where client_id = $1 and disabled_at is null returning client_id',
    [clientId],
  );
  return rows.length === 1;
}
