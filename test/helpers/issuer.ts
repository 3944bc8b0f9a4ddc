import http from 'node:http';
import type { Provider } from 'oidc-provider';
import type { Pool } from 'pg';
import { createProvider } from '../../auth/provider';
import type { Config } from '../../lib/config';
import { closeServer, listen } from '../../lib/http';
import { createLogger } from '../../lib/logger';
import { createPool } from '../../lib/postgres';
import { createRedis, type Redis } from '../../lib/redis';

export interface StartedIssuer {
  /** The issuer URL, also the base of every endpoint (`${url}/token`, `${url}/jwks`). */
  url: string;
  port: number;
  /** The provider in service (a key rotation replaces it). */
  readonly provider: Provider;
  close: () => Promise<void>;
}

/** What `useIssuer` gives a test file; `issuer` may be replaced by a test that restarts it. */
export interface IssuerSetup {
  readonly pool: Pool;
  readonly redis: Redis;
  issuer: StartedIssuer;
}

/**
 * A real issuer for the tests of one file (or one describe block): its own pool and Redis
 * connection on the run's database and prefix, started before the tests and closed after.
 */
export function useIssuer(config: Config, service: string): IssuerSetup {
  const setup = {} as { pool: Pool; redis: Redis; issuer: StartedIssuer };
  beforeAll(async () => {
    setup.pool = createPool(config.DATABASE_URL, { service });
    setup.redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service });
    setup.issuer = await startIssuer(config, setup.pool, setup.redis);
  });
  afterAll(async () => {
    await setup.issuer?.close();
    await setup.pool?.end();
    await setup.redis?.quit();
  });
  return setup;
}

/**
 * A real issuer on 127.0.0.1. It listens first so that the issuer URL is the URL it serves;
 * `port` lets a test restart it on the same URL.
 */
export async function startIssuer(config: Config, pool: Pool, redis: Redis, options: { port?: number; keyPollMs?: number } = {}): Promise<StartedIssuer> {
  const server = http.createServer();
  const port = await listen(server, options.port ?? 0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const logger = createLogger('auth', config.LOG_LEVEL);
  const issuer = await createProvider({ config, pool, redis, logger, issuer: url, keyPollMs: options.keyPollMs });
  server.on('request', issuer.handler);
  return {
    url,
    port,
    get provider() {
      return issuer.provider;
    },
    close: async () => {
      await closeServer(server);
      await issuer.close();
    },
  };
}

export interface TokenResponse {
  status: number;
  body: { access_token?: string; token_type?: string; expires_in?: number; scope?: string; error?: string; error_description?: string };
}

/** A client_credentials token request (client_secret_basic), whatever its outcome. */
export async function requestClientCredentials(issuerUrl: string, clientId: string, secret: string, scope?: string): Promise<TokenResponse> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope !== undefined) form.set('scope', scope);
  const credentials = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  const response = await fetch(`${issuerUrl}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  return { status: response.status, body: (await response.json()) as TokenResponse['body'] };
}

/** An access token for the client, or an error naming the OAuth error. */
export async function clientCredentialsToken(issuerUrl: string, clientId: string, secret: string, scope?: string): Promise<string> {
  const { status, body } = await requestClientCredentials(issuerUrl, clientId, secret, scope);
  if (status !== 200 || !body.access_token) {
    throw new Error(`token request failed: ${status} ${body.error ?? ''} ${body.error_description ?? ''}`.trim());
  }
  return body.access_token;
}
