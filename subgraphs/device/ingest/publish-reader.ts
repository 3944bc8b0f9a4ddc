import { Duplex } from 'node:stream';
import type { MqttClient } from 'mqtt';
import { PUBLISH, nextPacket, readPublish, readVarint, type Publish } from '../mqtt-wire';

/**
 * One connection to the broker, between the socket and MQTT.js: PUBLISH packets are taken
 * out and handed to `onPublish`; every other packet passes to MQTT.js untouched, and what
 * MQTT.js writes goes to the socket. mqtt-packet's parser and MQTT.js's packet pipeline
 * took about a fifth of the worker's busy time at 100,000 devices; this reader takes 0.9-1.3
 * µs per message against their 6.4-6.8 (bench:micro `publishes`, docs/benchmarks.md).
 *
 * A QoS 1 message is acknowledged only when `hold()`'s release is called (after its batch
 * commits), and only on the connection that received it: after a disconnect the broker
 * redelivers what was not acknowledged (MQTT 5 §4.4), which the idempotent writer absorbs.
 * The PUBACKs released together (a committed batch: thousands) go out in one write.
 *
 * Flow control: Mosquitto 2.0.11 does not keep to the Receive Maximum (measured: with 10,
 * every single PUBACK let 10 more messages through, so a worker acknowledging 5,000 at
 * once was sent hundreds of thousands). So while `limit` messages are held the socket is
 * not read, and TCP holds the broker back until a commit releases enough of them.
 */
export class PublishReader extends Duplex {
  private readonly held = new Set<number>();
  /** Packet ids released since the last write. */
  private releasing: number[] = [];
  /** A packet not yet complete. */
  private readonly partial = new PartialPacket();
  private heldBack = false;
  private mqttJsBehind = false;

  constructor(
    private readonly socket: Duplex,
    private readonly onPublish: (publish: Publish, reader: PublishReader) => void,
    private readonly limit = Infinity,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  /** The release of a received message: its PUBACK, sent when called (a no-op for QoS 0 and after a disconnect). */
  hold(publish: Publish): () => void {
    if (publish.qos !== 1) return noop;
    const id = publish.messageId;
    this.held.add(id);
    if (this.held.size >= this.limit) this.holdBack(true);
    return () => {
      if (this.destroyed || !this.held.delete(id)) return;
      this.releasing.push(id);
      if (this.releasing.length === 1) queueMicrotask(this.writeAcks);
    };
  }

  /** QoS 1 messages received on this connection and not yet released. */
  get pending(): number {
    return this.held.size;
  }

  /** True while the socket is left unread because `limit` messages are held. */
  get pausing(): boolean {
    return this.heldBack;
  }

  override _read(): void {
    this.mqttJsBehind = false;
    this.resumeIfFree();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.held.clear();
    this.releasing = [];
    this.socket.destroy();
    callback(error);
  }

  private receive(chunk: Buffer): void {
    try {
      const bytes = this.partial.empty ? chunk : this.partial.add(chunk);
      if (!bytes) return;
      const offset = this.handleFrames(bytes, 0);
      // copied: a reference would keep the whole read alive
      if (offset < bytes.length && !this.destroyed) this.partial.add(Buffer.from(bytes.subarray(offset)));
    } catch (error) {
      this.destroy(error as Error);
    }
  }

  /** Handles the whole packets from `offset`; returns where the first incomplete one starts. */
  private handleFrames(bytes: Buffer, offset: number): number {
    for (let packet = nextPacket(bytes, offset); packet; packet = nextPacket(bytes, offset)) {
      if (packet.header >> 4 === PUBLISH) this.onPublish(readPublish(bytes, packet), this);
      else if (!this.push(bytes.subarray(offset, packet.end))) {
        this.mqttJsBehind = true;
        this.socket.pause();
      }
      offset = packet.end;
      if (this.destroyed) break;
    }
    return offset;
  }

  /**
   * PUBACK, reason Success, no properties: fixed header, remaining length 2, packet id
   * (MQTT 5 §3.4.2.1 lets both the reason code and the properties be left out).
   */
  private readonly writeAcks = (): void => {
    const ids = this.releasing;
    this.releasing = [];
    if (ids.length > 0 && !this.destroyed && this.socket.writable) {
      const packets = Buffer.allocUnsafe(ids.length * 4);
      for (let i = 0; i < ids.length; i += 1) {
        packets[i * 4] = 0x40;
        packets[i * 4 + 1] = 2;
        packets.writeUInt16BE(ids[i]!, i * 4 + 2);
      }
      this.socket.write(packets);
    }
    if (this.held.size < this.limit) this.holdBack(false);
  };

  private holdBack(on: boolean): void {
    if (on === this.heldBack) return;
    this.heldBack = on;
    if (on) this.socket.pause();
    else this.resumeIfFree();
  }

  private resumeIfFree(): void {
    if (!this.heldBack && !this.mqttJsBehind && !this.destroyed) this.socket.resume();
  }
}

/**
 * A packet split across reads, kept as the reads themselves until it is whole, then joined
 * once: joining at every read copied a large packet again for each read (quadratic in its
 * size, and MQTT allows 256 MB).
 */
class PartialPacket {
  private chunks: Buffer[] = [];
  private length = 0;
  private size: number | null = null;

  get empty(): boolean {
    return this.length === 0;
  }

  /** Adds a read; once the packet is whole, returns it joined with what followed it in the read. */
  add(chunk: Buffer): Buffer | null {
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.size ??= this.packetSize();
    if (this.size === null || this.length < this.size) return null;
    const joined = Buffer.concat(this.chunks, this.length);
    this.chunks = [];
    this.length = 0;
    this.size = null;
    return joined;
  }

  /** The whole packet's size, from its fixed header (at most 5 bytes); null while that is incomplete. */
  private packetSize(): number | null {
    const head = Buffer.alloc(Math.min(5, this.length));
    let at = 0;
    for (const chunk of this.chunks) {
      if (at === head.length) break;
      at += chunk.copy(head, at, 0, Math.min(chunk.length, head.length - at));
    }
    const length = readVarint(head, 1);
    return length ? length.at + length.value : null;
  }
}

/**
 * Puts a PublishReader between MQTT.js and each connection it opens (reconnects included),
 * whatever the URL's transport (TCP, TLS, WebSocket). The client must be created with
 * `manualConnect: true`, so that its first connection comes after this, and without topic
 * aliases; `connect()` it afterwards. The stream builder is the one `mqtt.connect` passes
 * to the MqttClient constructor, kept as-is on the client.
 */
export function readPublishes(client: MqttClient, onPublish: (publish: Publish, reader: PublishReader) => void, limit?: number): { current(): PublishReader | null } {
  const internals = client as unknown as { streamBuilder: (client: MqttClient) => Duplex };
  if (typeof internals.streamBuilder !== 'function') throw new Error('mqtt: this MQTT.js version keeps no streamBuilder; the ingest worker cannot read its connection');
  let current: PublishReader | null = null;
  const build = internals.streamBuilder;
  internals.streamBuilder = (c) => (current = new PublishReader(build(c), onPublish, limit));
  return { current: () => current };
}

const noop = (): void => undefined;
