import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config-error';
import { fromRoot } from './paths';

/** Where development keeps its generated master key (git-ignored). */
export const devMasterKeyFile = fromRoot('.cypernex', 'master.key');

const KEY_BYTES = 32;

function decode(name: string, text: string): Buffer {
  const value = text.trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(value)) {
    throw new ConfigError(`configuration: ${name} must be 32 bytes in base64url without padding (43 characters)`);
  }
  return Buffer.from(value, 'base64url');
}

/**
 * CONTRACT §2: required in production; in development generated once and kept in a
 * git-ignored file so that keys encrypted with it stay readable across restarts.
 */
export function loadMasterKey(fromEnv: string | undefined, production: boolean): Buffer {
  if (fromEnv) {
    const key = decode('CYPERNEX_MASTER_KEY', fromEnv);
    if (production && key.equals(Buffer.alloc(KEY_BYTES))) {
      throw new ConfigError('configuration: CYPERNEX_MASTER_KEY is a default (all-zero) key, refused in production');
    }
    return key;
  }
  if (production) throw new ConfigError('configuration: CYPERNEX_MASTER_KEY is required in production');
  if (fs.existsSync(devMasterKeyFile)) return decode(devMasterKeyFile, fs.readFileSync(devMasterKeyFile, 'utf8'));
  fs.mkdirSync(path.dirname(devMasterKeyFile), { recursive: true, mode: 0o700 });
  const key = crypto.randomBytes(KEY_BYTES);
  try {
    fs.writeFileSync(devMasterKeyFile, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another service created it first: use that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return decode(devMasterKeyFile, fs.readFileSync(devMasterKeyFile, 'utf8'));
    }
    throw error;
  }
}

/** Every server-side secret is derived from the master key, one purpose each (HKDF-SHA256). */
export function deriveKey(masterKey: Buffer, purpose: string, bytes = 32): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), `cypernex/${purpose}`, bytes));
}

const VERSION = 'v1';

/** AES-256-GCM with a key derived for the purpose; the purpose is also bound as AAD. */
export function sealSecret(masterKey: Buffer, purpose: string, plaintext: Buffer): string {
  const key = deriveKey(masterKey, `seal/${purpose}`);
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

export function openSecret(masterKey: Buffer, purpose: string, sealed: string): Buffer {
  return secretOpener(masterKey, purpose)(sealed);
}

/** `openSecret` with the key derived once, for opening many secrets of one purpose. */
export function secretOpener(masterKey: Buffer, purpose: string): (sealed: string) => Buffer {
  const key = deriveKey(masterKey, `seal/${purpose}`);
  const aad = Buffer.from(purpose);
  return (sealed) => {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || !body || !tag) throw new Error('sealed secret: unknown format');
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  };
}

/** Keyed hash for high-entropy secrets (client secrets, API keys): never stored in clear. */
export function keyedHash(masterKey: Buffer, purpose: string, secret: string): string {
  return crypto.createHmac('sha256', deriveKey(masterKey, `hash/${purpose}`)).update(secret).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}
