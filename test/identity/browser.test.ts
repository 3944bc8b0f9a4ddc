import crypto from 'node:crypto';
import fs from 'node:fs';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { chromium, type Browser } from 'playwright-core';
import { testConfig } from '../helpers/config';
import { useIssuer } from '../helpers/issuer';
import { discover, publicClient, REDIRECT_URI, userOf } from '../helpers/users';

// Debian's chromium (.ci/run installs it when missing).
const CHROMIUM = '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
if (!available) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
const describeInBrowser = available ? describe : describe.skip;

const config = testConfig();
let browser: Browser;

describeInBrowser('in a real browser', () => {
  const setup = useIssuer(config, 'browser-test');
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('a user signs in, allows access, and the app gets a code for a token of the user', async () => {
    const tenantId = crypto.randomUUID();
    const user = await userOf(setup.pool, tenantId, 'viewer');
    const client = await discover(setup.issuer.url, await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'authorization_code', ['fleet:read']));
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(client, { redirect_uri: REDIRECT_URI, scope: 'openid fleet:read', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'browser' });

    const page = await browser.newPage();
    let callback: string | undefined;
    await page.route(`${REDIRECT_URI}**`, (route) => {
      callback = route.request().url();
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'signed in' });
    });
    await page.goto(url.toString());
    await page.getByLabel('E-mail address').fill(user.email);
    await page.getByLabel('Password').fill('a wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong e-mail address or password.' }).waitFor();
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access' }).waitFor();
    expect(await page.getByText('fleet:read').count()).toBe(1);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${REDIRECT_URI}**`);
    await page.close();

    const tokens = await oidc.authorizationCodeGrant(client, new URL(callback!), { pkceCodeVerifier: verifier, expectedState: 'browser' });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: user.id, tenant_id: tenantId, principal_type: 'user', scope: 'fleet:read' });
  });

  it('a user completes the device flow a notebook started', async () => {
    const user = await userOf(setup.pool, crypto.randomUUID(), 'viewer');
    const client = await discover(setup.issuer.url, await publicClient(setup.pool, config.masterKey, crypto.randomUUID(), 'device_code', ['telemetry:export']));
    const started = await oidc.initiateDeviceAuthorization(client, { scope: 'openid telemetry:export' });

    const page = await browser.newPage();
    await page.goto(started.verification_uri);
    await page.getByLabel('Code').fill(started.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText(started.user_code).waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('E-mail address').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    await page.close();

    const tokens = await oidc.pollDeviceAuthorizationGrant(client, started);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: user.id, principal_type: 'user', scope: 'telemetry:export' });
  });
});
