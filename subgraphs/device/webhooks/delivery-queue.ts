import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../../../lib/config';

export const DELIVERY_QUEUE = 'webhook-deliveries';

export interface DeliveryJob {
  deliveryId: string;
}

/**
 * BullMQ keeps its own key layout (ioredis keyPrefix is not allowed), so the deployment's
 * prefix becomes BullMQ's prefix. Blocking commands need `maxRetriesPerRequest: null`.
 */
const queueOptions = (config: Config, connection: Redis) => ({ connection, prefix: `${config.REDIS_KEY_PREFIX}bull` });

const connect = (config: Config) => new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, connectionName: 'cypernex-webhooks' });

export interface DeliveryQueue {
  /** Idempotent per delivery: the job id is the delivery id. */
  enqueue(deliveryIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The retry budget and exponential backoff (config WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF_MS)
 * live with the job in Redis: a delivery waiting for its next attempt survives a restart.
 */
export function createDeliveryQueue(config: Config): DeliveryQueue {
  const connection = connect(config);
  const queue = new Queue<DeliveryJob>(DELIVERY_QUEUE, {
    ...queueOptions(config, connection),
    defaultJobOptions: {
      attempts: config.WEBHOOK_ATTEMPTS,
      backoff: { type: 'exponential', delay: config.WEBHOOK_BACKOFF_MS },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10_000 },
    },
  });
  return {
    async enqueue(deliveryIds) {
      if (deliveryIds.length === 0) return;
      await queue.addBulk(deliveryIds.map((deliveryId) => ({ name: 'deliver', data: { deliveryId }, opts: { jobId: deliveryId } })));
    },
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

export interface DeliveryWorker {
  close(): Promise<void>;
}

/** Runs `attempt` for each due job; a throw schedules the next attempt until the budget is spent. */
export function startDeliveryWorker(config: Config, attempt: (job: Job<DeliveryJob>) => Promise<void>, onError: (error: unknown) => void, concurrency = 20): DeliveryWorker {
  const connection = connect(config);
  const worker = new Worker<DeliveryJob>(DELIVERY_QUEUE, attempt, { ...queueOptions(config, connection), concurrency });
  worker.on('error', onError);
  return {
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}
