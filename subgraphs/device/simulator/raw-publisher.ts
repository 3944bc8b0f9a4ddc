import net from 'node:net';
import tls from 'node:tls';
import { nextPacket, publishHeader, readVarint, varintLength, writeVarint } from '../mqtt-wire';

/**
 * The simulator's telemetry connection: a minimal MQTT 5 client that only connects,
 * publishes at QoS 0 or 1 with the `mac` user property, and pings. The simulator runs on the
 * cores it benchmarks, and MQTT.js spent about half of its CPU per publish on what a fleet
 * of real devices does on hardware of its own (a store and a callback per packet, packet
 * objects, property encoding). Every publish of a tick goes out in one socket write.
 *
 * Not a general client: no subscriptions, no session resumption, no redelivery (a publish
 * unacknowledged when the connection drops is reported as failed; the simulator counts
 * only what the broker acknowledged). Maintenance commands keep using MQTT.js.
 */
export interface RawPublisherOptions {
  url: string;
  clientId: string;
  keepaliveSeconds?: number;
  /** Called for every connection loss; the publisher reconnects after `reconnectMs`. */
  onError?: (error: Error) => void;
  reconnectMs?: number;
}

type Done = (error?: Error) => void;

const CONNECT = 0x10;
const CONNACK = 0x20;
const PUBACK = 0x40;
const PINGRESP = 0xd0;
const DISCONNECT = 0xe0;

export class RawPublisher {
  private socket: net.Socket | null = null;
  private connected = false;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Done>();
  private chunks: Buffer[] = [];
  private flushCallbacks: Done[] = [];
  private received: Buffer = Buffer.alloc(0);
  private pingTimer: NodeJS.Timeout | null = null;
  private flushScheduled = false;
  private connecting: Promise<void> | null = null;
  /** What the broker's CONNACK allows (MQTT 5 Receive Maximum; 65,535 when it says nothing). */
  receiveMaximum = 0xffff;

  constructor(private readonly options: RawPublisherOptions) {}

  /** Resolves once the broker accepted the connection (CONNACK with reason 0). */
  connect(): Promise<void> {
    this.closed = false;
    return (this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    }));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** False while (re)connecting: publishing then fails at once. */
  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * Queues a PUBLISH; `done` is called on the PUBACK (QoS 1), once written (QoS 0), or with
   * an error when the broker refuses it or the connection drops first.
   */
  publish(topic: string, payload: Buffer, mac: string, qos: 0 | 1, done: Done): void {
    if (!this.connected) {
      done(new Error('mqtt: not connected'));
      return;
    }
    let messageId = 0;
    if (qos) {
      messageId = this.allocateId();
      this.pending.set(messageId, done);
    }
    const packet = publishHeader(topic, payload.length, qos, messageId, mac);
    this.chunks.push(packet, payload);
    // QoS 0 has no acknowledgement: done once the socket took it
    if (!qos) this.flushCallbacks.push(done);
    this.scheduleFlush();
  }

  /** Waits (at most `timeoutMs`) for outstanding acknowledgements, then disconnects. */
  async end(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && this.connected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    this.closed = true;
    if (this.socket && this.connected) this.socket.end(Buffer.from([DISCONNECT, 0]));
    this.teardown(new Error('mqtt: publisher ended'));
  }

  private allocateId(): number {
    // packet ids are 16-bit and must not be reused while in flight
    for (;;) {
      const id = this.nextId;
      this.nextId = id === 0xffff ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.socket || this.chunks.length === 0) return;
    const data = Buffer.concat(this.chunks);
    const callbacks = this.flushCallbacks;
    this.chunks = [];
    this.flushCallbacks = [];
    this.socket.write(data, (error) => {
      for (const done of callbacks) done(error ?? undefined);
    });
  }

  private async open(): Promise<void> {
    const url = new URL(this.options.url);
    const secure = url.protocol === 'mqtts:';
    if (!secure && url.protocol !== 'mqtt:') throw new Error(`mqtt: unsupported URL ${url.protocol}`);
    const port = Number(url.port || (secure ? 8883 : 1883));
    const socket = secure ? tls.connect({ host: url.hostname, port, servername: url.hostname }) : net.connect({ host: url.hostname, port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.received = Buffer.alloc(0);
    let keepalive = this.options.keepaliveSeconds ?? 60;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.once('error', fail);
      socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(connectPacket(this.options.clientId, keepalive, url)));
      const onData = (chunk: Buffer) => {
        this.received = Buffer.concat([this.received, chunk]);
        const packet = nextPacket(this.received);
        if (!packet) return;
        socket.off('data', onData);
        socket.off('error', fail);
        const body = this.received.subarray(packet.bodyStart, packet.end);
        this.received = this.received.subarray(packet.end);
        if ((packet.header & 0xf0) !== CONNACK || body[1] !== 0) {
          fail(new Error(`mqtt: connection refused (CONNACK reason ${body[1] ?? 'missing'})`));
          return;
        }
        const properties = connackProperties(body);
        this.receiveMaximum = properties.receiveMaximum ?? 0xffff;
        if (properties.serverKeepalive !== undefined) keepalive = properties.serverKeepalive;
        resolve();
      };
      socket.on('data', onData);
    });
    this.connected = true;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.options.onError?.(error));
    socket.on('close', () => {
      this.teardown(new Error('mqtt: connection closed'));
      if (!this.closed) setTimeout(() => void this.connect().catch((error: Error) => this.options.onError?.(error)), this.options.reconnectMs ?? 1000).unref();
    });
    if (keepalive > 0) this.pingTimer = setInterval(() => socket.write(Buffer.from([0xc0, 0])), (keepalive * 1000) / 2);
    this.pingTimer?.unref();
    this.onData(Buffer.alloc(0));
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length ? Buffer.concat([this.received, chunk]) : chunk;
    for (let packet = nextPacket(this.received); packet; packet = nextPacket(this.received)) {
      const type = packet.header & 0xf0;
      const body = this.received.subarray(packet.bodyStart, packet.end);
      this.received = this.received.subarray(packet.end);
      if (type === PUBACK) {
        const id = body.readUInt16BE(0);
        const reason = body.length > 2 ? body[2]! : 0;
        const done = this.pending.get(id);
        this.pending.delete(id);
        done?.(reason >= 0x80 ? new Error(`mqtt: publish refused (PUBACK reason ${reason})`) : undefined);
      } else if (type === DISCONNECT) {
        this.options.onError?.(new Error(`mqtt: broker disconnected (reason ${body[0] ?? 0})`));
        this.socket?.destroy();
      } else if (type !== PINGRESP) {
        this.options.onError?.(new Error(`mqtt: unexpected packet type ${type >> 4}`));
      }
    }
  }

  private teardown(error: Error): void {
    this.connected = false;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    const pending = [...this.pending.values(), ...this.flushCallbacks];
    this.pending.clear();
    this.flushCallbacks = [];
    this.chunks = [];
    for (const done of pending) done(error);
  }
}

