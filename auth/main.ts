import { ConfigError, exitOnConfigError, loadConfig } from '../lib/config';
import { exitOnStartupError, pingPostgres, pingRedis, requireReachable } from '../lib/dependencies';
import { closeServer, listen } from '../lib/http';
import { createLogger } from '../lib/logger';
import { createPool } from '../lib/postgres';
import { createRedis } from '../lib/redis';
import { onStopSignal } from '../lib/signals';
import { createWebServer } from '../lib/web-server';
import { createProvider } from './provider';

const SERVICE = 'auth';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  const pool = createPool(config.DATABASE_URL, { service: SERVICE, max: config.PG_POOL_SIZE });
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: SERVICE });
  await requireReachable(SERVICE, 'PostgreSQL', config.DATABASE_URL, pingPostgres(pool));
  await requireReachable(SERVICE, 'Redis', config.REDIS_URL, pingRedis(redis));

  const issuer = await createProvider({ config, pool, redis, logger });
  // In production the issuer serves HTTPS itself or refuses what its declared proxy got over HTTP (CONTRACT §2).
  const server = createWebServer(config, issuer.handler);
  const port = await listen(server, config.AUTH_PORT, config.HOST);
  logger.info({ host: config.HOST, port, issuer: config.AUTH_ISSUER }, 'auth (OIDC issuer) listening');

  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'auth stopping');
    closeServer(server)
      .then(() => issuer.close())
      .then(() => Promise.all([pool.end(), redis.quit()]))
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'auth did not stop cleanly');
        process.exit(1);
      });
  };
  onStopSignal(stop);
}

main().catch((error: unknown) => (error instanceof ConfigError ? exitOnConfigError(error) : exitOnStartupError(SERVICE)(error)));
