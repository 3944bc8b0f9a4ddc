import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { createClient } from '../../auth/clients.store';
import { testConfig } from '../helpers/config';
import { startIssuer, useIssuer } from '../helpers/issuer';
import { discover, publicClient, REDIRECT_URI, userOf } from '../helpers/users';
import { formFields, WebSession } from '../helpers/web-session';

const LOCK_SECONDS = 3;
const config = testConfig({ LOGIN_LOCKOUT_SECONDS: String(LOCK_SECONDS) });
const setup = useIssuer(config, 'identity-test');

/** A browser session stopped on the login page of a fresh authorization request. */
async function loginPage(headers: Record<string, string> = {}) {
  const clientId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['fleet:read']);
  const client = await discover(setup.issuer.url, clientId);
  const url = oidc.buildAuthorizationUrl(client, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid fleet:read',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const session = new WebSession(setup.issuer.url);
  const page = await session.follow(url.toString(), { headers });
  return { session, page, form: formFields(page.html, '/login') };
}

async function audit(subject: string): Promise<string[]> {
  const { rows } = await setup.pool.query<{ type: string }>('select type from auth.audit_events where subject = $1 order by id', [subject]);
  return rows.map((row) => row.type);
}

describe('the sign-in page', () => {
  it('is a labelled HTML form with a CSRF token; a post without the token is refused', async () => {
    const { session, page, form } = await loginPage();
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<label for="email">[^<]+<\/label>\s*<input id="email"/);
    expect(page.html).toMatch(/<label for="password">[^<]+<\/label>\s*<input id="password"[^>]*type="password"/);
    expect(form.fields.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const user = await userOf(setup.pool, crypto.randomUUID(), 'viewer');
    for (const csrf of ['', 'x'.repeat(43)]) {
      const refused = await session.follow(form.action, { form: { csrf, email: user.email, password: user.password } });
      expect(refused.status).toBe(403);
      expect(refused.location).toBeUndefined();
    }
    expect(await audit(user.id)).toEqual([]);
  });

  it('says so on a wrong password and records it', async () => {
    const user = await userOf(setup.pool, crypto.randomUUID(), 'viewer');
    const { session, form } = await loginPage();
    const wrong = await session.follow(form.action, { form: { ...form.fields, email: user.email, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('role="alert">Wrong e-mail address or password.');
    expect(await audit(user.id)).toEqual(['login.failed']);
  });

  it('locks the account after ten wrong passwords, refuses even the right one until the lock ends, then lets it in', async () => {
    const user = await userOf(setup.pool, crypto.randomUUID(), 'viewer');
    const { session, form } = await loginPage();
    const attempt = (password: string) => session.follow(form.action, { form: { ...form.fields, email: user.email, password } });
    for (let i = 0; i < 9; i += 1) expect((await attempt(`wrong ${i}`)).status).toBe(401);
    const tenth = await attempt('wrong 10');
    expect(tenth.html).toContain('This account is locked after too many wrong passwords');
    const lockedAt = Date.now();

    const right = await attempt(user.password);
    expect(right.status).toBe(429);
    expect(right.location).toBeUndefined();
    expect(right.html).toContain('This account is locked');
    // From another address and browser too: the lock is the account's.
    const elsewhere = await loginPage();
    expect((await elsewhere.session.follow(elsewhere.form.action, { form: { ...elsewhere.form.fields, email: user.email, password: user.password } })).status).toBe(429);

    await new Promise((resolve) => setTimeout(resolve, LOCK_SECONDS * 1000 - (Date.now() - lockedAt) + 300));
    const after = await attempt(user.password);
    // Signed in: on to the consent page.
    expect(after.html).toContain('Allow access');
    expect(await audit(user.id)).toEqual([...Array(10).fill('login.failed'), 'account.locked', 'login.refused_locked', 'login.refused_locked', 'login.succeeded']);
  });

  it('sets Secure cookies behind a declared TLS proxy', async () => {
    const proxied = testConfig({ TRUST_PROXY: '1' });
    const behindProxy = await startIssuer(proxied, setup.pool, setup.redis);
    try {
      const clientId = await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['fleet:read']);
      const query = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid fleet:read',
        code_challenge: crypto.createHash('sha256').update('v'.repeat(43)).digest('base64url'),
        code_challenge_method: 'S256',
      });
      const response = await fetch(`${behindProxy.url}/auth?${query}`, { redirect: 'manual', headers: { 'x-forwarded-proto': 'https' } });
      const cookies = response.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      expect(cookies.every((cookie) => /;\s*secure/i.test(cookie) && /httponly/i.test(cookie))).toBe(true);
    } finally {
      await behindProxy.close();
    }
  });
});

describe('client credentials through openid-client', () => {
  it('gives a partner a client token', async () => {
    const tenantId = crypto.randomUUID();
    const { clientId, clientSecret } = await createClient(setup.pool, config.masterKey, { tenantId, name: 'partner', grant: 'client_credentials', scopes: ['fleet:read'] });
    const client = await oidc.discovery(new URL(setup.issuer.url), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    const tokens = await oidc.clientCredentialsGrant(client, { scope: 'fleet:read' });
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'fleet:read' });
    expect(tokens.refresh_token).toBeUndefined();
    const { rows } = await setup.pool.query('select type, tenant_id from auth.audit_events where client_id = $1', [clientId]);
    expect(rows).toEqual([{ type: 'token.issued', tenant_id: tenantId }]);
  });
});
