import { isDeviceId } from '../../schema/ids';
import type { FleetContext } from './loaders';
import type { DeviceRow } from './store';

/**
 * The gateway asks for a Device by id after another subgraph returned it: the referencing
 * object was authorized there, so any visible device resolves; anything else is null.
 */
export function resolveDeviceReference(reference: { id: string }, context: FleetContext): Promise<DeviceRow | null> | null {
  return isDeviceId(reference.id) ? context.loaders.device.load(reference.id) : null;
}
