import crypto from 'node:crypto';
import type { IClientPublishOptions } from 'mqtt';
import { z } from 'zod';
import type { CommandRow } from './commands.store';
import { commandTopic, resultTopic } from './maintenance-topics';

/** CONTRACT §6: HMAC-SHA256 over the exact payload bytes, base64url without padding. */
export const maintenanceMac = (key: Buffer, payload: Buffer): string => crypto.createHmac('sha256', key).update(payload).digest('base64url');

/** Constant time; a missing or malformed property is simply not a match. */
export function macVerifies(key: Buffer, payload: Buffer, mac: unknown): boolean {
  const text = Array.isArray(mac) ? mac[0] : mac;
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(text)) return false;
  return crypto.timingSafeEqual(Buffer.from(maintenanceMac(key, payload), 'base64url'), Buffer.from(text, 'base64url'));
}

const unix = (date: Date) => Math.floor(date.getTime() / 1000);

export interface OutgoingCommand {
  topic: string;
  payload: Buffer;
  options: IClientPublishOptions;
}

/**
 * The command as the device receives it: QoS 1, the response topic and the command id as
 * correlation data (MQTT 5), signed with the maintenance key, never the data key.
 */
export function commandMessage(command: CommandRow, maintenanceKey: Buffer): OutgoingCommand {
  const payload = Buffer.from(
    JSON.stringify({ v: 1, id: command.id, type: command.type, params: command.params, issuedAt: unix(command.issuedAt), expiresAt: unix(command.expiresAt) }),
  );
  return {
    topic: commandTopic(command.region, command.deviceId),
    payload,
    options: {
      qos: 1,
      properties: {
        responseTopic: resultTopic(command.region, command.deviceId),
        correlationData: Buffer.from(command.id),
        contentType: 'application/json',
        // the broker drops a command nobody took before it expires
        messageExpiryInterval: Math.max(1, unix(command.expiresAt) - unix(new Date())),
        userProperties: { mac: maintenanceMac(maintenanceKey, payload) },
      },
    },
  };
}

/** The device's answer (CONTRACT §6). */
export const answerSchema = z.object({
  v: z.literal(1),
  id: z.string().uuid(),
  status: z.enum(['accepted', 'applied', 'rejected', 'failed']),
  detail: z.string().max(500).optional(),
});

export type Answer = z.infer<typeof answerSchema>;
