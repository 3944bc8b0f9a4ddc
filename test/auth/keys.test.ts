import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { generateSigningKey, loadSigningKeys } from '../../auth/keys';
import { sealSecret } from '../../lib/master-key';
import { migrate } from '../../lib/migrate';
import { createPool, dropDatabase } from '../../lib/postgres';
import { testConfig } from '../helpers/config';

const config = testConfig();
// Signing keys are global to a database: this file needs one where no issuer started yet.
const databaseUrl = (() => {
  const url = new URL(config.DATABASE_URL);
  url.pathname = `${url.pathname}_keys`;
  return url.toString();
})();
let pool: Pool;

beforeAll(async () => {
  await migrate(databaseUrl);
  pool = createPool(databaseUrl, { service: 'auth-test', max: 8 });
});

afterAll(async () => {
  await pool.end();
  await dropDatabase(databaseUrl);
});

async function insertKey(state: string): Promise<string> {
  const key = await generateSigningKey();
  await pool.query("insert into auth.signing_keys (kid, alg, sealed_jwk, state) values ($1, 'ES256', $2, $3)", [
    key.kid,
    sealSecret(config.masterKey, 'signing-key', Buffer.from(JSON.stringify(key.jwk))),
    state,
  ]);
  return key.kid;
}

describe('signing keys', () => {
  it('are created once when issuers start together, and every issuer gets the same key', async () => {
    const started = await Promise.all(Array.from({ length: 6 }, () => loadSigningKeys(pool, config.masterKey)));
    const kids = new Set(started.map((keys) => keys[0]!.kid));
    expect(kids.size).toBe(1);
    const { rows } = await pool.query('select kid, state from auth.signing_keys');
    expect(rows).toEqual([{ kid: [...kids][0], state: 'current' }]);
  });

  it('are stored sealed, and only the master key that sealed them opens them', async () => {
    const [current] = await loadSigningKeys(pool, config.masterKey);
    expect(current!.jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: current!.kid });
    const { rows } = await pool.query<{ sealed_jwk: string }>('select sealed_jwk from auth.signing_keys where kid = $1', [current!.kid]);
    expect(rows[0]!.sealed_jwk).not.toContain(current!.jwk.d);

    await expect(loadSigningKeys(pool, crypto.randomBytes(32))).rejects.toThrow(/CYPERNEX_MASTER_KEY/);
  });

  it('publish current first (it signs), then next and previous; retired keys are gone', async () => {
    const [current] = await loadSigningKeys(pool, config.masterKey);
    const previous = await insertKey('previous');
    const next = await insertKey('next');
    const retired = await insertKey('retired');

    const keys = await loadSigningKeys(pool, config.masterKey);
    expect(keys.map((key) => [key.kid, key.state])).toEqual([
      [current!.kid, 'current'],
      [next, 'next'],
      [previous, 'previous'],
    ]);
    expect(keys.map((key) => key.kid)).not.toContain(retired);
  });
});
