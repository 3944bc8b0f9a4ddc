import crypto from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import type { Config } from '../../lib/config';
import { UnreachableError, unreachableMessage } from '../../lib/dependencies';
import { consumeEvents, type EventConsumer } from '../../lib/events';
import type { Logger } from '../../lib/logger';
import type { Redis } from '../../lib/redis';
import { startCtRatingConsumer } from '../fleet/ct-rating.consumer';
import { handleAnswer } from './command-results';
import { CommandSender } from './command-sender';
import { startExpirySweeper } from './command-expiry';
import { replicaGroup } from './maintenance-topics';
import { startOutboxRelay } from './outbox';
import { handleStatusMessage } from './status-events';
import { deliverer } from './webhooks/deliver';
import { createDeliveryQueue, startDeliveryWorker } from './webhooks/delivery-queue';
import { isWebhookEvent } from './webhooks/partner-events';
import { WebhookAdmin } from './webhooks/webhook-admin';
import { createDeliveries } from './webhooks/webhooks.store';

export interface DeviceRuntime {
  mqtt: MqttClient;
  commands: CommandSender;
  webhooks: WebhookAdmin;
  stop(): Promise<void>;
}

const WEBHOOK_TIMEOUT_MS = 10_000;

async function connectBroker(config: Config, logger: Logger): Promise<MqttClient> {
  const client = mqtt.connect(config.MQTT_URL, {
    protocolVersion: 5,
    clientId: `cypernex-device-${crypto.randomBytes(6).toString('hex')}`,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    keepalive: 30,
  });
  let lastError: unknown = new Error('timed out');
  const remember = (error: unknown) => (lastError = error);
  client.on('error', remember);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UnreachableError(unreachableMessage('device', 'MQTT', config.MQTT_URL, lastError))), 5000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  }).catch(async (error) => {
    await client.endAsync(true);
    throw error;
  });
  // Connected once: later outages are logged, and MQTT.js reconnects by itself.
  client.off('error', remember);
  client.on('error', (error) => logger.warn({ err: error }, 'device: mqtt error'));
  return client;
}

/**
 * Everything the device service runs besides GraphQL, each replica alike: the broker
 * connection (commands out; answers and status in, through shared subscriptions so
 * replicas split them), the expiry sweeper, the outbox relay, fleet's CT-rating consumer,
 * the webhook fan-out and the webhook delivery worker. `pool` serves this background work,
 * `requestPool` what mutations do.
 */
export async function startDeviceRuntime(options: { config: Config; pool: Pool; requestPool: Pool; redis: Redis; logger: Logger }): Promise<DeviceRuntime> {
  const { config, pool, requestPool, redis, logger } = options;
  const client = await connectBroker(config, logger);
  const answers = `$share/${replicaGroup('device', config.REDIS_KEY_PREFIX)}/maintenance/v1/+/+/res`;
  const statuses = `$share/${replicaGroup('device-status', config.REDIS_KEY_PREFIX)}/telemetry/v1/+/+/status`;
  client.on('message', (topic, payload, packet) => {
    const work = topic.startsWith('maintenance/')
      ? handleAnswer(pool, config.masterKey, { topic, payload, mac: packet.properties?.userProperties?.mac, correlationData: packet.properties?.correlationData })
      : handleStatusMessage(pool, redis, config.masterKey, topic, payload, packet.properties?.userProperties?.mac);
    work.catch((error: unknown) => logger.error({ err: error, topic }, 'device: message not handled'));
  });
  await client.subscribeAsync([answers, statuses], { qos: 1 });

  const sweeper = startExpirySweeper(pool, redis, logger, config.COMMAND_SWEEP_MS);
  const relay = await startOutboxRelay(pool, redis, logger);
  const queue = createDeliveryQueue(config);
  const consumers: EventConsumer[] = [
    await startCtRatingConsumer(pool, redis, logger),
    await consumeEvents(redis, {
      group: 'webhooks',
      handle: async (event) => {
        if (isWebhookEvent(event.type)) await queue.enqueue(await createDeliveries(pool, event));
      },
      onError: (error, event) => logger.warn({ err: error, eventId: event?.id }, 'webhooks: event not fanned out, will retry'),
    }),
  ];
  const worker = startDeliveryWorker(
    config,
    deliverer({ pool, masterKey: config.masterKey, production: config.production, timeoutMs: WEBHOOK_TIMEOUT_MS }),
    (error) => logger.warn({ err: error }, 'webhooks: delivery worker error'),
  );

  return {
    mqtt: client,
    commands: new CommandSender({ pool: requestPool, redis, masterKey: config.masterKey, mqtt: client, logger, ttlSeconds: config.COMMAND_TTL }),
    webhooks: new WebhookAdmin({ pool: requestPool, masterKey: config.masterKey, production: config.production }),
    async stop() {
      sweeper.stop();
      await client.endAsync();
      for (const consumer of consumers) await consumer.stop();
      await relay.stop();
      await worker.close();
      await queue.close();
    },
  };
}
