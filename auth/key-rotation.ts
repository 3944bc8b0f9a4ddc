import type { Pool } from 'pg';
import { sealSecret } from '../lib/master-key';
import type { Redis } from '../lib/redis';
import { CLOCK_TOLERANCE } from './clock';
import { generateSigningKey, SIGNING_KEY_PURPOSE } from './keys';

/** A `previous` key verifies tokens for as long as one it signed can live (15 minutes), then retires. */
const RETIRE_AFTER_SECONDS = 900 + CLOCK_TOLERANCE + 60;

export type RotationStep = { step: 'published'; kid: string } | { step: 'activated'; kid: string; previous: string | null };

/** Pub/sub channel on which issuers hear that the keys changed (the Redis prefix keeps test runs apart). */
export const keysChangedChannel = (redisPrefix: string): string => `${redisPrefix}auth:signing-keys`;

/**
 * Two-step rotation. Step 1 publishes a `next` key in the JWKS without signing with it, so
 * that every resource server can learn it; step 2 makes it `current` and the old one
 * `previous`, still published until the tokens it signed have expired.
 */
export async function rotateSigningKeys(pool: Pool, masterKey: Buffer, redis?: { redis: Redis; prefix: string }): Promise<RotationStep> {
  const client = await pool.connect();
  let result: RotationStep;
  try {
    await client.query('begin');
    // Two operators rotating at once take turns.
    await client.query('lock table auth.signing_keys in exclusive mode');
    await client.query(
      `update auth.signing_keys set state = 'retired', state_changed_at = now()
       where state = 'previous' and state_changed_at < now() - make_interval(secs => $1)`,
      [RETIRE_AFTER_SECONDS],
    );
    const next = (await client.query<{ kid: string }>("select kid from auth.signing_keys where state = 'next'")).rows[0];
    if (!next) {
      const fresh = await generateSigningKey();
      await client.query("insert into auth.signing_keys (kid, alg, sealed_jwk, state) values ($1, $2, $3, 'next')", [
        fresh.kid,
        fresh.alg,
        sealSecret(masterKey, SIGNING_KEY_PURPOSE, Buffer.from(JSON.stringify(fresh.jwk))),
      ]);
      result = { step: 'published', kid: fresh.kid };
    } else {
      const demoted = await client.query<{ kid: string }>("update auth.signing_keys set state = 'previous', state_changed_at = now() where state = 'current' returning kid");
      await client.query("update auth.signing_keys set state = 'current', state_changed_at = now() where kid = $1", [next.kid]);
      result = { step: 'activated', kid: next.kid, previous: demoted.rows[0]?.kid ?? null };
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  if (redis) await redis.redis.publish(keysChangedChannel(redis.prefix), result.kid);
  return result;
}
