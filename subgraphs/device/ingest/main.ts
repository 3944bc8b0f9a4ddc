import http from 'node:http';
import { exitOnConfigError, loadConfig } from '../../../lib/config';
import { exitOnStartupError, pingPostgres, pingRedis, requireReachable } from '../../../lib/dependencies';
import { closeServer, handleHealth, listen } from '../../../lib/http';
import { createLogger } from '../../../lib/logger';
import { createPool } from '../../../lib/postgres';
import { createRedis } from '../../../lib/redis';
import { onStopSignal } from '../../../lib/signals';
import { createIngestWorker } from './index';

const SERVICE = 'ingest';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  const pool = createPool(config.DATABASE_URL, { service: SERVICE, max: 6 });
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: SERVICE });
  await requireReachable(SERVICE, 'PostgreSQL', config.DATABASE_URL, pingPostgres(pool));
  await requireReachable(SERVICE, 'Redis', config.REDIS_URL, pingRedis(redis));
  const worker = createIngestWorker({ config, pool, redis, logger });
  // an unreachable broker is an UnreachableError from start(); anything else (a key that
  // cannot be opened, a database error) keeps its own message
  await worker.start();

  const server = http.createServer((req, res) => {
    void (async () => {
      const checks = {
        postgres: pingPostgres(pool),
        redis: pingRedis(redis),
        mqtt: async () => {
          if (!worker.connected()) throw new Error('not connected');
        },
      };
      if (await handleHealth(req, res, checks)) return;
      if ((req.url ?? '').split('?')[0] === '/metrics') {
        const body = await worker.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': worker.metrics.registry.contentType });
        res.end(body);
        return;
      }
      res.writeHead(404).end();
    })().catch((error) => {
      logger.error({ err: error }, 'ingest: http handler failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const port = await listen(server, config.INGEST_PORT, config.HOST);
  logger.info({ port }, 'ingest: listening');

  const shutdown = async () => {
    await worker.stop();
    await closeServer(server);
    await pool.end();
    redis.disconnect();
    process.exit(0);
  };
  onStopSignal(() => void shutdown());
}

main().catch((error) => {
  try {
    exitOnConfigError(error);
  } catch {
    exitOnStartupError(SERVICE)(error);
  }
});
