import crypto from 'node:crypto';
import { SignJWT, importJWK, type JWK } from 'jose';
import { loadSigningKeys } from '../../auth/keys';
import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices, type TestTenant } from '../helpers/tenants';

let platform: Platform;
let tenant: TestTenant;
let token: string;
let claims: Record<string, unknown>;
let issuerKey: { jwk: JWK; kid: string };

const ME = '{ me { subject tenant { id } } }';

beforeAll(async () => {
  platform = await startPlatform();
  tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Auth', 1);
  const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, ['tenancy:read', 'fleet:read']);
  token = await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'tenancy:read fleet:read');
  claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  const [current] = await loadSigningKeys(platform.pool, platform.config.masterKey);
  issuerKey = { jwk: current!.jwk, kid: current!.kid };
});

afterAll(() => platform?.close());

/** A token signed with the issuer's own key, so that only the changed claim or header is wrong. */
async function signWithIssuerKey(payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const key = await importJWK(issuerKey.jwk, 'ES256');
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: issuerKey.kid, ...header }).sign(key);
}

function expectUnauthenticated(result: Awaited<ReturnType<Platform['query']>>): void {
  expect(result.status).toBe(401);
  expect(result.body.data ?? null).toBeNull();
  expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
}

describe('gateway authentication', () => {
  it('accepts a token of the issuer', async () => {
    const result = await platform.query(token, ME);
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ me: { subject: claims.sub, tenant: { id: tenant.id } } });
    expect(result.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a request without a token with 401 UNAUTHENTICATED', async () => {
    expectUnauthenticated(await platform.query(null, ME));
    expectUnauthenticated(await platform.query(null, ME, {}, { authorization: 'Basic Zm9vOmJhcg==' }));
  });

  it('refuses alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: issuerKey.kid })).toString('base64url');
    const body = token.split('.')[1];
    expectUnauthenticated(await platform.query(`${header}.${body}.`, ME));
  });

  it('refuses a token signed by another key, even with the issuer kid', async () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: issuerKey.kid }).sign(privateKey);
    expectUnauthenticated(await platform.query(forged, ME));
  });

  it('refuses an HMAC token keyed with the public key (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify({ kty: issuerKey.jwk.kty, crv: issuerKey.jwk.crv, x: issuerKey.jwk.x, y: issuerKey.jwk.y }));
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: issuerKey.kid }).sign(secret);
    expectUnauthenticated(await platform.query(forged, ME));
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = token.split('.');
    const other = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Victim', 1);
    const payload = Buffer.from(JSON.stringify({ ...claims, tenant_id: other.id })).toString('base64url');
    expectUnauthenticated(await platform.query(`${header}.${payload}.${signature}`, ME));
  });

  it('refuses a wrong audience, a wrong issuer, a wrong typ, an expired or not-yet-valid token', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectUnauthenticated(await platform.query(await signWithIssuerKey({ ...claims, aud: 'urn:someone:else' }), ME));
    expectUnauthenticated(await platform.query(await signWithIssuerKey({ ...claims, iss: 'http://evil.example' }), ME));
    expectUnauthenticated(await platform.query(await signWithIssuerKey(claims, { typ: 'JWT' }), ME));
    expectUnauthenticated(await platform.query(await signWithIssuerKey({ ...claims, iat: now - 3600, exp: now - 60 }), ME));
    expectUnauthenticated(await platform.query(await signWithIssuerKey({ ...claims, nbf: now + 600 }), ME));
    // The control: the same key and claims are accepted, so each refusal above is the changed part's.
    expect((await platform.query(await signWithIssuerKey(claims), ME)).status).toBe(200);
  });

  it('refuses a token with an unknown kid without failing the gateway', async () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'unknown-kid' }).sign(privateKey);
    expectUnauthenticated(await platform.query(forged, ME));
    expect((await platform.query(token, ME)).status).toBe(200);
  });

  it('never lets a subgraph be called with an end-user token instead of the gateway context', async () => {
    for (const url of Object.values(platform.subgraphUrls)) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ _entities(representations: [{ __typename: "Tenant", id: "x" }]) { __typename } }' }),
      });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { data?: unknown };
      expect(body.data ?? null).toBeNull();
    }
  });
});

describe('gateway input handling', () => {
  it.each([
    ['first: -1', '{ devices(first: -1) { edges { cursor } } }'],
    ['first: 100000', '{ devices(first: 100000) { edges { cursor } } }'],
    ['a malformed cursor', '{ devices(after: "not-a-cursor") { edges { cursor } } }'],
    ['a malformed device id', '{ device(id: "X1; drop table fleet.devices") { id } }'],
    ['a malformed tenant id', '{ tenant(id: "nope") { id } }'],
  ])('answers %s with BAD_USER_INPUT and no internals', async (_name, query) => {
    const result = await platform.query(token, query);
    expect(result.body.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const text = JSON.stringify(result.body);
    expect(text).not.toMatch(/stacktrace|at [A-Za-z]+ \(|select |postgres|fleet\.devices/i);
  });

  it('refuses cross-site "simple" requests (CSRF prevention)', async () => {
    const form = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: ME }),
    });
    expect(form.status).toBe(400);
    const get = await fetch(`${platform.gatewayUrl}?query=${encodeURIComponent(ME)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(400);
    const preflighted = await fetch(`${platform.gatewayUrl}?query=${encodeURIComponent(ME)}`, {
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    });
    expect(preflighted.status).toBe(200);
  });

  it('answers a syntax error with 400, not 500', async () => {
    const result = await platform.query(token, '{ devices(first: ');
    expect(result.status).toBe(400);
  });
});
