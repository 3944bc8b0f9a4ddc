import { HmacSha256Key } from '../../../lib/hmac-sha256';

// The pad states of each key buffer, prepared once (device keys live as long as their
// cache entry): a MAC then costs the payload's blocks and one more, and no native object
// (lib/hmac-sha256.ts).
const prepared = new WeakMap<Buffer, HmacSha256Key>();
function preparedKey(key: Buffer): HmacSha256Key {
  let object = prepared.get(key);
  if (!object) prepared.set(key, (object = new HmacSha256Key(key)));
  return object;
}

/** CONTRACT §6: HMAC-SHA256(key, exact payload bytes), sent as base64url without padding. */
export const macOf = (key: Buffer, payload: Buffer): Buffer => preparedKey(key).digest(payload);

export const encodeMac = (mac: Buffer): string => mac.toString('base64url');

/** The `mac` user property as bytes, or null when it is not a well-formed 32-byte value. */
export function decodeMac(value: unknown): Buffer | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  return Buffer.from(text, 'base64url');
}

/** Constant-time comparison against each acceptable key (current, then previous). */
export function macMatches(keys: readonly Buffer[], payload: Buffer, mac: Buffer): boolean {
  let match = false;
  for (const key of keys) match = preparedKey(key).verify(payload, mac) || match;
  return match;
}

/** `macMatches` with the keys prepared already (DeviceKeys.macKeys: no look-up per message). */
export function preparedMacMatches(keys: readonly HmacSha256Key[], payload: Buffer, mac: Buffer): boolean {
  let match = false;
  for (const key of keys) match = key.verify(payload, mac) || match;
  return match;
}
