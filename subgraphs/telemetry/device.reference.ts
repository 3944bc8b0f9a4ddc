import { isDeviceId } from '../../schema/ids';
import type { TelemetryDevice } from './device';

/**
 * Any well-formed id resolves to a stub: the fields themselves only show data of devices
 * whose tenant the caller may read telemetry of (row-level security for readings, the
 * tenant recorded with the latest reading for `latestReading`).
 */
export function resolveDeviceReference(reference: { id: string }): TelemetryDevice | null {
  return isDeviceId(reference.id) ? { id: reference.id } : null;
}
