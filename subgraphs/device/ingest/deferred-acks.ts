import type { IPublishPacket, MqttClient } from 'mqtt';

type SendPacket = (packet: { cmd: string; messageId?: number; reasonCode?: number }, cb?: (error?: Error) => void, ...rest: unknown[]) => void;

/**
 * PUBACK only after the message's batch is committed, without stalling the connection.
 *
 * MQTT.js handles incoming packets one at a time: `handleMessage` and `customHandleAcks`
 * can delay a PUBACK, but the next packet waits for that callback (mqttjs/MQTT.js#691,
 * #1545), so a batch would hold one message. Instead the client's PUBACK for a held
 * message is swallowed when MQTT.js sends it (which also releases its packet pipeline), and
 * `release()` sends the real one after the commit. A PUBACK is only meaningful on the
 * connection that received the PUBLISH: after a disconnect the held ones are forgotten and
 * the broker redelivers those messages on session resume (MQTT 5 §4.4), which the
 * idempotent writer absorbs. Relies on MQTT.js 5's private `_sendPacket`; the
 * restart and ack tests fail if that changes.
 *
 * The PUBACKs released together (a committed batch: thousands) go out in one socket
 * write of 4 bytes each, written here: through MQTT.js each was a packet object, an
 * encoder run and a write of its own.
 *
 * Flow control: Mosquitto 2.0.11 does not keep to the Receive Maximum (measured: with 10,
 * every single PUBACK let 10 more messages through, so a worker acknowledging 5,000 at once
 * was sent hundreds of thousands). So once `limit` messages are held, the swallowed
 * PUBACK's callback is kept back: MQTT.js then reads no further packet, the socket stops
 * being read, and TCP holds the broker back until a commit releases enough messages.
 */
export class DeferredAcks {
  private generation = 0;
  private readonly held = new Set<number>();
  private readonly send: SendPacket;
  /** MQTT.js's packet pipeline, kept waiting while `limit` messages are held. */
  private paused: (() => void) | null = null;
  /** Message ids acknowledged since the last write (all on the current connection). */
  private releasing: number[] = [];

  constructor(
    private readonly client: MqttClient,
    private readonly limit = Infinity,
  ) {
    const internals = client as unknown as { _sendPacket: SendPacket };
    if (typeof internals._sendPacket !== 'function') throw new Error('mqtt: this MQTT.js version has no _sendPacket; deferred PUBACK unsupported');
    this.send = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined && this.held.has(packet.messageId)) {
        if (this.held.size >= this.limit && cb) this.paused = cb;
        else cb?.();
        return;
      }
      this.send(packet, cb, ...rest);
    };
    client.on('close', () => {
      this.generation += 1;
      this.held.clear();
      this.releasing = [];
      this.resume();
    });
  }

  /** Call from the 'message' listener (before MQTT.js acks); returns the real acknowledgement. */
  hold(packet: IPublishPacket): () => void {
    if (packet.qos !== 1 || packet.messageId === undefined) return noop;
    const messageId = packet.messageId;
    const generation = this.generation;
    this.held.add(messageId);
    return () => {
      if (generation !== this.generation || !this.held.delete(messageId)) return;
      this.releasing.push(messageId);
      if (this.releasing.length === 1) queueMicrotask(this.writeAcks);
    };
  }

  /**
   * PUBACK with reason Success and no properties: fixed header, remaining length 2, packet
   * id (MQTT 5 §3.4.2.1 lets both the reason code and the properties be left out; MQTT
   * 3.1.1 has neither).
   */
  private readonly writeAcks = (): void => {
    const ids = this.releasing;
    this.releasing = [];
    const stream = this.client.stream;
    if (ids.length > 0 && this.client.connected && stream?.writable) {
      const packets = Buffer.allocUnsafe(ids.length * 4);
      ids.forEach((id, i) => {
        packets[i * 4] = 0x40;
        packets[i * 4 + 1] = 2;
        packets.writeUInt16BE(id, i * 4 + 2);
      });
      stream.write(packets);
    }
    if (this.held.size < this.limit) this.resume();
  };

  get pending(): number {
    return this.held.size;
  }

  /** True while MQTT.js is kept from reading (the broker is held back). */
  get pausing(): boolean {
    return this.paused !== null;
  }

  private resume(): void {
    const paused = this.paused;
    this.paused = null;
    paused?.();
  }
}

const noop = (): void => undefined;
