import 'reflect-metadata';
import { exitOnConfigError, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createRedis } from '../lib/redis';
import { listen } from '../lib/http';
import { exitOnStartupError, pingRedis, requireReachable } from '../lib/dependencies';
import { createGateway } from './create-gateway';

const SERVICE = 'gateway';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: SERVICE });
  await requireReachable(SERVICE, 'Redis', config.REDIS_URL, pingRedis(redis));
  const gateway = await createGateway({ config, redis, logger });
  const port = await listen(gateway.server, config.GATEWAY_PORT, config.HOST);
  logger.info({ port }, 'gateway listening');
  const stop = async () => {
    await gateway.close();
    redis.disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  try {
    exitOnConfigError(error);
  } catch {
    exitOnStartupError(SERVICE)(error);
  }
});
