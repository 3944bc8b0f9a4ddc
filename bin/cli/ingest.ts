import pino from 'pino';
import type { Counter } from 'prom-client';
import { InputError } from '../../lib/input-error';
import { createRedis } from '../../lib/redis';
import { createIngestWorker } from '../../subgraphs/device/ingest';
import { forgetWorker, isRunning, listWorkers } from '../../subgraphs/device/ingest/worker-registry';
import { integer, optional, required, type Command } from './command';

// MQTT allows more in a client id or a group name; these are what the platform's workers use,
// and nothing else reaches the broker from this command
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const GROUP = /^[A-Za-z0-9_-]{1,100}$/;
const REGION = /^(\+|[a-z0-9-]{1,32})$/;

function matching(options: Record<string, string | boolean | undefined>, name: string, pattern: RegExp, what: string): string | undefined {
  const value = optional(options, name);
  if (value !== undefined && !pattern.test(value)) throw new InputError(`--${name} must be ${what}, got ${JSON.stringify(value)}`, name);
  return value;
}

async function total(counter: Counter<string>): Promise<number> {
  return (await counter.get()).values.reduce((sum, { value }) => sum + value, 0);
}

/** The ingestion workers' sessions, most recently seen first (`running`: not stopped, and seen within ~2 minutes). */
export const ingestWorkers: Command = {
  usage: "  (the ingestion workers' MQTT sessions, most recently seen first)",
  options: {},
  async run(ctx) {
    const now = Date.now();
    const items = (await listWorkers(ctx.pool())).map((worker) => ({
      clientId: worker.clientId,
      group: worker.group,
      region: worker.region,
      startedAt: worker.startedAt.toISOString(),
      seenAt: worker.seenAt.toISOString(),
      stoppedAt: worker.stoppedAt?.toISOString() ?? null,
      running: isRunning(worker, now),
      // the broker keeps an absent worker's session (and queues its share) until then
      sessionExpiresAt: new Date(worker.seenAt.getTime() + worker.sessionExpirySeconds * 1000).toISOString(),
    }));
    return { items };
  },
};

/**
 * Takes a worker out of service without losing its share: the broker hands a shared
 * subscription's messages to every member session round-robin, offline ones included, so a
 * stopped worker's session goes on collecting messages until it expires. This connects
 * with that session's client id, leaves the group (nothing new is routed to it), stores
 * everything the broker had queued for it through the ordinary checks and writer, and once
 * nothing has arrived for `--idle-seconds` disconnects asking the broker to end the session.
 */
export const ingestRetire: Command = {
  usage: '--client-id ID [--group G] [--region R] [--idle-seconds 5] [--timeout-seconds 600] [--force]   (group and region default to the recorded worker\'s)',
  options: {
    'client-id': { type: 'string' },
    group: { type: 'string' },
    region: { type: 'string' },
    'idle-seconds': { type: 'string' },
    'timeout-seconds': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(ctx, options) {
    const clientId = required(options, 'client-id');
    if (!CLIENT_ID.test(clientId)) throw new InputError(`--client-id must be 1-200 letters, digits or . _ : -, got ${JSON.stringify(clientId)}`, 'client-id');
    const idleMs = integer(options, 'idle-seconds', 5, 1, 600) * 1000;
    const timeoutMs = integer(options, 'timeout-seconds', 600, 1, 86_400) * 1000;
    const [known] = await listWorkers(ctx.pool(), clientId);
    const group = matching(options, 'group', GROUP, 'a shared-subscription group name (letters, digits, _ and -)') ?? known?.group;
    if (!group) throw new InputError(`--group is required: no worker ${clientId} is recorded (\`ingest workers\` lists the recorded ones)`, 'group');
    const region = matching(options, 'region', REGION, 'a region or +') ?? known?.region ?? '+';
    if (known && isRunning(known) && options.force !== true) {
      const seconds = Math.round((Date.now() - known.seenAt.getTime()) / 1000);
      throw new InputError(
        `worker ${clientId} is running (seen ${seconds} s ago): stop it first (a second connection with its client id takes its session over), or give --force`,
        'client-id',
      );
    }

    const { config } = ctx;
    const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, service: 'cli' });
    // stdout carries the command's JSON: the worker's warnings go to stderr
    const logger = pino({ name: 'ingest-retire', level: 'warn' }, pino.destination(2));
    const worker = createIngestWorker({ config, pool: ctx.pool(), redis, logger, options: { clientId, group, region, retire: true } });
    try {
      await worker.start();
      const deadline = Date.now() + timeoutMs;
      let seen = -1;
      let quietSince = Date.now();
      for (;;) {
        const received = await total(worker.metrics.received);
        // a batch still committing holds its messages unacknowledged: not quiet yet
        if (received !== seen || worker.unacknowledged() > 0) {
          seen = received;
          quietSince = Date.now();
        }
        if (Date.now() - quietSince >= idleMs || Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const drained = Date.now() - quietSince >= idleMs;
      // every received message is committed and acknowledged before the session ends
      await worker.stop({ drain: true, endSession: drained });
      if (drained) await forgetWorker(ctx.pool(), clientId);
      else process.exitCode = 1;
      return {
        clientId,
        group,
        region,
        received: seen,
        stored: await total(worker.metrics.stored),
        duplicates: await total(worker.metrics.duplicates),
        rejected: await total(worker.metrics.rejected),
        statuses: await total(worker.metrics.statuses),
        sessionEnded: drained,
        ...(drained ? {} : { error: `messages still arriving after ${timeoutMs / 1000} s: the session is kept; run the command again` }),
      };
    } finally {
      redis.disconnect();
    }
  },
};
