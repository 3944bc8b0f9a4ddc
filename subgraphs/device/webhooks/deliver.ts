import type { Job } from 'bullmq';
import type { Pool } from 'pg';
import type { DeliveryJob } from './delivery-queue';
import { postWebhook } from './post-webhook';
import { SIGNATURE_HEADER, signatureHeader } from './signature';
import { openWebhookSecret } from './webhook-admin';
import { getDeliveryToSend, recordAttempt } from './webhooks.store';

export interface DeliverOptions {
  pool: Pool;
  masterKey: Buffer;
  production: boolean;
  timeoutMs: number;
}

/**
 * One attempt of one delivery, recorded whatever its outcome. A non-2xx answer or a network
 * error throws, so that the queue schedules the next attempt; the last one marks it FAILED.
 * A delivery already final (a job run twice after a crash) is not sent again.
 */
export function deliverer(options: DeliverOptions): (job: Job<DeliveryJob>) => Promise<void> {
  return async (job) => {
    const delivery = await getDeliveryToSend(options.pool, job.data.deliveryId);
    if (!delivery || delivery.status !== 'PENDING') return;
    if (delivery.webhookDeleted) {
      await recordAttempt(options.pool, delivery, { statusCode: null, error: 'the webhook was deleted', durationMs: 0 }, 'FAILED');
      return;
    }
    const url = new URL(delivery.url);
    const secret = openWebhookSecret(options.masterKey, delivery.sealedSecret);
    const result =
      options.production && url.protocol !== 'https:'
        ? { statusCode: null, error: 'only https in production', durationMs: 0 }
        : await postWebhook(url, { [SIGNATURE_HEADER]: signatureHeader(secret, delivery.body), 'Cypernex-Delivery': delivery.id }, delivery.body, options);
    const delivered = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await recordAttempt(options.pool, delivery, result, delivered ? 'DELIVERED' : last ? 'FAILED' : null);
    if (!delivered) throw new Error(result.error ?? `HTTP ${result.statusCode}`);
  };
}
