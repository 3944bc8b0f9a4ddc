import crypto from 'node:crypto';
import zlib from 'node:zlib';

/**
 * API key format (CONTRACT §3): `cpx_` + 22 base62 characters (62^22 > 2^130, so at least
 * 128 random bits) + `_` + a 6-character base62 checksum, CRC32 of everything before it.
 * The checksum lets the gateway refuse a mistyped or forged key before any lookup.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX = 'cpx_';
const BODY_LENGTH = 22;
const CHECKSUM_LENGTH = 6;
const SHAPE = /^cpx_[0-9A-Za-z]{22}_[0-9A-Za-z]{6}$/;

/** The keyed-hash purpose under which keys are stored (lib/master-key keyedHash). */
export const API_KEY_HASH_PURPOSE = 'api-key';

function base62(value: number, length: number): string {
  let rest = value;
  let text = '';
  for (let i = 0; i < length; i += 1) {
    text = ALPHABET[rest % 62]! + text;
    rest = Math.floor(rest / 62);
  }
  return text;
}

/** 62^6 > 2^32: every CRC32 value has its own 6-character checksum. */
const checksumOf = (head: string): string => base62(zlib.crc32(head), CHECKSUM_LENGTH);

export function generateApiKey(): string {
  // randomInt draws without modulo bias.
  const body = Array.from({ length: BODY_LENGTH }, () => ALPHABET[crypto.randomInt(62)]).join('');
  const head = `${PREFIX}${body}`;
  return `${head}_${checksumOf(head)}`;
}

/** True when the key has the format and its checksum matches; says nothing about whether it exists. */
export function isWellFormedApiKey(key: string): boolean {
  if (!SHAPE.test(key)) return false;
  const head = key.slice(0, PREFIX.length + BODY_LENGTH);
  const presented = Buffer.from(key.slice(-CHECKSUM_LENGTH));
  return crypto.timingSafeEqual(presented, Buffer.from(checksumOf(head)));
}
