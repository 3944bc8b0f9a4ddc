import type { Pool } from 'pg';
import type { DenyKind } from '../../lib/deny-list';
import { scopedQuery, withScope } from '../../lib/postgres';
import type { Principal } from '../../lib/principal';
import type { TenantScope } from '../../lib/tenant-scope';
import type { DefenderAction, RuleName } from './rules';

/** A tripped rule and what the defender did about it (schema `security`, owned by the gateway). */
export interface SecurityEventRow {
  id: string;
  /** Keyset order, newest first. */
  seq: string;
  tenantId: string;
  principalType: Principal['principalType'];
  subject: string;
  clientId: string | null;
  rule: RuleName;
  detail: Record<string, unknown>;
  action: DefenderAction;
  denyKind: DenyKind | null;
  denyValue: string | null;
  expiresAt: Date | null;
  createdAt: Date;
  liftedAt: Date | null;
  liftedBy: string | null;
}

export type NewSecurityEvent = Omit<SecurityEventRow, 'seq' | 'createdAt' | 'liftedAt' | 'liftedBy'>;

const COLUMNS = `id, seq::text, tenant_id as "tenantId", principal_type as "principalType", subject, client_id as "clientId", rule, detail,
  action, deny_kind as "denyKind", deny_value as "denyValue", expires_at as "expiresAt", created_at as "createdAt",
  lifted_at as "liftedAt", lifted_by as "liftedBy"`;

/** The defender writes with the scope of the principal's own tenant, so row-level security checks the write too. */
export async function recordSecurityEvent(pool: Pool, scope: TenantScope, event: NewSecurityEvent): Promise<void> {
  await withScope(pool, scope, (client) =>
    client.query(
      `insert into security.events (id, tenant_id, principal_type, subject, client_id, rule, detail, action, deny_kind, deny_value, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [event.id, event.tenantId, event.principalType, event.subject, event.clientId, event.rule, JSON.stringify(event.detail), event.action, event.denyKind, event.denyValue, event.expiresAt],
    ),
  );
}

/** Newest first; `after` is the `seq` of the last event of the previous page. */
export async function listSecurityEvents(pool: Pool, scope: TenantScope, page: { first: number; after: string | null }): Promise<{ events: SecurityEventRow[]; hasNextPage: boolean }> {
  const rows = await scopedQuery<SecurityEventRow>(
    pool,
    scope,
    `select ${COLUMNS} from security.events where ($1::bigint is null or seq < $1::bigint) order by seq desc limit $2`,
    [page.after, page.first + 1],
  );
  return { events: rows.slice(0, page.first), hasNextPage: rows.length > page.first };
}

/**
 * Marks the event lifted and runs `undo` with it before the commit, so that the event is
 * never shown lifted while its remedy still holds. Lifting again changes and undoes nothing.
 * Null when the scope does not see the event.
 */
export async function liftSecurityEvent(
  pool: Pool,
  scope: TenantScope,
  lifting: { id: string; liftedBy: string },
  undo: (event: SecurityEventRow) => Promise<void>,
): Promise<SecurityEventRow | null> {
  if (scope.kind === 'tenants' && scope.tenantIds.length === 0) return null;
  return withScope(pool, scope, async (client) => {
    const updated = await client.query<SecurityEventRow>(
      `update security.events set lifted_at = now(), lifted_by = $2 where id = $1 and lifted_at is null returning ${COLUMNS}`,
      [lifting.id, lifting.liftedBy],
    );
    if (updated.rows[0]) {
      await undo(updated.rows[0]);
      return updated.rows[0];
    }
    return (await client.query<SecurityEventRow>(`select ${COLUMNS} from security.events where id = $1`, [lifting.id])).rows[0] ?? null;
  });
}
