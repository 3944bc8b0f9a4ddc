import type { Pool } from 'pg';
import { scopedQuery } from '../lib/postgres';
import type { TenantScope } from '../lib/tenant-scope';

/** Every kind of identity event the audit trail keeps (issue 5). */
export type AuditType =
  | 'login.succeeded'
  | 'login.failed'
  | 'login.refused_locked'
  | 'account.locked'
  | 'source.blocked'
  | 'token.issued'
  | 'api_key.created'
  | 'api_key.revoked';

export interface AuditEvent {
  type: AuditType;
  tenantId?: string | null;
  subject?: string | null;
  clientId?: string | null;
  /** Where the request came from (IP address), when there was a request. */
  source?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEvent, 'detail'>> {
  id: string;
  at: Date;
  detail: Record<string, unknown>;
}

/** Written by the issuer and the CLI with the pool's own rights: an event may name no tenant. */
export async function recordAudit(pool: Pool, event: AuditEvent): Promise<void> {
  await pool.query('insert into auth.audit_events (tenant_id, type, subject, client_id, source, detail) values ($1, $2, $3, $4, $5, $6)', [
    event.tenantId ?? null,
    event.type,
    event.subject ?? null,
    event.clientId ?? null,
    event.source ?? null,
    JSON.stringify(event.detail ?? {}),
  ]);
}

/** Newest first; `before` is the id of the last event of the previous page. */
export function listAudit(pool: Pool, scope: TenantScope, options: { first: number; before?: string | null }): Promise<AuditRecord[]> {
  return scopedQuery<AuditRecord>(
    pool,
    scope,
    `select id::text, at, type, tenant_id as "tenantId", subject, client_id as "clientId", source, detail
     from auth.audit_events where ($1::bigint is null or id < $1::bigint) order by id desc limit $2`,
    [options.before ?? null, options.first],
  );
}
