import crypto from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { testConfig } from '../helpers/config';
import { useIssuer } from '../helpers/issuer';
import { codeFlow, discover, publicClient, REDIRECT_URI, signInThrough, userOf } from '../helpers/users';
import { formFields, WebSession } from '../helpers/web-session';

const config = testConfig();
const setup = useIssuer(config, 'identity-test');

const verify = async (token: string) =>
  (await jwtVerify(token, createRemoteJWKSet(new URL(`${setup.issuer.url}/jwks`)), { issuer: setup.issuer.url, audience: 'urn:cypernex:api', typ: 'at+jwt' })).payload;

describe('authorization code with PKCE', () => {
  it('gives a viewer a user token of its tenant with requested ∩ client ∩ role scopes, and a refresh token that rotates', async () => {
    const tenantId = crypto.randomUUID();
    const viewer = await userOf(setup.pool, tenantId, 'viewer');
    const clientId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['fleet:read', 'fleet:write', 'telemetry:read']);
    const client = await discover(setup.issuer.url, clientId);

    const tokens = await codeFlow(client, setup.issuer.url, viewer, 'openid offline_access fleet:read fleet:write');
    const claims = await verify(tokens.access_token);
    // fleet:write is the client's but not a viewer's.
    expect(claims).toMatchObject({ sub: viewer.id, tenant_id: tenantId, principal_type: 'user', client_id: clientId, scope: 'fleet:read' });
    expect(claims.exp! - claims.iat!).toBe(config.ACCESS_TOKEN_TTL);
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const refreshed = await oidc.refreshTokenGrant(client, tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await verify(refreshed.access_token)).scope).toBe('fleet:read');
    // Rotation: the used refresh token is spent.
    await expect(oidc.refreshTokenGrant(client, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses an authorization request without PKCE', async () => {
    const clientId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['fleet:read']);
    const query = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid fleet:read' });
    const response = await fetch(`${setup.issuer.url}/auth?${query}`, { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('revokes a refresh token, and introspects only what is still active', async () => {
    const viewer = await userOf(setup.pool, crypto.randomUUID(), 'viewer');
    const clientId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['fleet:read']);
    const client = await discover(setup.issuer.url, clientId);
    const tokens = await codeFlow(client, setup.issuer.url, viewer, 'openid offline_access fleet:read');

    expect(await oidc.tokenIntrospection(client, tokens.refresh_token!)).toMatchObject({ active: true, sub: viewer.id });
    await oidc.tokenRevocation(client, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(client, tokens.refresh_token!)).toMatchObject({ active: false });
    await expect(oidc.refreshTokenGrant(client, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a disabled user cannot refresh', async () => {
    const viewer = await userOf(setup.pool, crypto.randomUUID(), 'viewer');
    const clientId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['fleet:read']);
    const client = await discover(setup.issuer.url, clientId);
    const tokens = await codeFlow(client, setup.issuer.url, viewer, 'openid offline_access fleet:read');
    await setup.pool.query('update auth.users set disabled_at = now() where id = $1', [viewer.id]);
    await expect(oidc.refreshTokenGrant(client, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('control login', () => {
  it('gives an operator control scopes through a control client only: at most 5 minutes, never a refresh token', async () => {
    const operator = await userOf(setup.pool, crypto.randomUUID(), 'operator');
    const controlId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['device:control', 'fleet:read'], true);
    const control = await discover(setup.issuer.url, controlId);
    const tokens = await codeFlow(control, setup.issuer.url, operator, 'openid offline_access device:control fleet:read');
    const claims = await verify(tokens.access_token);
    expect(claims.scope).toBe('device:control fleet:read');
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(300);
    expect(tokens.refresh_token).toBeUndefined();

    const monitoringId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['fleet:read']);
    const monitoring = await codeFlow(await discover(setup.issuer.url, monitoringId), setup.issuer.url, operator, 'openid device:control fleet:read').catch((error: unknown) => error);
    expect(monitoring).toMatchObject({ error: 'invalid_scope' });
  });

  it('never gives a viewer control scopes, even through a control client', async () => {
    const viewer = await userOf(setup.pool, crypto.randomUUID(), 'viewer');
    const controlId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['device:control', 'fleet:read'], true);
    const tokens = await codeFlow(await discover(setup.issuer.url, controlId), setup.issuer.url, viewer, 'openid device:control fleet:read');
    expect((await verify(tokens.access_token)).scope).toBe('fleet:read');
  });

  it('asks for the password again when the sign-in is older than CONTROL_LOGIN_MAX_AGE', async () => {
    const operator = await userOf(setup.pool, crypto.randomUUID(), 'operator');
    const controlId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['device:control'], true);
    const control = await discover(setup.issuer.url, controlId);
    const session = new WebSession(setup.issuer.url);
    await codeFlow(control, setup.issuer.url, operator, 'openid device:control', {}, session);

    // Age the session's sign-in beyond the limit, as time would.
    const sessionKeys = await setup.redis.keys(`${config.REDIS_KEY_PREFIX}oidc:Session:*`);
    for (const prefixed of sessionKeys) {
      const key = prefixed.slice(config.REDIS_KEY_PREFIX.length);
      const payload = JSON.parse((await setup.redis.hget(key, 'payload'))!) as { accountId?: string; loginTs?: number };
      if (payload.accountId !== operator.id) continue;
      payload.loginTs = Math.floor(Date.now() / 1000) - config.CONTROL_LOGIN_MAX_AGE - 10;
      await setup.redis.hset(key, 'payload', JSON.stringify(payload));
    }
    const url = oidc.buildAuthorizationUrl(control, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid device:control',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await session.follow(url.toString());
    expect(page.location).toBeUndefined();
    expect(page.html).toContain('Control sign-in');
    expect(formFields(page.html, '/login').fields).toHaveProperty('password');
  });
});

describe('device authorization grant', () => {
  it('signs a data-mining tool in through the device pages and gives it a refreshable user token', async () => {
    const tenantId = crypto.randomUUID();
    const viewer = await userOf(setup.pool, tenantId, 'viewer');
    const clientId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'device_code', ['telemetry:read', 'telemetry:export']);
    const client = await discover(setup.issuer.url, clientId);
    const started = await oidc.initiateDeviceAuthorization(client, { scope: 'openid offline_access telemetry:export' });

    const session = new WebSession(setup.issuer.url);
    const entry = await session.follow(started.verification_uri);
    expect(entry.html).toContain('<label for="user_code">');
    const { action, fields } = formFields(entry.html, '/device');
    const confirm = await session.follow(action, { form: { ...fields, user_code: started.user_code } });
    expect(confirm.html).toContain(started.user_code);
    const confirmHtml = confirm.html.split('</form>').find((part) => part.includes('name="confirm"'))!;
    const confirmForm = formFields(`${confirmHtml.slice(confirmHtml.indexOf('<form'))}</form>`, '/device');
    const finished = await signInThrough(session, await session.follow(confirmForm.action, { form: confirmForm.fields }), viewer);
    expect(finished.html).toContain('Device connected');

    const tokens = await oidc.pollDeviceAuthorizationGrant(client, started);
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ sub: viewer.id, tenant_id: tenantId, principal_type: 'user', scope: 'telemetry:export' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });
});
