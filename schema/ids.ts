import { InputError } from '../lib/input-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEVICE_ID = /^D\d{12}$/;

/** Tenant, site and other UUID ids; lower-cased so that lookups compare equal. */
export function parseUuid(value: string, field: string): string {
  if (!UUID.test(value)) throw new InputError(`${field}: not a valid id`, field);
  return value.toLowerCase();
}

/** Device ids are `D` followed by 12 digits (CONTRACT §5). */
export function parseDeviceId(value: string, field: string): string {
  if (!DEVICE_ID.test(value)) throw new InputError(`${field}: not a valid device id`, field);
  return value;
}

export const isUuid = (value: string): boolean => UUID.test(value);
export const isDeviceId = (value: string): boolean => DEVICE_ID.test(value);
