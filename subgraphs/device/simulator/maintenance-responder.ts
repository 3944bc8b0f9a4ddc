import type { IPublishPacket, MqttClient } from 'mqtt';
import { maintenanceMac, macVerifies } from '../command-message';
import { commandTopic, resultTopic } from '../maintenance-topics';

export interface RespondingDevice {
  deviceId: string;
  region: string;
  /** The maintenance key (never the data key): commands are verified and answers signed with it. */
  maintenanceKey: Buffer;
}

/** A command as the device receives it (CONTRACT §6). */
export interface ReceivedCommand {
  v: 1;
  id: string;
  type: string;
  params: Record<string, unknown>;
  issuedAt: number;
  expiresAt: number;
}

export type Outcome = { status: 'applied' | 'rejected' | 'failed'; detail?: string };

export interface ResponderOptions {
  /** What the device does with a verified, unexpired command; default: applies it. Null: never answers. */
  decide?: (device: RespondingDevice, command: ReceivedCommand) => Outcome | null;
  /** Answer `accepted` before the outcome, as a device does for slow work (firmware). */
  acknowledgeFirst?: boolean;
  /** Every verified command, as the device received it. */
  onCommand?: (deviceId: string, command: ReceivedCommand) => void;
  /** Every command the device refused to act on, and why (bad MAC, expired, malformed). */
  onIgnored?: (deviceId: string, reason: string) => void;
}

export interface MaintenanceResponder {
  stop(): Promise<void>;
}

/** Outcomes remembered for redeliveries; a real device keeps a short list too. */
const REMEMBERED = 10_000;

/**
 * Plays the maintenance side of devices on one MQTT connection: subscribes to each device's
 * command topic, verifies the MAC with its maintenance key and the expiry, applies, and
 * answers signed on the response topic with the command id as correlation data. A command
 * redelivered (QoS 1) gets the same answer again.
 */
export async function startMaintenanceResponder(client: MqttClient, devices: readonly RespondingDevice[], options: ResponderOptions = {}): Promise<MaintenanceResponder> {
  const byTopic = new Map(devices.map((device) => [commandTopic(device.region, device.deviceId), device]));
  const outcomes = new Map<string, Outcome | null>();
  const decide = options.decide ?? (() => ({ status: 'applied' as const }));

  const answer = (device: RespondingDevice, command: ReceivedCommand, packet: IPublishPacket, body: { status: string; detail?: string }) => {
    const payload = Buffer.from(JSON.stringify({ v: 1, id: command.id, ...body }));
    // a device answers only on its own result topic, whatever response topic a command names
    client.publish(resultTopic(device.region, device.deviceId), payload, {
      qos: 1,
      properties: { correlationData: packet.properties?.correlationData ?? Buffer.from(command.id), userProperties: { mac: maintenanceMac(device.maintenanceKey, payload) } },
    });
  };

  const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket) => {
    const device = byTopic.get(topic);
    if (!device) return;
    if (!macVerifies(device.maintenanceKey, payload, packet.properties?.userProperties?.mac)) return options.onIgnored?.(device.deviceId, 'bad-mac');
    let command: ReceivedCommand;
    try {
      command = JSON.parse(payload.toString('utf8')) as ReceivedCommand;
    } catch {
      return options.onIgnored?.(device.deviceId, 'not-json');
    }
    if (command.v !== 1 || typeof command.id !== 'string') return options.onIgnored?.(device.deviceId, 'invalid');
    if (command.expiresAt * 1000 < Date.now()) return options.onIgnored?.(device.deviceId, 'expired');
    if (!outcomes.has(command.id)) {
      outcomes.set(command.id, decide(device, command));
      if (outcomes.size > REMEMBERED) outcomes.delete(outcomes.keys().next().value!);
      options.onCommand?.(device.deviceId, command);
      if (options.acknowledgeFirst) answer(device, command, packet, { status: 'accepted' });
    }
    const outcome = outcomes.get(command.id);
    if (outcome) answer(device, command, packet, outcome);
  };

  client.on('message', onMessage);
  if (byTopic.size) await client.subscribeAsync([...byTopic.keys()], { qos: 1 });
  return {
    async stop() {
      client.removeListener('message', onMessage);
      if (byTopic.size && client.connected) await client.unsubscribeAsync([...byTopic.keys()]);
    },
  };
}
