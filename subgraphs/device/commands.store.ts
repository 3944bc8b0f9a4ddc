import type { Pool, PoolClient } from 'pg';
import type { PlatformEvent } from '../../lib/events';
import { InputError } from '../../lib/input-error';
import { operatorScope, scopeIncludes, type TenantScope } from '../../lib/tenant-scope';
import { inScope, scopeTenantIds, type Queryable } from '../queryable';
import { enqueueEvents } from './outbox';

export const commandStatuses = ['PENDING', 'SENT', 'ACCEPTED', 'APPLIED', 'REJECTED', 'FAILED', 'EXPIRED'] as const;
export type CommandStatus = (typeof commandStatuses)[number];
export type CommandType = 'setCtRating' | 'setReportingInterval' | 'reboot' | 'firmwareUpgrade';

/** A command still waiting for its device; every other status is final. */
export const OPEN_STATUSES: readonly CommandStatus[] = ['PENDING', 'SENT', 'ACCEPTED'];

export interface CommandRow {
  id: string;
  deviceId: string;
  tenantId: string;
  region: string;
  type: CommandType;
  params: Record<string, unknown>;
  status: CommandStatus;
  requestedBy: string;
  clientId: string | null;
  issuedAt: Date;
  expiresAt: Date;
  completedAt: Date | null;
  detail: string | null;
}

export interface TransitionRow {
  commandId: string;
  status: CommandStatus;
  at: Date;
  source: string;
  detail: string | null;
}

/** Who changed a command: the caller (api), its device (device), expiry (sweeper), the broker. */
export type TransitionSource = 'api' | 'device' | 'sweeper' | 'broker';

const COLUMNS = `id, device_id as "deviceId", tenant_id as "tenantId", region, type, params, status, requested_by as "requestedBy",
  client_id as "clientId", issued_at as "issuedAt", expires_at as "expiresAt", completed_at as "completedAt", detail`;
const isEmpty = (scope: TenantScope) => scope.kind === 'tenants' && scope.tenantIds.length === 0;

export interface NewCommand {
  id: string;
  deviceId: string;
  tenantId: string;
  region: string;
  type: CommandType;
  params: Record<string, unknown>;
  requestedBy: string;
  clientId: string | null;
  issuedAt: Date;
  expiresAt: Date;
}

/** Stores a command as PENDING with its first transition; the caller's scope must hold the device's tenant. */
export async function createCommand(db: Queryable, scope: TenantScope, input: NewCommand): Promise<CommandRow> {
  if (!scopeIncludes(scope, input.tenantId)) throw new InputError(`deviceId: no device ${input.deviceId}`, 'deviceId');
  return inScope(db, scope, async (client) => {
    const { rows } = await client.query<CommandRow>(
      `insert into device.commands (id, device_id, tenant_id, region, type, params, status, requested_by, client_id, issued_at, expires_at)
       values ($1, $2, $3, $4, $5, $6, 'PENDING', $7, $8, $9, $10) returning ${COLUMNS}`,
      [input.id, input.deviceId, input.tenantId, input.region, input.type, JSON.stringify(input.params), input.requestedBy, input.clientId, input.issuedAt, input.expiresAt],
    );
    await insertTransitions(client, [{ commandId: input.id, tenantId: input.tenantId, status: 'PENDING', source: 'api', detail: null }]);
    return rows[0]!;
  });
}

export interface Transition {
  to: CommandStatus;
  /** Only from these statuses: a late or repeated answer cannot reopen a final command. */
  from: readonly CommandStatus[];
  source: TransitionSource;
  detail?: string | null;
  /** Events that commit with the transition (outbox). */
  events?: (command: CommandRow) => PlatformEvent[];
}

/**
 * Moves a command of `deviceId` if it is in one of `from`; null when nothing changed. A
 * device's answer to a command still PENDING (it answered before the broker's PUBACK was
 * recorded) proves the command was sent: the history then records SENT before the answer.
 */
export async function transitionCommand(db: Queryable, scope: TenantScope, deviceId: string, id: string, transition: Transition): Promise<CommandRow | null> {
  if (isEmpty(scope)) return null;
  const final = !OPEN_STATUSES.includes(transition.to);
  return inScope(db, scope, async (client) => {
    const { rows } = await client.query<CommandRow & { previousStatus: CommandStatus }>(
      `with previous as (
         select id as previous_id, status as previous_status from device.commands
         where id = $2 and device_id = $3 and ($1::uuid[] is null or tenant_id = any($1::uuid[])) for update
       )
       update device.commands set status = $4, detail = coalesce($5, detail), completed_at = case when $6 then now() else completed_at end
       from previous where id = previous_id and previous_status = any($7::text[])
       returning ${COLUMNS}, previous_status as "previousStatus"`,
      [scopeTenantIds(scope), id, deviceId, transition.to, transition.detail ?? null, final, transition.from],
    );
    const row = rows[0];
    if (!row) return null;
    const { previousStatus, ...command } = row;
    const steps = [{ commandId: id, tenantId: command.tenantId, status: transition.to, source: transition.source, detail: transition.detail ?? null }];
    if (previousStatus === 'PENDING' && transition.source === 'device') {
      steps.unshift({ commandId: id, tenantId: command.tenantId, status: 'SENT', source: 'device', detail: 'implied by the answer' });
    }
    await insertTransitions(client, steps);
    await enqueueEvents(client, transition.events?.(command) ?? []);
    return command;
  });
}

