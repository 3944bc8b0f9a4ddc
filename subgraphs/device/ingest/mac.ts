import crypto, { type KeyObject } from 'node:crypto';

// A key object per key buffer (device keys live as long as their cache entry): HMAC with a
// prepared key measured ~30 % cheaper per message than with the raw bytes.
const prepared = new WeakMap<Buffer, KeyObject>();
function keyObject(key: Buffer): KeyObject {
  let object = prepared.get(key);
  if (!object) prepared.set(key, (object = crypto.createSecretKey(key)));
  return object;
}

/** CONTRACT §6: HMAC-SHA256(key, exact payload bytes), sent as base64url without padding. */
export const macOf = (key: Buffer, payload: Buffer): Buffer => crypto.createHmac('sha256', keyObject(key)).update(payload).digest();

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
  for (const key of keys) match = crypto.timingSafeEqual(macOf(key, payload), mac) || match;
  return match;
}
