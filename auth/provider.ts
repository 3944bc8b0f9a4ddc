import type { IncomingMessage, ServerResponse } from 'node:http';
import { Provider } from 'oidc-provider';
import type { Pool } from 'pg';
import type { Config } from '../lib/config';
import { pingPostgres, pingRedis } from '../lib/dependencies';
import { handleHealth } from '../lib/http';
import type { Logger } from '../lib/logger';
import type { Redis } from '../lib/redis';
import { createAdapterFactory } from './adapter';
import { useHashedClientSecrets } from './client-secret';
import { buildConfiguration } from './configuration';
import { loadSigningKeys } from './keys';
import { logProviderEvents } from './log-events';

export interface IssuerOptions {
  config: Config;
  pool: Pool;
  redis: Redis;
  logger: Logger;
  /** Defaults to AUTH_ISSUER; tests pass the URL they listen on. */
  issuer?: string;
}

export interface Issuer {
  provider: Provider;
  /** The provider's routes plus `/healthz` and `/readyz` (PostgreSQL and Redis). */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/** Builds the OIDC issuer; it opens no port (main.ts and tests do). */
export async function createProvider({ config, pool, redis, logger, issuer = config.AUTH_ISSUER }: IssuerOptions): Promise<Issuer> {
  const keys = await loadSigningKeys(pool, config.masterKey);
  const configuration = buildConfiguration({ config, keys, adapter: createAdapterFactory({ pool, redis }) });
  const provider = new Provider(issuer, configuration);
  // Only behind a declared TLS proxy may X-Forwarded-* decide the scheme and host.
  provider.proxy = config.TRUST_PROXY === '1';
  useHashedClientSecrets(provider, config.masterKey);
  logProviderEvents(provider, logger);

  const callback = provider.callback();
  const checks = { postgres: pingPostgres(pool), redis: pingRedis(redis) };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handleHealth(req, res, checks)
      .then((handled) => {
        if (!handled) return callback(req, res);
      })
      .catch((error: unknown) => {
        logger.error({ err: error, path: req.url }, 'issuer request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
  };
  return { provider, handler };
}
