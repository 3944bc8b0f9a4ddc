import { InputError } from '../../../lib/input-error';

/** The events partners may subscribe to (CONTRACT §8). */
export const PARTNER_EVENTS = ['device.registered', 'device.channel.updated', 'device.firmware.updated', 'device.status.changed'] as const;

/**
 * Tenant notifications a webhook receives only when it names them: `security.event`, what
 * the gateway's defender detected among the tenant's principals, is for the tenant's own
 * monitoring, not for every partner platform that takes device events.
 */
export const OPT_IN_EVENTS = ['security.event'] as const;

const WEBHOOK_EVENTS: readonly string[] = [...PARTNER_EVENTS, ...OPT_IN_EVENTS];

export const isWebhookEvent = (type: string): boolean => WEBHOOK_EVENTS.includes(type);

/** Every partner event when none is named. */
export function parseEventTypes(events: readonly string[] | null | undefined): string[] {
  if (!events || events.length === 0) return [...PARTNER_EVENTS];
  const unknown = events.filter((event) => !isWebhookEvent(event));
  if (unknown.length) throw new InputError(`events: unknown ${unknown.join(', ')}; known: ${WEBHOOK_EVENTS.join(', ')}`, 'events');
  return [...new Set(events)];
}
