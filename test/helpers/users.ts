import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import type { Pool } from 'pg';
import { createClient } from '../../auth/clients.store';
import { createUser } from '../../auth/users.store';
import type { Role } from '../../auth/roles';
import { operatorScope } from '../../lib/tenant-scope';
import { formFields, WebSession } from './web-session';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  tenantId: string;
}

export async function userOf(pool: Pool, tenantId: string, role: Role): Promise<TestUser> {
  const email = `${role}-${crypto.randomBytes(5).toString('hex')}@example.test`;
  const password = `pw-${crypto.randomBytes(12).toString('base64url')}`;
  const { id } = await createUser(pool, operatorScope, { tenantId, email, password, role });
  return { id, email, password, tenantId };
}

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** A public client (no secret) registered for a user-facing grant. */
export async function publicClient(pool: Pool, masterKey: Buffer, tenantId: string, grant: 'authorization_code' | 'device_code', scopes: string[], control = false): Promise<string> {
  const { clientId } = await createClient(pool, masterKey, {
    tenantId,
    name: `${grant} app ${crypto.randomBytes(3).toString('hex')}`,
    grant,
    scopes,
    control,
    ...(grant === 'authorization_code' ? { redirectUris: [REDIRECT_URI] } : {}),
  });
  return clientId;
}

/** openid-client configured by discovery for a public client of an http (test) issuer. */
export function discover(issuerUrl: string, clientId: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuerUrl), clientId, { token_endpoint_auth_method: 'none' }, oidc.None(), { execute: [oidc.allowInsecureRequests] });
}

type Page = Awaited<ReturnType<WebSession['follow']>>;

/** Signs in on the issuer's login page and allows the consent page when it comes; returns where the flow left the issuer, or the last page. */
export async function signInThrough(session: WebSession, start: string | Page, user: { email: string; password: string }): Promise<Page> {
  let page = typeof start === 'string' ? await session.follow(start) : start;
  for (let step = 0; step < 4 && !page.location; step += 1) {
    if (page.html.includes('/login"')) {
      const { action, fields } = formFields(page.html, '/login');
      page = await session.follow(action, { form: { ...fields, email: user.email, password: user.password } });
    } else if (page.html.includes('/confirm"')) {
      const { action, fields } = formFields(page.html, '/confirm');
      page = await session.follow(action, { form: fields });
    } else {
      break;
    }
  }
  return page;
}

/** Authorization code + PKCE through the pages; returns the token endpoint's answer. */
export async function codeFlow(config: oidc.Configuration, issuerUrl: string, user: { email: string; password: string }, scope: string, extra: Record<string, string> = {}, session = new WebSession(issuerUrl)) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    // OpenID Connect Core §11: offline_access is honoured only with an explicit consent prompt.
    ...(scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  const done = await signInThrough(session, url.toString(), user);
  if (!done.location?.startsWith(REDIRECT_URI)) throw new Error(`flow did not reach the client: ${done.status} ${done.html.slice(0, 500)}`);
  return oidc.authorizationCodeGrant(config, new URL(done.location), { pkceCodeVerifier: verifier, expectedState: state });
}
