import type { Pool } from 'pg';
import { ConfigError, exitOnConfigError, loadConfig, type Config } from '../lib/config';
import { exitOnStartupError, pingPostgres, requireReachable } from '../lib/dependencies';
import { listen } from '../lib/http';
import { createLogger, type Logger } from '../lib/logger';
import { createPool } from '../lib/postgres';
import { onStopSignal } from '../lib/signals';
import type { SubgraphServer } from './serve-subgraph';

type SubgraphFactory = (options: { config: Config; pool: Pool; logger: Logger }) => Promise<SubgraphServer>;

/**
 * A subgraph's main: configuration, a reachable PostgreSQL (else one line and a non-zero
 * exit, CONTRACT §2), listen, and a clean stop on SIGTERM or SIGINT.
 */
export function runSubgraph(name: string, portOf: (config: Config) => number, create: SubgraphFactory): void {
  start(name, portOf, create).catch((error: unknown) =>
    error instanceof ConfigError ? exitOnConfigError(error) : exitOnStartupError(name)(error),
  );
}

async function start(name: string, portOf: (config: Config) => number, create: SubgraphFactory): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(name, config.LOG_LEVEL);
  const pool = createPool(config.DATABASE_URL, { service: name, max: config.PG_POOL_SIZE });
  await requireReachable(name, 'PostgreSQL', config.DATABASE_URL, pingPostgres(pool));
  const subgraph = await create({ config, pool, logger });
  const port = await listen(subgraph.server, portOf(config), config.HOST);
  logger.info({ url: `http://${config.HOST}:${port}/graphql` }, `${name} subgraph listening`);
  const stop = (signal: string) => {
    logger.info({ signal }, `${name} subgraph stopping`);
    subgraph
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      });
  };
  onStopSignal(stop);
}
