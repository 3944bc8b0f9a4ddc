import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { openSecret, sealSecret } from '../lib/master-key';

export type KeyState = 'current' | 'previous' | 'next' | 'retired';

export interface SigningKey {
  kid: string;
  alg: 'ES256';
  state: KeyState;
  /** Private JWK with `kid`, `alg` and `use`, as oidc-provider's `jwks` option takes it. */
  jwk: JWK;
}

export const SIGNING_KEY_PURPOSE = 'signing-key';

/**
 * oidc-provider signs with the first key of the algorithm, so `current` comes first; `next`
 * (published ahead of a rotation) and `previous` (still verifying older tokens) follow.
 */
const PUBLISHED_ORDER = "case state when 'current' then 0 when 'next' then 1 else 2 end, created_at desc";

export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const exported = privateKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty: exported.kty, crv: exported.crv, x: exported.x, y: exported.y });
  const jwk: JWK = { kty: exported.kty, crv: exported.crv, x: exported.x, y: exported.y, d: exported.d, kid, alg: 'ES256', use: 'sig' };
  return { kid, alg: 'ES256', state: 'current', jwk };
}

async function readKeys(pool: Pool, masterKey: Buffer): Promise<SigningKey[]> {
  const { rows } = await pool.query<{ kid: string; alg: 'ES256'; state: KeyState; sealed_jwk: string }>(
    `select kid, alg, state, sealed_jwk from auth.signing_keys where state <> 'retired' order by ${PUBLISHED_ORDER}`,
  );
  return rows.map((row) => {
    let jwk: JWK;
    try {
      jwk = JSON.parse(openSecret(masterKey, SIGNING_KEY_PURPOSE, row.sealed_jwk).toString('utf8')) as JWK;
    } catch {
      throw new Error(`signing key ${row.kid} cannot be opened: was CYPERNEX_MASTER_KEY changed?`);
    }
    return { kid: row.kid, alg: row.alg, state: row.state, jwk };
  });
}

/**
 * The issuer's published keys, creating the first one when there is none. Issuers that start
 * together race on the one-current index: one insert wins, every issuer then reads that key.
 */
export async function loadSigningKeys(pool: Pool, masterKey: Buffer): Promise<SigningKey[]> {
  const keys = await readKeys(pool, masterKey);
  if (keys.some((key) => key.state === 'current')) return keys;
  const fresh = await generateSigningKey();
  await pool.query(
    `insert into auth.signing_keys (kid, alg, sealed_jwk, state) values ($1, $2, $3, 'current')
     on conflict (state) where state = 'current' do nothing`,
    [fresh.kid, fresh.alg, sealSecret(masterKey, SIGNING_KEY_PURPOSE, Buffer.from(JSON.stringify(fresh.jwk)))],
  );
  return readKeys(pool, masterKey);
}

/** Which keys are published in which state: when it changes, the issuer reloads. */
export async function signingKeysFingerprint(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ fingerprint: string | null }>(
    "select string_agg(kid || ':' || state, ',' order by kid) as fingerprint from auth.signing_keys where state <> 'retired'",
  );
  return rows[0]?.fingerprint ?? '';
}
