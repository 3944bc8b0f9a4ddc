import crypto from 'node:crypto';
import { newEvent, publishEvent } from '../../lib/events';
import type { Logger } from '../../lib/logger';
import type { Principal } from '../../lib/principal';
import { tenantsScope } from '../../lib/tenant-scope';
import type { DefenderDeps } from './defender';
import { applyRemedy, remedyFor } from './remedy';
import { RULES, type Rule } from './rules';
import { recordSecurityEvent, type NewSecurityEvent } from './security-events.store';
import { principalKey, tripKey } from './windows';

/** What tenant webhooks that name it receive (subgraphs/device/webhooks/partner-events.ts), and the bus carries. */
export const SECURITY_EVENT = 'security.event';

export interface Trip {
  rule: Rule;
  principal: Principal;
  detail: Record<string, unknown>;
  logger: Logger;
}

/**
 * A rule tripped: once per burst across every replica (SET NX for the window), the remedy
 * goes into force first (it is what protects), then the event is recorded in the
 * principal's tenant, logged at warn, and published for the tenant's webhooks.
 */
export async function tripRule(deps: DefenderDeps, trip: Trip): Promise<void> {
  const { redis, pool, settings } = deps;
  const { rule, principal, detail, logger } = trip;
  const first = await redis.set(tripKey(rule.name, principalKey(principal)), '1', 'EX', settings.windowSeconds, 'NX');
  if (!first) return;
  const remedy = remedyFor(rule.action, principal, settings);
  const event: NewSecurityEvent = {
    id: crypto.randomUUID(),
    tenantId: principal.tenantId,
    principalType: principal.principalType,
    subject: principal.subject,
    clientId: principal.clientId,
    rule: rule.name,
    detail,
    action: rule.action,
    ...remedy,
  };
  await applyRemedy(redis, event, principal, remedy, settings);
  logger.warn(
    { securityEvent: { id: event.id, tenantId: event.tenantId, principalType: event.principalType, subject: event.subject, clientId: event.clientId, rule: rule.name, action: rule.action, detail, expiresAt: remedy.expiresAt } },
    `defender: ${RULES[rule.name]}; action ${rule.action}`,
  );
  await recordSecurityEvent(pool, tenantsScope([principal.tenantId]), event);
  await publishEvent(
    redis,
    newEvent(SECURITY_EVENT, principal.tenantId, {
      securityEventId: event.id,
      rule: rule.name,
      action: rule.action,
      principalType: principal.principalType,
      subject: principal.subject,
      clientId: principal.clientId,
      detail,
      expiresAt: remedy.expiresAt?.toISOString() ?? null,
    }),
  );
}