function connectPacket(clientId: string, keepalive: number, url: URL): Buffer {
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const strings = [clientId, ...(username ? [username] : []), ...(password ? [password] : [])].map((s) => Buffer.from(s, 'utf8'));
  // clean start; username and password flags when the URL carries them
  const flags = 0x02 | (username ? 0x80 : 0) | (password ? 0x40 : 0);
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 5, flags, keepalive >> 8, keepalive & 0xff, 0]);
  const payload = Buffer.concat(strings.flatMap((s) => [Buffer.from([s.length >> 8, s.length & 0xff]), s]));
  const remaining = variable.length + payload.length;
  const header = Buffer.allocUnsafe(1 + varintLength(remaining));
  writeVarint(header, remaining, header.writeUInt8(CONNECT, 0));
  return Buffer.concat([header, variable, payload]);
}

/** Sizes of the CONNACK properties (MQTT 5 §3.2.2.3): bytes, or -1 for a string, -2 for a string pair. */
const PROPERTY_SIZES: Record<number, number> = { 0x11: 4, 0x12: -1, 0x13: 2, 0x15: -1, 0x16: -1, 0x1a: -1, 0x1c: -1, 0x1f: -1, 0x21: 2, 0x22: 2, 0x24: 1, 0x25: 1, 0x26: -2, 0x27: 4, 0x28: 1, 0x29: 1, 0x2a: 1 };

function connackProperties(body: Buffer): { receiveMaximum?: number; serverKeepalive?: number } {
  const found: { receiveMaximum?: number; serverKeepalive?: number } = {};
  if (body.length < 3) return found;
  const length = readVarint(body, 2);
  if (!length) return found;
  let at = length.at;
  const end = Math.min(body.length, at + length.value);
  while (at < end) {
    const id = body[at++]!;
    const size = PROPERTY_SIZES[id];
    if (size === undefined) break; // unknown: stop reading rather than misread
    if (id === 0x21) found.receiveMaximum = body.readUInt16BE(at);
    if (id === 0x13) found.serverKeepalive = body.readUInt16BE(at);
    if (size > 0) at += size;
    else for (let strings = -size; strings > 0; strings -= 1) at += 2 + body.readUInt16BE(at);
  }
  return found;
}