/** One command of a device, or null (unknown, another device's, or outside the scope). */
export async function getCommand(db: Queryable, scope: TenantScope, deviceId: string, id: string): Promise<CommandRow | null> {
  if (isEmpty(scope)) return null;
  return inScope(db, scope, async (client) =>
    (
      await client.query<CommandRow>(
        `select ${COLUMNS} from device.commands where id = $2 and device_id = $3 and ($1::uuid[] is null or tenant_id = any($1::uuid[]))`,
        [scopeTenantIds(scope), id, deviceId],
      )
    ).rows[0] ?? null,
  );
}

/**
 * Marks open commands past their `expiresAt` EXPIRED, with their transitions, in one
 * statement: those among `ids` (the sweeper's due list), or all of them (its backstop).
 * Replicas may sweep at the same time: row locks let each command expire once.
 */
export async function expireOverdue(pool: Pool, ids?: readonly string[]): Promise<number> {
  return inScope(pool, operatorScope, async (client) => {
    const { rows } = await client.query<{ id: string; tenant_id: string }>(
      `update device.commands set status = 'EXPIRED', completed_at = now(), detail = 'no answer from the device before expiresAt'
       where status = any($1::text[]) and expires_at <= now() and ($2::uuid[] is null or id = any($2::uuid[])) returning id, tenant_id`,
      [OPEN_STATUSES, ids ?? null],
    );
    await insertTransitions(
      client,
      rows.map((row) => ({ commandId: row.id, tenantId: row.tenant_id, status: 'EXPIRED' as const, source: 'sweeper' as const, detail: null })),
    );
    return rows.length;
  });
}

/** The newest `last` commands of each device, newest first (one statement for the batch). */
export async function commandsByDevice(db: Queryable, scope: TenantScope, deviceIds: readonly string[], last: number): Promise<Map<string, CommandRow[]>> {
  const byDevice = new Map<string, CommandRow[]>(deviceIds.map((id) => [id, []]));
  if (isEmpty(scope) || deviceIds.length === 0) return byDevice;
  const rows = await inScope(db, scope, async (client) =>
    (
      await client.query<CommandRow>(
        `select ${COLUMNS} from (
           select c.*, row_number() over (partition by c.device_id order by c.issued_at desc, c.id) as rank
           from device.commands c
           where c.device_id = any($2::text[]) and ($1::uuid[] is null or c.tenant_id = any($1::uuid[]))
         ) ranked where rank <= $3 order by device_id, issued_at desc, id`,
        [scopeTenantIds(scope), deviceIds, last],
      )
    ).rows,
  );
  for (const row of rows) byDevice.get(row.deviceId)?.push(row);
  return byDevice;
}

/** Every transition of each command, oldest first. */
export async function transitionsByCommand(db: Queryable, scope: TenantScope, commandIds: readonly string[]): Promise<Map<string, TransitionRow[]>> {
  const byCommand = new Map<string, TransitionRow[]>(commandIds.map((id) => [id, []]));
  if (isEmpty(scope) || commandIds.length === 0) return byCommand;
  const rows = await inScope(db, scope, async (client) =>
    (
      await client.query<TransitionRow>(
        `select command_id as "commandId", status, at, source, detail from device.command_transitions
         where command_id = any($2::uuid[]) and ($1::uuid[] is null or tenant_id = any($1::uuid[])) order by command_id, id`,
        [scopeTenantIds(scope), commandIds],
      )
    ).rows,
  );
  for (const row of rows) byCommand.get(row.commandId)?.push(row);
  return byCommand;
}

export interface RejectedAnswer {
  topic: string;
  deviceId: string | null;
  tenantId: string | null;
  correlation: string | null;
  reason: string;
  payload: Buffer;
}

/** An answer that changed nothing is kept with its reason (audit: forged or confused devices). */
export async function recordRejectedAnswer(pool: Pool, answer: RejectedAnswer): Promise<void> {
  await pool.query(
    'insert into device.rejected_answers (topic, device_id, tenant_id, correlation, reason, payload) values ($1, $2, $3, $4, $5, $6)',
    [answer.topic, answer.deviceId, answer.tenantId, answer.correlation?.slice(0, 200) ?? null, answer.reason, answer.payload],
  );
}

async function insertTransitions(
  client: PoolClient,
  rows: readonly { commandId: string; tenantId: string; status: CommandStatus; source: TransitionSource; detail: string | null }[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    'insert into device.command_transitions (command_id, tenant_id, status, source, detail) select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[])',
    [rows.map((r) => r.commandId), rows.map((r) => r.tenantId), rows.map((r) => r.status), rows.map((r) => r.source), rows.map((r) => r.detail)],
  );
}
