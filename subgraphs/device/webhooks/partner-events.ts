import { InputError } from '../../../lib/input-error';

/** The events partners may subscribe to (CONTRACT §8). */
export const PARTNER_EVENTS = ['device.registered', 'device.channel.updated', 'device.firmware.updated', 'device.status.changed'] as const;

export const isPartnerEvent = (type: string): boolean => (PARTNER_EVENTS as readonly string[]).includes(type);

/** Every partner event when none is named. */
export function parseEventTypes(events: readonly string[] | null | undefined): string[] {
  if (!events || events.length === 0) return [...PARTNER_EVENTS];
  const unknown = events.filter((event) => !isPartnerEvent(event));
  if (unknown.length) throw new InputError(`events: unknown ${unknown.join(', ')}; known: ${PARTNER_EVENTS.join(', ')}`, 'events');
  return [...new Set(events)];
}
