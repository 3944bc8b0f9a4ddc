import { isDeviceId } from '../../schema/ids';
import type { DeviceEntity } from './device';

/**
 * The gateway asks for a Device's status or commands after fleet resolved it: the field
 * resolvers load the device through the caller's visible tenants, so a reference is its id.
 */
export function resolveDeviceReference(reference: { id: string }): DeviceEntity | null {
  return isDeviceId(reference.id) ? { id: reference.id } : null;
}
