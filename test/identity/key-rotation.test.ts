import { decodeProtectedHeader } from 'jose';
import { rotateSigningKeys } from '../../auth/key-rotation';
import { migrate } from '../../lib/migrate';
import { dropDatabase } from '../../lib/postgres';
import { testConfig } from '../helpers/config';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices } from '../helpers/tenants';

// Signing keys are global to a database: rotating them gets a database (and Redis prefix) of its own.
const base = testConfig();
const databaseUrl = (() => {
  const url = new URL(base.DATABASE_URL);
  url.pathname = `${url.pathname}_rotation`;
  return url.toString();
})();
let platform: Platform;

beforeAll(async () => {
  await migrate(databaseUrl);
  platform = await startPlatform({ DATABASE_URL: databaseUrl, REDIS_KEY_PREFIX: `${base.REDIS_KEY_PREFIX}rotation:` });
});

afterAll(async () => {
  await platform.close();
  await dropDatabase(databaseUrl);
});

const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const publishedKids = async () => ((await (await fetch(`${platform.issuer.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const until = Date.now() + 5000;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('rotates in two steps without a restart: the next key is published first, old tokens verify until they expire', async () => {
  const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'rotation', 1);
  const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, ['fleet:read']);
  const token = () => clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'fleet:read');
  const devices = (accessToken: string) => platform.query(accessToken, '{ devices(first: 5) { edges { node { id } } } }');
  const before = await token();
  const oldKid = kidOf(before);

  const published = await rotateSigningKeys(platform.pool, platform.config.masterKey, { redis: platform.redis, prefix: platform.config.REDIS_KEY_PREFIX });
  expect(published.step).toBe('published');
  expect(await eventually(publishedKids, (kids) => kids.includes(published.kid))).toEqual([oldKid, published.kid]);
  // Published, not yet signing.
  expect(kidOf(await token())).toBe(oldKid);
  expect((await devices(before)).status).toBe(200);

  const activated = await rotateSigningKeys(platform.pool, platform.config.masterKey, { redis: platform.redis, prefix: platform.config.REDIS_KEY_PREFIX });
  expect(activated).toEqual({ step: 'activated', kid: published.kid, previous: oldKid });
  const after = await eventually(token, (value) => kidOf(value) === published.kid);
  expect(kidOf(after)).toBe(published.kid);
  expect(await publishedKids()).toEqual([published.kid, oldKid]);

  // The gateway learned the new key in step 1; the token signed with the previous key still works.
  expect((await devices(after)).status).toBe(200);
  expect((await devices(before)).status).toBe(200);
});
