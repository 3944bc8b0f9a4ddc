import type { Pool } from 'pg';
import type { PlatformEvent } from '../../../lib/events';
import { InputError } from '../../../lib/input-error';
import { operatorScope, scopeIncludes, type TenantScope } from '../../../lib/tenant-scope';
import { inScope, scopeTenantIds, type Queryable } from '../../queryable';

export interface WebhookRow {
  id: string;
  tenantId: string;
  url: string;
  events: string[];
  createdBy: string;
  createdAt: Date;
}

export interface DeliveryRow {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  createdAt: Date;
  completedAt: Date | null;
}

export interface AttemptRow {
  deliveryId: string;
  attempt: number;
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

const WEBHOOK = 'id, tenant_id as "tenantId", url, events, created_by as "createdBy", created_at as "createdAt"';
const DELIVERY = 'id, webhook_id as "webhookId", event_id as "eventId", event_type as "eventType", status, created_at as "createdAt", completed_at as "completedAt"';
const isEmpty = (scope: TenantScope) => scope.kind === 'tenants' && scope.tenantIds.length === 0;

export async function insertWebhook(
  db: Queryable,
  scope: TenantScope,
  input: { tenantId: string; url: string; events: readonly string[]; sealedSecret: string; createdBy: string },
): Promise<WebhookRow> {
  if (!scopeIncludes(scope, input.tenantId)) throw new InputError(`tenantId: no tenant ${input.tenantId}`, 'tenantId');
  return inScope(db, scope, async (client) =>
    (
      await client.query<WebhookRow>(
        `insert into device.webhooks (tenant_id, url, events, secret, created_by) values ($1, $2, $3, $4, $5) returning ${WEBHOOK}`,
        [input.tenantId, input.url, input.events, input.sealedSecret, input.createdBy],
      )
    ).rows[0]!,
  );
}

/** False when there is no such webhook in the scope (already deleted, foreign or missing). */
export async function deleteWebhook(db: Queryable, scope: TenantScope, id: string): Promise<boolean> {
  if (isEmpty(scope)) return false;
  return inScope(db, scope, async (client) => {
    const { rowCount } = await client.query(
      'update device.webhooks set deleted_at = now() where id = $2 and deleted_at is null and ($1::uuid[] is null or tenant_id = any($1::uuid[]))',
      [scopeTenantIds(scope), id],
    );
    return (rowCount ?? 0) > 0;
  });
}

export async function listWebhooks(db: Queryable, scope: TenantScope, tenantId: string | null): Promise<WebhookRow[]> {
  if (isEmpty(scope)) return [];
  return inScope(db, scope, async (client) =>
    (
      await client.query<WebhookRow>(
        `select ${WEBHOOK} from device.webhooks where deleted_at is null and ($1::uuid[] is null or tenant_id = any($1::uuid[]))
         and ($2::uuid is null or tenant_id = $2) order by created_at, id`,
        [scopeTenantIds(scope), tenantId],
      )
    ).rows,
  );
}

/**
 * One delivery per live webhook subscribed to the event's type whose tenant is the event's
 * tenant or an ancestor of it (tenancy.visible_tenants walks a webhook tenant's subtree).
 * Idempotent: an event seen twice yields the same deliveries. Returns their ids.
 */
export async function createDeliveries(pool: Pool, event: PlatformEvent): Promise<string[]> {
  return inScope(pool, operatorScope, async (client) => {
    await client.query(
      `insert into device.webhook_deliveries (webhook_id, tenant_id, event_id, event_type, body)
       select w.id, w.tenant_id, $3, $2, $4 from device.webhooks w
       where w.deleted_at is null and $2 = any(w.events)
         and exists (select 1 from tenancy.visible_tenants(w.tenant_id, null) v where v.tenant_id = $1::uuid)
       on conflict (webhook_id, event_id) do nothing`,
      [event.tenantId, event.type, event.id, JSON.stringify(event)],
    );
    return (await client.query<{ id: string }>('select id from device.webhook_deliveries where event_id = $1', [event.id])).rows.map((row) => row.id);
  });
}

export interface DeliveryToSend {
  id: string;
  tenantId: string;
  status: DeliveryRow['status'];
  body: string;
  url: string;
  sealedSecret: string;
  webhookDeleted: boolean;
}

/** Everything one attempt needs (the delivery worker, with the service's own rights). */
export async function getDeliveryToSend(pool: Pool, id: string): Promise<DeliveryToSend | null> {
  const { rows } = await pool.query<DeliveryToSend>(
    `select d.id, d.tenant_id as "tenantId", d.status, d.body, w.url, w.secret as "sealedSecret", w.deleted_at is not null as "webhookDeleted"
     from device.webhook_deliveries d join device.webhooks w on w.id = d.webhook_id where d.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** Records one attempt, numbered after the ones before it, and the delivery's outcome if final. */
export async function recordAttempt(
  pool: Pool,
  delivery: { id: string; tenantId: string },
  attempt: { statusCode: number | null; error: string | null; durationMs: number },
  outcome: 'DELIVERED' | 'FAILED' | null,
): Promise<number> {
  return inScope(pool, operatorScope, async (client) => {
    const { rows } = await client.query<{ attempt: number }>(
      `insert into device.webhook_attempts (delivery_id, tenant_id, attempt, status_code, error, duration_ms)
       select $1, $2, coalesce(max(attempt), 0) + 1, $3, $4, $5 from device.webhook_attempts where delivery_id = $1
       returning attempt`,
      [delivery.id, delivery.tenantId, attempt.statusCode, attempt.error?.slice(0, 500) ?? null, attempt.durationMs],
    );
    if (outcome) await client.query("update device.webhook_deliveries set status = $2, completed_at = now() where id = $1 and status = 'PENDING'", [delivery.id, outcome]);
    return rows[0]!.attempt;
  });
}

/** Newest deliveries of each webhook (one statement for the batch). */
export async function deliveriesByWebhook(db: Queryable, scope: TenantScope, webhookIds: readonly string[], last: number): Promise<Map<string, DeliveryRow[]>> {
  const byWebhook = new Map<string, DeliveryRow[]>(webhookIds.map((id) => [id, []]));
  if (isEmpty(scope) || webhookIds.length === 0) return byWebhook;
  const rows = await inScope(db, scope, async (client) =>
    (
      await client.query<DeliveryRow>(
        `select ${DELIVERY} from (
           select d.*, row_number() over (partition by d.webhook_id order by d.created_at desc, d.id) as rank from device.webhook_deliveries d
           where d.webhook_id = any($2::uuid[]) and ($1::uuid[] is null or d.tenant_id = any($1::uuid[]))
         ) ranked where rank <= $3 order by webhook_id, created_at desc, id`,
        [scopeTenantIds(scope), webhookIds, last],
      )
    ).rows,
  );
  for (const row of rows) byWebhook.get(row.webhookId)?.push(row);
  return byWebhook;
}

export async function attemptsByDelivery(db: Queryable, scope: TenantScope, deliveryIds: readonly string[]): Promise<Map<string, AttemptRow[]>> {
  const byDelivery = new Map<string, AttemptRow[]>(deliveryIds.map((id) => [id, []]));
  if (isEmpty(scope) || deliveryIds.length === 0) return byDelivery;
  const rows = await inScope(db, scope, async (client) =>
    (
      await client.query<AttemptRow>(
        `select delivery_id as "deliveryId", attempt, at, status_code as "statusCode", error, duration_ms as "durationMs"
         from device.webhook_attempts where delivery_id = any($2::uuid[]) and ($1::uuid[] is null or tenant_id = any($1::uuid[]))
         order by delivery_id, attempt`,
        [scopeTenantIds(scope), deliveryIds],
      )
    ).rows,
  );
  for (const row of rows) byDelivery.get(row.deliveryId)?.push(row);
  return byDelivery;
}
