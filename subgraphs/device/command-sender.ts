import crypto from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import type { Logger } from '../../lib/logger';
import type { Redis } from '../../lib/redis';
import type { Principal } from '../../lib/principal';
import type { TenantScope } from '../../lib/tenant-scope';
import { scheduleExpiry } from './command-expiry';
import { commandMessage } from './command-message';
import { createCommand, getCommand, transitionCommand, type CommandRow, type CommandType } from './commands.store';
import { loadDeviceSecrets } from './keys.store';
import type { DeviceTarget } from './targets.store';

/** A broker that has not acknowledged a QoS 1 publish by then is treated as down. */
const PUBLISH_TIMEOUT_MS = 5000;

export interface CommandSenderOptions {
  pool: Pool;
  redis: Redis;
  masterKey: Buffer;
  mqtt: MqttClient;
  logger: Logger;
  /** Seconds from issue to expiry (config COMMAND_TTL). */
  ttlSeconds: number;
}

/**
 * Stores a command (PENDING, who asked, when), publishes it signed with the device's
 * maintenance key, and records the outcome of the publish: SENT once the broker took it
 * (PUBACK), FAILED when it did not. The device's answer moves it on (command-results).
 */
export class CommandSender {
  constructor(private readonly options: CommandSenderOptions) {}

  async send(scope: TenantScope, principal: Principal, target: DeviceTarget, type: CommandType, params: Record<string, unknown>): Promise<CommandRow> {
    const { pool, redis, masterKey, ttlSeconds } = this.options;
    const secrets = (await loadDeviceSecrets(pool, masterKey, [target.deviceId])).get(target.deviceId);
    if (!secrets) throw new Error(`device ${target.deviceId} has no keys`);
    // whole seconds: the payload carries unix seconds, the row must say the same
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const command = await createCommand(pool, scope, {
      id: crypto.randomUUID(),
      deviceId: target.deviceId,
      tenantId: target.tenantId,
      region: target.region,
      type,
      params,
      requestedBy: principal.subject,
      clientId: principal.clientId,
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + ttlSeconds * 1000),
    });
    await scheduleExpiry(redis, command.id, command.expiresAt);
    const failure = await this.publish(command, secrets.maintenanceKey);
    const moved = await transitionCommand(pool, scope, command.deviceId, command.id, {
      to: failure ? 'FAILED' : 'SENT',
      from: ['PENDING'],
      source: 'broker',
      detail: failure,
    });
    // null: the device answered before SENT was recorded; its answer already moved the command
    return moved ?? (await getCommand(pool, scope, command.deviceId, command.id)) ?? command;
  }

  /** Null when the broker acknowledged the command, else why it did not. */
  private async publish(command: CommandRow, maintenanceKey: Buffer): Promise<string | null> {
    const { mqtt, logger } = this.options;
    if (!mqtt.connected) return 'the message broker is unreachable';
    const message = commandMessage(command, maintenanceKey);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        mqtt.publishAsync(message.topic, message.payload, message.options),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no PUBACK')), PUBLISH_TIMEOUT_MS);
        }),
      ]);
      return null;
    } catch (error) {
      logger.warn({ err: error, commandId: command.id }, 'device: command not published');
      return 'the message broker did not take the command';
    } finally {
      clearTimeout(timer);
    }
  }
}
