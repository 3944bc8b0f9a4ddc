import { InputError } from '../../lib/input-error';
import { modelOf } from './device-models';
import type { DeviceTarget } from './targets.store';

/** CONTRACT: a device reports every 5 s at the fastest and every 5 min at the slowest. */
export const REPORTING_INTERVAL = { min: 5, max: 300 } as const;
/** Semantic version, optionally with a pre-release tag: what device firmware images are named. */
const FIRMWARE_VERSION = /^\d{1,4}\.\d{1,4}\.\d{1,6}(-[0-9A-Za-z][0-9A-Za-z.-]{0,31})?$/;

export function ctRatingParams(target: DeviceTarget, channel: number, ctRating: number): { channel: number; ctRating: number } {
  if (!Number.isInteger(channel) || channel < 0 || channel >= target.channelCount) {
    throw new InputError(`channel: device ${target.deviceId} has channels 0 to ${target.channelCount - 1}`, 'channel');
  }
  const { ctRatings } = modelOf(target.model);
  if (!ctRatings.includes(ctRating)) {
    throw new InputError(`ctRating: this model takes CT coils of ${ctRatings.join(', ')} A`, 'ctRating');
  }
  return { channel, ctRating };
}

export function reportingIntervalParams(seconds: number): { seconds: number } {
  if (!Number.isInteger(seconds) || seconds < REPORTING_INTERVAL.min || seconds > REPORTING_INTERVAL.max) {
    throw new InputError(`seconds: must be a whole number from ${REPORTING_INTERVAL.min} to ${REPORTING_INTERVAL.max}`, 'seconds');
  }
  return { seconds };
}

export function firmwareParams(version: string): { version: string } {
  if (!FIRMWARE_VERSION.test(version)) throw new InputError('version: must look like 1.2.3 or 1.2.3-beta.1', 'version');
  return { version };
}
