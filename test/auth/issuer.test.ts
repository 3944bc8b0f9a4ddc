import crypto from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createClient, disableClient } from '../../auth/clients.store';
import type { Scope } from '../../lib/scopes';
import { operatorScope } from '../../lib/tenant-scope';
import { testConfig } from '../helpers/config';
import { clientCredentialsToken, requestClientCredentials, startIssuer, useIssuer } from '../helpers/issuer';

const config = testConfig();
const setup = useIssuer(config, 'auth-test');

async function partner(scopes: Scope[], control = false) {
  const tenantId = crypto.randomUUID();
  const created = await createClient(setup.pool, config.masterKey, { tenantId, name: 'partner', grant: 'client_credentials', scopes, control });
  return { tenantId, clientId: created.clientId, secret: created.clientSecret! };
}

const verify = (token: string, url = setup.issuer.url) =>
  jwtVerify(token, createRemoteJWKSet(new URL(`${url}/jwks`)), {
    issuer: url,
    audience: 'urn:cypernex:api',
    typ: 'at+jwt',
    algorithms: ['ES256'],
  });

describe('client_credentials access tokens', () => {
  it('are ES256 at+jwt for urn:cypernex:api, signed by a published key, with every contract claim', async () => {
    const { tenantId, clientId, secret } = await partner(['fleet:read', 'telemetry:read']);
    const token = await clientCredentialsToken(setup.issuer.url, clientId, secret, 'fleet:read telemetry:read');

    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const jwks = (await (await fetch(`${setup.issuer.url}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
    expect(jwks.keys.every((key) => key.d === undefined)).toBe(true);

    const { payload } = await verify(token);
    expect(payload).toMatchObject({
      iss: setup.issuer.url,
      aud: 'urn:cypernex:api',
      sub: clientId,
      client_id: clientId,
      scope: 'fleet:read telemetry:read',
      tenant_id: tenantId,
      principal_type: 'client',
    });
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - payload.iat!).toBe(config.ACCESS_TOKEN_TTL);
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(900);
  });

  it('live at most 5 minutes when a control scope is granted, to a control client only', async () => {
    const { clientId, secret } = await partner(['device:control', 'fleet:read'], true);
    const control = (await verify(await clientCredentialsToken(setup.issuer.url, clientId, secret, 'device:control fleet:read'))).payload;
    expect(control.scope).toBe('device:control fleet:read');
    expect(control.exp! - control.iat!).toBeLessThanOrEqual(300);

    const monitoring = (await verify(await clientCredentialsToken(setup.issuer.url, clientId, secret, 'fleet:read'))).payload;
    expect(monitoring.exp! - monitoring.iat!).toBe(config.ACCESS_TOKEN_TTL);
  });

  it('carry every registered scope when the request names none', async () => {
    const { clientId, secret } = await partner(['fleet:read', 'telemetry:export']);
    const { payload } = await verify(await clientCredentialsToken(setup.issuer.url, clientId, secret));
    expect(payload.scope).toBe('fleet:read telemetry:export');
  });

  it('are refused, not narrowed, when asked for scopes beyond the registered ones', async () => {
    const { clientId, secret } = await partner(['fleet:read']);
    for (const scope of ['fleet:read fleet:write', 'device:control', 'fleet:read made:up']) {
      const { status, body } = await requestClientCredentials(setup.issuer.url, clientId, secret, scope);
      expect({ scope, status, error: body.error, token: body.access_token }).toEqual({ scope, status: 400, error: 'invalid_scope', token: undefined });
    }
  });

  it('are refused for a wrong secret, another client\'s secret, or a disabled client', async () => {
    const one = await partner(['fleet:read']);
    const other = await partner(['fleet:read']);
    for (const secret of ['wrong', other.secret, `${one.secret}x`]) {
      const { status, body } = await requestClientCredentials(setup.issuer.url, one.clientId, secret, 'fleet:read');
      expect({ status, error: body.error }).toEqual({ status: 401, error: 'invalid_client' });
    }
    expect((await requestClientCredentials(setup.issuer.url, 'cpx-unknownunknownunk', one.secret)).body.error).toBe('invalid_client');

    await clientCredentialsToken(setup.issuer.url, one.clientId, one.secret, 'fleet:read');
    expect(await disableClient(setup.pool, operatorScope, one.clientId)).toBe(true);
    expect((await requestClientCredentials(setup.issuer.url, one.clientId, one.secret, 'fleet:read')).body.error).toBe('invalid_client');
  });

  it('survive a restart: the same key signs, and a token from before verifies against the new JWKS', async () => {
    const { clientId, secret } = await partner(['fleet:read']);
    const before = await clientCredentialsToken(setup.issuer.url, clientId, secret, 'fleet:read');
    await setup.issuer.close();
    setup.issuer = await startIssuer(config, setup.pool, setup.redis, { port: setup.issuer.port });

    await expect(verify(before)).resolves.toBeDefined();
    const after = await clientCredentialsToken(setup.issuer.url, clientId, secret, 'fleet:read');
    expect(decodeProtectedHeader(after).kid).toBe(decodeProtectedHeader(before).kid);
  });
});

describe('the issuer', () => {
  it('publishes discovery for its URL with the platform grants, scopes and PKCE S256', async () => {
    const response = await fetch(`${setup.issuer.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: setup.issuer.url, jwks_uri: `${setup.issuer.url}/jwks`, code_challenge_methods_supported: ['S256'] });
    expect(discovery.grant_types_supported).toEqual(
      expect.arrayContaining(['client_credentials', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']),
    );
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['fleet:read', 'device:control']));
  });

  it('requires PKCE and shows its own sign-in page, not the development one', async () => {
    const tenantId = crypto.randomUUID();
    const redirectUri = 'http://127.0.0.1:9/callback';
    const { clientId } = await createClient(setup.pool, config.masterKey, {
      tenantId,
      name: 'web app',
      grant: 'authorization_code',
      scopes: ['fleet:read'],
      redirectUris: [redirectUri],
    });
    const authorize = (extra: Record<string, string>) =>
      fetch(`${setup.issuer.url}/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid fleet:read', ...extra })}`, {
        redirect: 'manual',
      });

    const withoutPkce = new URL((await authorize({})).headers.get('location')!);
    expect(withoutPkce.origin + withoutPkce.pathname).toBe(redirectUri);
    expect(withoutPkce.searchParams.get('error')).toBe('invalid_request');

    const challenge = crypto.createHash('sha256').update(crypto.randomBytes(32).toString('base64url')).digest('base64url');
    const started = await authorize({ code_challenge: challenge, code_challenge_method: 'S256' });
    expect(started.status).toBe(303);
    const interaction = new URL(started.headers.get('location')!, setup.issuer.url);
    expect(interaction.pathname).toMatch(/^\/interaction\//);
    const cookie = started.headers.getSetCookie().map((value) => value.split(';')[0]).join('; ');
    const page = await fetch(interaction, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`action="${interaction.pathname}/login"`);
    expect(html).not.toContain('devInteractions');
  });

  it('starts the device flow for a registered public client, within its registered scopes only', async () => {
    const { clientId } = await createClient(setup.pool, config.masterKey, {
      tenantId: crypto.randomUUID(),
      name: 'Orange3',
      grant: 'device_code',
      scopes: ['telemetry:read', 'telemetry:export'],
    });
    const start = (scope: string) =>
      fetch(`${setup.issuer.url}/device/auth`, { method: 'POST', body: new URLSearchParams({ client_id: clientId, scope }) });

    const started = await start('openid telemetry:export');
    expect(started.status).toBe(200);
    expect(await started.json()).toMatchObject({ device_code: expect.any(String), user_code: expect.any(String), verification_uri: `${setup.issuer.url}/device` });
    const refused = await start('telemetry:export fleet:write');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_scope');
  });

  it('answers /healthz and /readyz with PostgreSQL and Redis checked', async () => {
    expect((await fetch(`${setup.issuer.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${setup.issuer.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });
});
