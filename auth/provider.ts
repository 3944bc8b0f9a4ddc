import type { IncomingMessage, ServerResponse } from 'node:http';
import { Provider } from 'oidc-provider';
import type { Pool } from 'pg';
import type { Config } from '../lib/config';
import { pingPostgres, pingRedis } from '../lib/dependencies';
import { handleHealth } from '../lib/http';
import type { Logger } from '../lib/logger';
import type { Redis } from '../lib/redis';
import { createFindAccount } from './account';
import { createAdapterFactory } from './adapter';
import { auditIssuedTokens } from './audit-events';
import { useHashedClientSecrets } from './client-secret';
import { buildConfiguration } from './configuration';
import { CsrfTokens } from './interactions/csrf';
import { createInteractionRoutes } from './interactions/routes';
import { watchSigningKeys } from './key-watcher';
import { loadSigningKeys, signingKeysFingerprint } from './keys';
import { logProviderEvents } from './log-events';
import { LoginThrottle } from './login-throttle';

export interface IssuerOptions {
  config: Config;
  pool: Pool;
  redis: Redis;
  logger: Logger;
  /** Defaults to AUTH_ISSUER; tests pass the URL they listen on. */
  issuer?: string;
  /** How often the signing keys are re-read besides the rotation's pub/sub message, ms. */
  keyPollMs?: number;
}

export interface Issuer {
  /** The provider in service now: a key rotation replaces it. */
  readonly provider: Provider;
  /** The sign-in pages, the provider's routes, `/healthz` and `/readyz` (PostgreSQL and Redis). */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Stops watching for rotated keys. */
  close(): Promise<void>;
}

/**
 * Builds the OIDC issuer; it opens no port (main.ts and tests do). The provider keeps no
 * state of its own (sessions and codes are in Redis, clients and users in PostgreSQL), so
 * when the signing keys change a new one is built with them and takes the next request.
 */
export async function createProvider({ config, pool, redis, logger, issuer = config.AUTH_ISSUER, keyPollMs }: IssuerOptions): Promise<Issuer> {
  const adapter = createAdapterFactory({ pool, redis });
  const findAccount = createFindAccount(pool);
  const build = async () => {
    const keys = await loadSigningKeys(pool, config.masterKey);
    const fingerprint = await signingKeysFingerprint(pool);
    const provider = new Provider(issuer, buildConfiguration({ config, keys, adapter, findAccount }));
    // Only behind a declared TLS proxy may X-Forwarded-* decide the scheme and host (and so Secure cookies).
    provider.proxy = config.TRUST_PROXY === '1';
    useHashedClientSecrets(provider, config.masterKey);
    logProviderEvents(provider, logger);
    auditIssuedTokens(provider, pool, logger);
    return { provider, callback: provider.callback(), fingerprint };
  };
  let current = await build();
  const watcher = watchSigningKeys({
    pool,
    redis,
    redisPrefix: config.REDIS_KEY_PREFIX,
    logger,
    fingerprint: current.fingerprint,
    pollMs: keyPollMs,
    reload: async () => void (current = await build()),
  });

  const interactions = createInteractionRoutes({
    provider: () => current.provider,
    pool,
    config,
    logger,
    throttle: new LoginThrottle(redis, config),
    csrf: new CsrfTokens(config.masterKey),
  });
  const checks = { postgres: pingPostgres(pool), redis: pingRedis(redis) };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    (async () => {
      if (await handleHealth(req, res, checks)) return;
      if (await interactions(req, res)) return;
      await current.callback(req, res);
    })().catch((error: unknown) => {
      logger.error({ err: error, path: req.url }, 'issuer request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
  return {
    get provider() {
      return current.provider;
    },
    handler,
    close: () => watcher.stop(),
  };
}
