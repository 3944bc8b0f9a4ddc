import crypto from 'node:crypto';
import type { Pool } from 'pg';

export interface ClientSettings {
  trustedOnly: boolean;
  principalLimit: number | null;
  tenantLimit: number | null;
  /** Hashes of the client's registered operations. */
  trustedHashes: ReadonlySet<string>;
}

export interface TrustedDocument {
  name: string | null;
  body: string;
}

const defaults: ClientSettings = { trustedOnly: false, principalLimit: null, tenantLimit: null, trustedHashes: new Set() };

/** SHA-256 hex of a document's exact text: what APQ clients send as `sha256Hash`. */
export const documentHash = (body: string): string => crypto.createHash('sha256').update(body).digest('hex');

/** A client's gateway settings; a client never configured gets the defaults. */
export async function loadClientSettings(pool: Pool, clientId: string): Promise<ClientSettings> {
  const { rows } = await pool.query<{ trusted_only: boolean; principal_limit: number | null; tenant_limit: number | null; hashes: string[] | null }>(
    `select s.trusted_only, s.principal_limit, s.tenant_limit,
            (select array_agg(d.hash) from security.trusted_documents d where d.client_id = $1) as hashes
       from security.client_settings s where s.client_id = $1`,
    [clientId],
  );
  const row = rows[0];
  if (!row) return defaults;
  return { trustedOnly: row.trusted_only, principalLimit: row.principal_limit, tenantLimit: row.tenant_limit, trustedHashes: new Set(row.hashes ?? []) };
}

/** Adds documents to a client's safelist (idempotent); returns their hashes. */
export async function registerDocuments(pool: Pool, clientId: string, documents: TrustedDocument[]): Promise<string[]> {
  const hashes = documents.map((document) => documentHash(document.body));
  await pool.query(
    `insert into security.trusted_documents (client_id, hash, name, body)
     select $1, d.hash, d.name, d.body from unnest($2::text[], $3::text[], $4::text[]) as d(hash, name, body)
     on conflict (client_id, hash) do update set name = excluded.name`,
    [clientId, hashes, documents.map((document) => document.name), documents.map((document) => document.body)],
  );
  await pool.query(`insert into security.client_settings (client_id) values ($1) on conflict (client_id) do nothing`, [clientId]);
  return hashes;
}

export async function setTrustedOnly(pool: Pool, clientId: string, trustedOnly: boolean): Promise<void> {
  await pool.query(
    `insert into security.client_settings (client_id, trusted_only) values ($1, $2)
     on conflict (client_id) do update set trusted_only = excluded.trusted_only, updated_at = now()`,
    [clientId, trustedOnly],
  );
}

/** Sets a client's rate limits in cost units per window; null restores the default. */
export async function setClientLimits(pool: Pool, clientId: string, limits: { principalLimit: number | null; tenantLimit: number | null }): Promise<void> {
  await pool.query(
    `insert into security.client_settings (client_id, principal_limit, tenant_limit) values ($1, $2, $3)
     on conflict (client_id) do update set principal_limit = excluded.principal_limit, tenant_limit = excluded.tenant_limit, updated_at = now()`,
    [clientId, limits.principalLimit, limits.tenantLimit],
  );
}

/** The text of a registered document, whoever registered it (its hash is not a secret). */
export async function findTrustedDocument(pool: Pool, hash: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ body: string }>('select body from security.trusted_documents where hash = $1 limit 1', [hash]);
  return rows[0]?.body;
}
