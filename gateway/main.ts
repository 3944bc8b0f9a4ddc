import 'reflect-metadata';
import cluster from 'node:cluster';
import os from 'node:os';
import { exitOnConfigError, loadConfig, type Config } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createPool } from '../lib/postgres';
import { createRedis } from '../lib/redis';
import { listen } from '../lib/http';
import { exitOnStartupError, pingPostgres, pingRedis, requireReachable } from '../lib/dependencies';
import { onStopSignal } from '../lib/signals';
import { createGateway } from './create-gateway';

const SERVICE = 'gateway';

async function serve(config: Config): Promise<void> {
  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: SERVICE });
  const pool = createPool(config.DATABASE_URL, { service: SERVICE, max: config.PG_POOL_SIZE });
  await requireReachable(SERVICE, 'Redis', config.REDIS_URL, pingRedis(redis));
  await requireReachable(SERVICE, 'PostgreSQL', config.DATABASE_URL, pingPostgres(pool));
  const gateway = await createGateway({ config, redis, pool, logger });
  const port = await listen(gateway.server, config.GATEWAY_PORT, config.HOST);
  logger.info({ port, worker: cluster.isWorker ? cluster.worker?.id : undefined }, 'gateway listening');
  const stop = async () => {
    await gateway.close();
    redis.disconnect();
    await pool.end();
    process.exit(0);
  };
  onStopSignal(() => void stop());
}

/**
 * The gateway's event loop is its bottleneck (planning, response shaping, JSON), so it
 * can run as several processes sharing one port; rate limits and persisted queries live in
 * Redis, so the workers agree. GATEWAY_WORKERS=0 means one per CPU core.
 */
function supervise(config: Config, workers: number): void {
  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  let stopping = false;
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    logger.error({ worker: worker.id, code }, 'gateway worker exited; stopping');
    process.exit(1);
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    cluster.disconnect(() => process.exit(0));
  };
  onStopSignal(stop);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const workers = config.GATEWAY_WORKERS === 0 ? os.availableParallelism() : config.GATEWAY_WORKERS;
  if (cluster.isPrimary && workers > 1) supervise(config, workers);
  else await serve(config);
}

main().catch((error: unknown) => {
  try {
    exitOnConfigError(error);
  } catch {
    exitOnStartupError(SERVICE)(error);
  }
});
